/**
 * `xprov check ENDPOINT`: probes any external provisioning endpoint the way IoT Edge's
 * daemon would and reports, check by check, whether it conforms to the spec and
 * whether the daemon would accept it. Exit 0 only when no check fails.
 */
import { runChecks } from '../check/checks.js';
import { renderJson, renderText } from '../check/report.js';
import { loadSpecBackend } from '../shims/openapi-backend.js';
import { TIMEOUT_USAGE, endpointClient, parseEndpointArgs } from './shared/endpoint-args.js';
import type { CliIo } from './shared/io.js';

const USAGE = `usage: xprov check ENDPOINT [--json] [--show-secrets] [--reprovision] [--timeout-ms N]

Probes an external provisioning endpoint (unix:///path.sock or http://host:port, xprov
or any other) as IoT Edge's daemon would, and checks that its answers conform to the
spec and that the daemon would accept them. Exit code 0 when every check passes, 1
when one fails, 2 on a usage error.

  --json
      one JSON document on stdout (for CI)
  --show-secrets
      show keys and certificates in the output (masked by default)
  --reprovision
      also send reprovision, as POST and as GET (it has side effects on the endpoint)
${TIMEOUT_USAGE}`;

/** Runs the checks and prints the report; resolves with the exit code. */
export async function checkCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseEndpointArgs(argv, { json: { type: 'boolean' }, 'show-secrets': { type: 'boolean' }, reprovision: { type: 'boolean' } });
  if (values.help === true) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const client = endpointClient('check', positionals, values['timeout-ms']);
  const report = await runChecks(client, await loadSpecBackend(), { reprovision: values.reprovision === true });
  const render = values.json === true ? renderJson : renderText;
  io.stdout.write(render(report, { showSecrets: values['show-secrets'] === true }));
  return report.ok ? 0 : 1;
}
