/**
 * `xprov store set|show|validate`: the secure partition's side of the store. Loaded
 * only when run (see cli.ts): none of this is on the serving path.
 */
import { SET_USAGE, storeSet } from './store-set.js';
import { SHOW_USAGE, storeShow } from './store-show.js';
import { VALIDATE_USAGE, storeValidate } from './store-validate.js';
import type { CliIo } from './shared/io.js';
import { type SubcommandGroup, runSubcommand } from './shared/subcommands.js';

const USAGE = `usage: xprov store <command> [options]

commands:
  set       write the store file from a connection string, a key, PEM files or HSM references
  show      print the store with its secrets masked
  validate  check the store as xprov serve would; exit code 1 when it would be refused

xprov store <command> --help for its options.`;

const GROUP: SubcommandGroup = {
  name: 'store',
  usage: USAGE,
  helpHere: true,
  commands: {
    set: { run: storeSet, usage: SET_USAGE },
    show: { run: storeShow, usage: SHOW_USAGE },
    validate: { run: storeValidate, usage: VALIDATE_USAGE },
  },
};

/** Runs `xprov store ARGV`; resolves with the exit code. */
export async function storeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand(GROUP, argv, io);
}
