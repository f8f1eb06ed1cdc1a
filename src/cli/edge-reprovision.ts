/**
 * `xprov edge reprovision --endpoint URL`: what IoT Edge 1.1's daemon did with
 * dynamic_reprovisioning, for 1.5: tells the endpoint the device may have been moved
 * (GET, as the daemon sent it), then syncs. Run when aziot-edged exits with 154 (it
 * asked identityd to reprovision because IoT Hub rejected the device; see
 * examples/edge/ and docs/edge.md).
 */
import { describeEndpoint } from '../endpoint/endpoint-url.js';
import { redactSecrets } from '../redact.js';
import { EDGE_SYNC_OPTIONS_USAGE, parseEdgeSyncArgs, runEdgeSync } from './shared/edge-run.js';
import { exitOnTransportError } from './shared/endpoint-args.js';
import type { CliIo } from './shared/io.js';

/** The usage text of `xprov edge reprovision`. */
export const REPROVISION_USAGE = `usage: xprov edge reprovision --endpoint URL [--aziot-dir DIR] [--secrets-dir DIR] [--no-restart] [--json] [--timeout-ms N]

Sends the endpoint the reprovision notice (GET /device/reprovision, as IoT Edge 1.1's
daemon did), then syncs as xprov edge sync does. Exit code 1 when the endpoint refuses
the notice (nothing is synced then) or gives no usable answer.

${EDGE_SYNC_OPTIONS_USAGE}`;

/** Runs `xprov edge reprovision ARGV`; resolves with the exit code. */
export async function edgeReprovision(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseEdgeSyncArgs('edge reprovision', argv, io);
  if (args.help || args.client === undefined) {
    io.stdout.write(`${REPROVISION_USAGE}\n`);
    return 0;
  }
  const { client } = args;
  const notified = await exitOnTransportError(io, async () => {
    const result = await client.reprovisionDevice({ method: 'GET' });
    if (!result.ok) {
      // The endpoint's message is not xprov's: it may quote anything.
      io.stderr.write(
        `xprov: ${describeEndpoint(client.endpoint)} answered ${result.status} to GET reprovision: ${redactSecrets(result.message)}; nothing synced\n`,
      );
      return 1;
    }
    return 0;
  });
  return notified === 0 ? runEdgeSync({ ...args, client }, io) : notified;
}
