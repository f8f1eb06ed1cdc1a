/**
 * `xprov check ENDPOINT`: probes any external provisioning endpoint the way IoT Edge's
 * daemon would and reports, check by check, whether the daemon would work with it
 * (fatal checks) and whether it conforms to the spec (deviations). Exit 0 when no
 * fatal check fails, or under `--strict` when no check fails at all.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { runChecks } from '../check/checks.js';
import { writeJunit } from '../check/junit.js';
import { renderJson, renderText } from '../check/report.js';
import { UsageError } from '../errors.js';
import { loadSpecBackend } from '../shims/openapi-backend.js';
import { TIMEOUT_USAGE, endpointClient, parseEndpointArgs } from './shared/endpoint-args.js';
import type { CliIo } from './shared/io.js';

const USAGE = `usage: xprov check ENDPOINT [--json] [--junit FILE] [--strict] [--show-secrets] [--reprovision] [--timeout-ms N]

Probes an external provisioning endpoint (unix:///path.sock or http://host:port, xprov
or any other) as IoT Edge's daemon would. Each check is fatal (FAIL: the daemon would
fail against this endpoint) or a deviation (WARN: the spec says otherwise, but the
daemon copes). Exit code 0 when no fatal check fails, 1 when one does (or, with
--strict, when a deviation does), 2 on a usage error.

  --json
      one JSON document on stdout (for CI), each check with its kind
  --junit FILE
      also write a JUnit XML report to FILE (one testcase per check), masked like
      the report on stdout
  --strict
      deviations fail too (exit 1)
  --show-secrets
      show keys and certificates in the output (masked by default)
  --reprovision
      also send reprovision, as POST and as GET (it has side effects on the endpoint)
${TIMEOUT_USAGE}`;

/** UsageError unless `file`'s directory exists: said before the endpoint is probed, not after. */
async function checkJunitTarget(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    throw new UsageError(`--junit ${file}: no directory ${dir} to write it in (create it, or name a file in an existing directory)`);
  }
}

/** Runs the checks and prints the report; resolves with the exit code. */
export async function checkCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseEndpointArgs(argv, {
    json: { type: 'boolean' },
    junit: { type: 'string' },
    strict: { type: 'boolean' },
    'show-secrets': { type: 'boolean' },
    reprovision: { type: 'boolean' },
  });
  if (values.help === true) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const client = endpointClient('check', positionals, values['timeout-ms']);
  const junit = values.junit;
  if (junit !== undefined) {
    await checkJunitTarget(junit);
  }
  const report = await runChecks(client, await loadSpecBackend(), { reprovision: values.reprovision === true, strict: values.strict === true });
  const options = { showSecrets: values['show-secrets'] === true };
  const render = values.json === true ? renderJson : renderText;
  io.stdout.write(render(report, options));
  if (junit !== undefined) {
    try {
      await writeJunit(junit, report, options);
    } catch (err) {
      // A runtime failure (disk full, permissions): the report above stands, the run fails.
      io.stderr.write(`xprov: cannot write the JUnit report to ${junit}: ${(err as NodeJS.ErrnoException).code ?? 'failed'}\n`);
      return 1;
    }
  }
  return report.ok ? 0 : 1;
}
