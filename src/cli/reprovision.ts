/**
 * `xprov reprovision ENDPOINT`: sends the reprovision notice, as the spec says (POST)
 * or as IoT Edge's daemon sends it (`--method GET`).
 */
import type { ReprovisionMethod } from '../client/client.js';
import { describeEndpoint } from '../endpoint/endpoint-url.js';
import { UsageError } from '../errors.js';
import { redactSecrets } from '../redact.js';
import { TIMEOUT_USAGE, endpointClient, exitOnTransportError, parseEndpointArgs } from './shared/endpoint-args.js';
import type { CliIo } from './shared/io.js';

const USAGE = `usage: xprov reprovision ENDPOINT [--method POST|GET] [--timeout-ms N]

Tells an external provisioning endpoint (unix:///path.sock or http://host:port) that
the device may have been re-provisioned, as IoT Edge's daemon does with
dynamic_reprovisioning. Exit code 1 when it answers an error.

  --method POST|GET
      POST as the spec says, or GET as the daemon (1.0.x-1.1) sends it [default: POST]
${TIMEOUT_USAGE}`;

function parseMethod(raw: string | undefined): ReprovisionMethod {
  if (raw === undefined || raw === 'POST' || raw === 'GET') {
    return raw ?? 'POST';
  }
  throw new UsageError('--method must be POST or GET');
}

/** Sends reprovision; resolves with the exit code. */
export async function reprovisionCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseEndpointArgs(argv, { method: { type: 'string' } });
  if (values.help === true) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const method = parseMethod(values.method);
  const client = endpointClient('reprovision', positionals, values['timeout-ms']);
  return exitOnTransportError(io, async () => {
    const result = await client.reprovisionDevice({ method });
    const where = describeEndpoint(client.endpoint);
    if (!result.ok) {
      // The endpoint's message is not xprov's: it may quote anything.
      io.stderr.write(`xprov: ${where} answered ${result.status} to ${method} reprovision: ${redactSecrets(result.message)}\n`);
      return 1;
    }
    io.stdout.write(`${where} answered ${result.status} to ${method} reprovision\n`);
    return 0;
  });
}
