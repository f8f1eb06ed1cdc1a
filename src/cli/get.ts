/**
 * `xprov get ENDPOINT`: fetches the provisioning information the way IoT Edge's daemon
 * does and prints what the daemon would provision with, secrets masked unless asked.
 */
import YAML from 'yaml';
import { maskJson } from '../contract/mask.js';
import { describeEndpoint } from '../endpoint/endpoint-url.js';
import { redactSecrets } from '../redact.js';
import { TIMEOUT_USAGE, endpointClient, exitOnTransportError, parseEndpointArgs } from './shared/endpoint-args.js';
import type { CliIo } from './shared/io.js';

const USAGE = `usage: xprov get ENDPOINT [--json] [--show-secrets] [--timeout-ms N]

Gets the provisioning information from an external provisioning endpoint
(unix:///path.sock or http://host:port) as IoT Edge's daemon does, and prints what the
daemon would provision with, as YAML (the store file format) or JSON. Exit code 1 when
the endpoint answers an error or something the daemon would refuse.

  --json
      print JSON instead of YAML
  --show-secrets
      print keys and certificates (masked by default)
${TIMEOUT_USAGE}`;

/** Prints the provisioning information; resolves with the exit code. */
export async function getCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseEndpointArgs(argv, { json: { type: 'boolean' }, 'show-secrets': { type: 'boolean' } });
  if (values.help === true) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const client = endpointClient('get', positionals, values['timeout-ms']);
  const showSecrets = values['show-secrets'] === true;
  return exitOnTransportError(io, async () => {
    const result = await client.getDeviceProvisioningInformation();
    if (!result.ok) {
      const message = showSecrets ? result.message : redactSecrets(result.message);
      io.stderr.write(`xprov: ${describeEndpoint(client.endpoint)} answered ${result.status}: ${message}\n`);
      return 1;
    }
    const shown = showSecrets ? result.body : maskJson(result.body);
    io.stdout.write(values.json === true ? `${JSON.stringify(shown, null, 2)}\n` : YAML.stringify(shown));
    return 0;
  });
}
