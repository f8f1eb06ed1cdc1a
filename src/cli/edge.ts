/**
 * `xprov edge sync|reprovision|status`: external provisioning for IoT Edge 1.2 to 1.5,
 * run on the IoT Edge partition (docs/edge.md). Loaded only when run (see cli.ts).
 */
import { REPROVISION_USAGE, edgeReprovision } from './edge-reprovision.js';
import { STATUS_USAGE, edgeStatusCommand } from './edge-status.js';
import { SYNC_USAGE, edgeSync } from './edge-sync.js';
import type { CliIo } from './shared/io.js';
import { type SubcommandGroup, runSubcommand } from './shared/subcommands.js';

const USAGE = `usage: xprov edge <command> [options]

commands:
  sync         get the provisioning information and hand it to aziot-identity-service
  reprovision  tell the endpoint the device may have moved (aziot-edged exited 154), then sync
  status       what is applied against what the endpoint serves, keys never shown

xprov edge <command> --help for its options.`;

const GROUP: SubcommandGroup = {
  name: 'edge',
  usage: USAGE,
  helpHere: false,
  commands: {
    sync: { run: edgeSync, usage: SYNC_USAGE },
    reprovision: { run: edgeReprovision, usage: REPROVISION_USAGE },
    status: { run: edgeStatusCommand, usage: STATUS_USAGE },
  },
};

/** Runs `xprov edge ARGV`; resolves with the exit code. */
export async function edgeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand(GROUP, argv, io);
}
