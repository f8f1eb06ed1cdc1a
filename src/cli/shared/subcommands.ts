/**
 * Commands made of subcommands (`xprov store set|show|validate`, `xprov edge
 * sync|reprovision|status`): one dispatcher for the group's usage, an unknown name,
 * and each subcommand's `--help`.
 */
import { UsageError } from '../../errors.js';
import type { CliIo } from './io.js';

/** One subcommand: how it runs, and its usage text. */
export interface Subcommand {
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>;
  readonly usage: string;
}

/** A group of subcommands under one command name. */
export interface SubcommandGroup {
  /** The command's name (`store`), for messages. */
  readonly name: string;
  /** The group's usage, printed for no subcommand (exit 2) and for --help (exit 0). */
  readonly usage: string;
  readonly commands: Readonly<Record<string, Subcommand>>;
  /** Print a subcommand's usage for its --help here; false when the subcommands answer --help themselves. */
  readonly helpHere: boolean;
}

/** Runs the subcommand `argv` names in `group`; resolves with the exit code. */
export async function runSubcommand(group: SubcommandGroup, argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(`${group.usage}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(group.commands, name) ? group.commands[name] : undefined;
  if (command === undefined) {
    throw new UsageError(`unknown ${group.name} command ${JSON.stringify(name)} (${Object.keys(group.commands).join(', ')})`);
  }
  if (group.helpHere && (rest.includes('--help') || rest.includes('-h'))) {
    io.stdout.write(`${command.usage}\n`);
    return 0;
  }
  return command.run(rest, io);
}
