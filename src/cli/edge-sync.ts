/**
 * `xprov edge sync --endpoint URL`: on the IoT Edge (1.2 to 1.5) partition, gets the
 * provisioning information from an external provisioning endpoint and hands it to
 * aziot-identity-service through its config drop-ins (docs/edge.md).
 */
import { EDGE_SYNC_OPTIONS_USAGE, parseEdgeSyncArgs, runEdgeSync } from './shared/edge-run.js';
import type { CliIo } from './shared/io.js';

/** The usage text of `xprov edge sync`. */
export const SYNC_USAGE = `usage: xprov edge sync --endpoint URL [--aziot-dir DIR] [--secrets-dir DIR] [--no-restart] [--json] [--timeout-ms N]

Gets the provisioning information as IoT Edge 1.1's daemon did and writes it as
aziot-identity-service's drop-ins (identityd, keyd, certd config.d/50-xprov.toml) and
secret files; restarts aziot's services when anything changed. Nothing changed:
nothing is written or restarted. Exit code 1 when the endpoint gives no usable answer
(what was applied before stays).

${EDGE_SYNC_OPTIONS_USAGE}`;

/** Runs `xprov edge sync ARGV`; resolves with the exit code. */
export async function edgeSync(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseEdgeSyncArgs('edge sync', argv, io);
  if (args.help || args.client === undefined) {
    io.stdout.write(`${SYNC_USAGE}\n`);
    return 0;
  }
  return runEdgeSync({ ...args, client: args.client }, io);
}
