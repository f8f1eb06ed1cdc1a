/**
 * `xprov edge status --endpoint URL`: what aziot was given against what the endpoint
 * serves now, file by file, keys never shown. Exit 0 in sync, 1 otherwise.
 */
import path from 'node:path';
import { edgeStatus } from '../edge/status.js';
import { UsageError } from '../errors.js';
import { DEFAULT_AZIOT_DIR, DEFAULT_SECRETS_DIR } from './shared/edge-run.js';
import { endpointClient, exitOnTransportError, parseEndpointArgs } from './shared/endpoint-args.js';
import type { CliIo } from './shared/io.js';

/** The usage text of `xprov edge status`. */
export const STATUS_USAGE = `usage: xprov edge status --endpoint URL [--aziot-dir DIR] [--secrets-dir DIR] [--json] [--timeout-ms N]

Compares what xprov edge sync applied (under the aziot dir and the secrets dir) with
what the endpoint serves now, file by file, without showing any key or certificate.
Exit code 0 when they agree, 1 when a sync would change something or the endpoint gives
no usable answer.

  --endpoint URL
      the external provisioning endpoint (unix:///path.sock or http://host:port) [required]
  --aziot-dir DIR
      aziot's configuration root [default: ${DEFAULT_AZIOT_DIR}]
  --secrets-dir DIR
      where sync writes the key and certificate files [default: ${DEFAULT_SECRETS_DIR}]
  --json
      print the result as JSON
  --timeout-ms N
      give up on an answer after N ms [default: 10000]`;

/** Runs `xprov edge status ARGV`; resolves with the exit code. */
export async function edgeStatusCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseEndpointArgs(argv, {
    endpoint: { type: 'string' },
    'aziot-dir': { type: 'string' },
    'secrets-dir': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help === true) {
    io.stdout.write(`${STATUS_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0 || values.endpoint === undefined) {
    throw new UsageError('xprov edge status needs --endpoint URL (unix:///path.sock or http://host:port) and no positional arguments');
  }
  if (values['aziot-dir'] === '' || values['secrets-dir'] === '') {
    throw new UsageError('--aziot-dir and --secrets-dir must not be empty');
  }
  const client = endpointClient('edge status', [values.endpoint], values['timeout-ms']);
  const aziotDir = path.resolve(io.cwd, values['aziot-dir'] ?? DEFAULT_AZIOT_DIR);
  const secretsDir = path.resolve(io.cwd, values['secrets-dir'] ?? DEFAULT_SECRETS_DIR);
  return exitOnTransportError(io, async () => {
    const status = await edgeStatus(client, { aziotDir, secretsDir });
    if (!status.ok) {
      io.stderr.write(`xprov: ${status.reason}\n`);
      return 1;
    }
    if (values.json === true) {
      const { ok: _ok, ...report } = status;
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const applied = status.applied;
      io.stdout.write(`served:  ${status.served.deviceId} on ${status.served.hubName} (${status.served.authType} from ${status.served.source})\n`);
      io.stdout.write(
        `applied: ${applied?.deviceId === undefined ? 'nothing' : `${applied.deviceId} on ${applied.hubName ?? '?'} (${applied.method ?? '?'})`}\n`,
      );
      if (status.served.key !== undefined) {
        io.stdout.write(`key:     served ${status.served.key}, applied ${applied?.key ?? 'none'}\n`);
      }
      for (const file of status.files) io.stdout.write(`  ${file.state.padEnd(7)} ${file.path}\n`);
      for (const file of status.unwanted) io.stdout.write(`  stale   ${file}\n`);
      io.stdout.write(status.inSync ? 'in sync\n' : 'not in sync: xprov edge sync would change it\n');
    }
    return status.inSync ? 0 : 1;
  });
}
