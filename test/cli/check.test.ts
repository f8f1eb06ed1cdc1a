/**
 * `xprov check` (in-process, and as the shipped bin against a shipped xprov): it passes against xprov on both
 * transports, and against deliberately broken endpoints it fails the precise check
 * with the precise reason. Output is masked unless --show-secrets.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { type CommandRun, freePort, privateStore, runCommand } from '../support/cli-run.js';
import { type FakeHandler, json, serveFake } from '../support/fake-endpoint.js';
import { registerSecret } from '../support/secrets.js';
import { tempDir } from '../support/tmp.js';
import { type XmlElement, parseXml } from '../support/xml.js';
import { runXprov, serveXprov } from '../support/xprov-process.js';

const KEY = randomBytes(32).toString('base64');
registerSecret(KEY);
const GOOD = { hubName: 'hub.azure-devices.net', deviceId: 'dev1', credentials: { authType: 'symmetric-key', source: 'payload', key: KEY } };

interface JsonReport {
  endpoint: string;
  ok: boolean;
  strict: boolean;
  summary: { passed: number; warned: number; failed: number; skipped: number };
  checks: { id: string; title: string; kind: 'fatal' | 'deviation'; outcome: 'pass' | 'warn' | 'fail' | 'skip'; reasons: string[]; notes: string[] }[];
  answer: { status: number; contentType: string | null; body: unknown } | null;
}

/** Runs `xprov check ARGS` to its end. */
function check(args: readonly string[]): Promise<CommandRun> {
  return runCommand(['check', ...args]);
}

async function checkJson(args: readonly string[]): Promise<{ code: number | string; report: JsonReport }> {
  const { code, stdout, stderr } = await check([...args, '--json']);
  assert.equal(stderr, '');
  return { code, report: JSON.parse(stdout) as JsonReport };
}

/** The failed checks of a report, as [id, reasons]. */
function failures(report: JsonReport): [string, string[]][] {
  return report.checks.filter((c) => c.outcome === 'fail').map((c) => [c.id, c.reasons]);
}

type Problem = [id: string, kind: 'fatal' | 'deviation', outcome: 'warn' | 'fail', reasons: string[]];

/** The checks of a report that warned or failed, as [id, kind, outcome, reasons]. */
function problems(report: JsonReport): Problem[] {
  return report.checks.flatMap((c): Problem[] => (c.outcome === 'warn' || c.outcome === 'fail' ? [[c.id, c.kind, c.outcome, c.reasons]] : []));
}

/** What a well-behaved endpoint answers; `override` replaces single answers to break it. */
function endpointHandler(
  override: Partial<Record<'get' | 'noVersion' | 'unknownPath' | 'wrongMethod' | 'reprovisionPost' | 'reprovisionGet', FakeHandler>> = {},
): FakeHandler {
  const answer = (name: keyof typeof override, fallback: FakeHandler, req: IncomingMessage, res: ServerResponse): void =>
    (override[name] ?? fallback)(req, res);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const versioned = url.searchParams.get('api-version') === '2019-04-10';
    if (url.pathname === '/device/provisioninginformation') {
      if (req.method !== 'GET') {
        answer('wrongMethod', (_q, r) => json(r, 405, { message: 'GET only' }, { allow: 'GET' }), req, res);
      } else if (!versioned) {
        answer('noVersion', (_q, r) => json(r, 400, { message: 'api-version is required' }), req, res);
      } else {
        answer('get', (_q, r) => json(r, 200, GOOD), req, res);
      }
    } else if (url.pathname === '/device/reprovision' && versioned) {
      answer(req.method === 'GET' ? 'reprovisionGet' : 'reprovisionPost', (_q, r) => r.writeHead(200).end(), req, res);
    } else {
      answer('unknownPath', (_q, r) => json(r, 404, { message: 'no such path' }), req, res);
    }
  };
}

describe('xprov check', () => {
  it('passes against xprov over a Unix socket and TCP, reprovision included', async () => {
    const socketPath = path.join(tempDir(), 'x.sock');
    const port = await freePort();
    const xprov = await serveXprov(['--store', privateStore('x509-payload.json'), '--listen', `unix://${socketPath}`, '--listen', `http://127.0.0.1:${port}`]);
    for (const endpoint of [`unix://${socketPath}`, `http://127.0.0.1:${port}`]) {
      const { code, report } = await checkJson([endpoint, '--reprovision']);
      assert.deepEqual(failures(report), [], endpoint);
      assert.deepEqual(report.summary, { passed: 9, warned: 0, failed: 0, skipped: 0 });
      assert.equal(report.ok, true);
      assert.equal(code, 0);
      assert.deepEqual(
        report.checks.map((c) => c.id),
        [
          'get.status',
          'get.spec',
          'get.daemon',
          'errors.api-version',
          'errors.unknown-path',
          'errors.wrong-method',
          'reprovision.post',
          'reprovision.get',
          'reprovision.get.spec',
        ],
      );
    }
    // Once per method: the two checks of GET reprovision judge the same answer.
    assert.equal(xprov.logLines().filter((l) => l.msg === 'reprovision requested').length, 4, 'POST and GET on each transport');
    // The shipped bin's check too (the smoke test of the command).
    const shipped = runXprov(['check', `unix://${socketPath}`]);
    assert.equal(await shipped.exited, 0, shipped.stdout());
    assert.match(shipped.stdout(), /\n6 passed, 0 warned, 0 failed, 3 skipped\n$/);
    await xprov.stop();
  });

  it('prints a readable report by default and sends no reprovision without --reprovision', async () => {
    const fake = await serveFake(endpointHandler());
    const { code, stdout, stderr } = await check([fake.endpoint]);
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.deepEqual(stdout.split('\n'), [
      `xprov check ${fake.endpoint}`,
      'PASS  get.status            GET /device/provisioninginformation answers 2xx',
      'PASS  get.spec              its answer conforms to the spec',
      'PASS  get.daemon            the IoT Edge daemon would provision with its answer',
      'PASS  errors.api-version    without api-version: 400 with an ErrorResponse',
      'PASS  errors.unknown-path   an unknown path: 404 with an ErrorResponse',
      'PASS  errors.wrong-method   DELETE /device/provisioninginformation: 405 with Allow and an ErrorResponse',
      'SKIP  reprovision.post      POST /device/reprovision: 200 with no body (as the spec says; the daemon sends GET)',
      '      - not run: pass --reprovision to send it (it has side effects on the endpoint)',
      'SKIP  reprovision.get       GET /device/reprovision answers 2xx (as the daemon sends it)',
      '      - not run: pass --reprovision to send it (it has side effects on the endpoint)',
      'SKIP  reprovision.get.spec  its answer: 200 with no body, as the spec says',
      '      - not run: pass --reprovision to send it (it has side effects on the endpoint)',
      '6 passed, 0 warned, 0 failed, 3 skipped',
      '',
    ]);
    assert.ok(!fake.requests.some((r) => r.url.startsWith('/device/reprovision')), 'reprovision was sent');
  });

  describe('against broken endpoints: the precise check, its kind and reason, and the exit code with and without --strict', () => {
    const ENUM = 'status must be one of: assigned, assigning, disabled, failed, unassigned';
    const SUBSTATUS_ENUM =
      'substatus must be one of: initialAssignment, deviceDataMigrated, deviceDataReset, deviceDataUpdated, reprovisionedToInitialAssignment';
    const TEXT = 'not an ErrorResponse: the content type is "text/plain", not application/json';
    /** `problems`: every check that warned or failed without --strict, as [id, kind, outcome, reasons]; ENDPOINT stands for the fake's URL. */
    const cases: { name: string; handler: FakeHandler; args?: string[]; problems: Problem[]; code: number }[] = [
      {
        name: 'a status the daemon does not know (fatal)',
        handler: endpointHandler({ get: (_q, r) => json(r, 200, { ...GOOD, status: 'none' }) }),
        problems: [
          ['get.spec', 'deviation', 'warn', [ENUM]],
          ['get.daemon', 'fatal', 'fail', [`${ENUM} (absent means assigned)`]],
        ],
        code: 1,
      },
      {
        name: 'a key that is not base64 (fatal)',
        handler: endpointHandler({ get: (_q, r) => json(r, 200, { ...GOOD, credentials: { ...GOOD.credentials, key: `${KEY}!!` } }) }),
        problems: [
          ['get.spec', 'deviation', 'warn', ['credentials.key must match format "byte"']],
          ['get.daemon', 'fatal', 'fail', ['credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)']],
        ],
        code: 1,
      },
      {
        name: 'missing fields (fatal)',
        handler: endpointHandler({ get: (_q, r) => json(r, 200, { hubName: GOOD.hubName, credentials: { authType: 'symmetric-key', key: KEY } }) }),
        problems: [
          ['get.spec', 'deviation', 'warn', ['deviceId is required', 'credentials.source is required']],
          ['get.daemon', 'fatal', 'fail', ['deviceId is missing', 'credentials.source is missing']],
        ],
        code: 1,
      },
      {
        name: 'an error instead of the provisioning information (fatal; its message is shown, secrets masked)',
        handler: endpointHandler({ get: (_q, r) => json(r, 503, { message: `store refused key=${KEY}` }) }),
        problems: [
          ['get.status', 'fatal', 'fail', ['answered 503: store refused key=[redacted]']],
          ['get.daemon', 'fatal', 'fail', ['the daemon fails its start on a 503 answer']],
        ],
        code: 1,
      },
      {
        name: 'no answer in time to the get (fatal)',
        handler: endpointHandler({ get: () => undefined }),
        args: ['--timeout-ms', '100'],
        problems: [['get.status', 'fatal', 'fail', ['ENDPOINT: no complete answer within 100 ms']]],
        code: 1,
      },
      {
        name: '405 on GET reprovision (fatal)',
        handler: endpointHandler({ reprovisionGet: (_q, r) => json(r, 405, { message: 'method GET is not allowed' }, { allow: 'POST' }) }),
        args: ['--reprovision'],
        problems: [
          [
            'reprovision.get',
            'fatal',
            'fail',
            [
              'answered 405: method GET is not allowed',
              'IoT Edge daemons (1.0.x-1.1) send GET /device/reprovision: dynamic reprovisioning fails against this endpoint',
            ],
          ],
        ],
        code: 1,
      },
      {
        name: 'no answer to GET reprovision (fatal)',
        handler: endpointHandler({ reprovisionGet: (q) => q.socket.destroy() }),
        args: ['--reprovision'],
        problems: [['reprovision.get', 'fatal', 'fail', ['cannot reach ENDPOINT: the connection was reset before an answer']]],
        code: 1,
      },
      {
        name: 'api-version not enforced (a deviation: IoT Edge always sends it)',
        handler: endpointHandler({ noVersion: (_q, r) => json(r, 200, GOOD) }),
        // A 200 is judged as a 200 (a valid DeviceProvisioningInfo): only the status is wrong.
        problems: [['errors.api-version', 'deviation', 'warn', ['answered 200, expected 400']]],
        code: 0,
      },
      {
        name: 'text errors (deviations)',
        handler: endpointHandler({
          noVersion: (_q, r) => r.writeHead(400, { 'content-type': 'text/plain' }).end('Bad Request'),
          unknownPath: (_q, r) => r.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found'),
          wrongMethod: (_q, r) => r.writeHead(405, { 'content-type': 'text/plain' }).end('Method Not Allowed'),
        }),
        problems: [
          ['errors.api-version', 'deviation', 'warn', [TEXT]],
          ['errors.unknown-path', 'deviation', 'warn', [TEXT]],
          ['errors.wrong-method', 'deviation', 'warn', [TEXT, '405 without an Allow header']],
        ],
        code: 0,
      },
      {
        name: 'an error body not shaped as the spec says (a deviation)',
        handler: endpointHandler({ unknownPath: (_q, r) => json(r, 404, { error: 'no such path' }) }),
        problems: [['errors.unknown-path', 'deviation', 'warn', ['not an ErrorResponse: message is required']]],
        code: 0,
      },
      {
        name: '405 without Allow (a deviation)',
        handler: endpointHandler({ wrongMethod: (_q, r) => json(r, 405, { message: 'GET only' }) }),
        problems: [['errors.wrong-method', 'deviation', 'warn', ['405 without an Allow header']]],
        code: 0,
      },
      {
        name: 'null optional fields and unknown fields (deviations: the daemon reads null as absent and ignores the rest)',
        handler: endpointHandler({
          get: (_q, r) => json(r, 200, { ...GOOD, status: null, credentials: { ...GOOD.credentials, identityCert: null }, vendor: 1 }),
        }),
        problems: [
          [
            'get.spec',
            'deviation',
            'warn',
            [
              'credentials.identityCert must be a string',
              'status must be a string',
              'status must be one of: assigned, assigning, disabled, failed, unassigned',
              'fields the spec does not declare: vendor',
            ],
          ],
        ],
        code: 0,
      },
      {
        name: "a substatus outside the spec's enum (a deviation: the daemon reads it as initialAssignment)",
        handler: endpointHandler({ get: (_q, r) => json(r, 200, { ...GOOD, substatus: 'moved' }) }),
        problems: [['get.spec', 'deviation', 'warn', [SUBSTATUS_ENUM]]],
        code: 0,
      },
      {
        name: '204 on reprovision (a deviation: the daemon accepts any 2xx)',
        handler: endpointHandler({ reprovisionGet: (_q, r) => r.writeHead(204).end(), reprovisionPost: (_q, r) => r.writeHead(204).end() }),
        args: ['--reprovision'],
        problems: [
          ['reprovision.post', 'deviation', 'warn', ['answered 204; the spec says 200 with no body (the daemon accepts any 2xx)']],
          ['reprovision.get.spec', 'deviation', 'warn', ['answered 204; the spec says 200 with no body (the daemon accepts any 2xx)']],
        ],
        code: 0,
      },
      {
        name: 'POST reprovision refused (a deviation: the daemon sends GET)',
        handler: endpointHandler({ reprovisionPost: (_q, r) => json(r, 405, { message: 'method POST is not allowed' }, { allow: 'GET' }) }),
        args: ['--reprovision'],
        problems: [['reprovision.post', 'deviation', 'warn', ['answered 405: method POST is not allowed']]],
        code: 0,
      },
    ];
    for (const { name, handler, args = [], problems: expected, code } of cases) {
      it(name, async () => {
        const fake = await serveFake(handler);
        const at = (list: Problem[]): Problem[] =>
          list.map(([id, kind, outcome, reasons]) => [id, kind, outcome, reasons.map((reason) => reason.replace('ENDPOINT', fake.endpoint))]);
        const lax = await checkJson([fake.endpoint, ...args]);
        assert.deepEqual(problems(lax.report), at(expected));
        assert.deepEqual([lax.code, lax.report.ok, lax.report.strict], [code, code === 0, false]);
        // --strict: every deviation fails too.
        const strict = await checkJson([fake.endpoint, ...args, '--strict']);
        assert.deepEqual(problems(strict.report), at(expected.map(([id, kind, , reasons]) => [id, kind, 'fail', reasons])));
        assert.deepEqual([strict.code, strict.report.ok, strict.report.strict], [1, false, true]);
      });
    }
  });

  it("masks secrets in the endpoint's own messages in the readable report too", async () => {
    const fake = await serveFake(endpointHandler({ get: (_q, r) => json(r, 503, { message: `store refused key=${KEY}` }) }));
    const { code, stdout } = await check([fake.endpoint]);
    assert.equal(code, 1);
    assert.ok(
      stdout.includes('FAIL  get.status            GET /device/provisioninginformation answers 2xx\n      - answered 503: store refused key=[redacted]\n'),
      stdout,
    );
    assert.equal(stdout.includes(KEY), false);
  });

  it('masks the answer in its JSON report unless --show-secrets', async () => {
    const fake = await serveFake(endpointHandler(), 'tcp');
    const masked = await checkJson([fake.endpoint]);
    assert.deepEqual(masked.report.answer, {
      status: 200,
      contentType: 'application/json',
      body: { ...GOOD, credentials: { ...GOOD.credentials, key: (masked.report.answer!.body as typeof GOOD).credentials.key } },
    });
    assert.match((masked.report.answer!.body as typeof GOOD).credentials.key, /^<masked: 44 chars, sha256 [0-9a-f]{8}>$/);

    // Shown on request: with a key that is not registered as a secret of the run.
    const visibleKey = Buffer.alloc(32, 7).toString('base64');
    const open = await serveFake(endpointHandler({ get: (_q, r) => json(r, 200, { ...GOOD, credentials: { ...GOOD.credentials, key: visibleKey } }) }));
    const shown = await checkJson([open.endpoint, '--show-secrets']);
    assert.equal((shown.report.answer!.body as typeof GOOD).credentials.key, visibleKey);
  });

  it('reports an endpoint that does not answer, and skips the rest', async () => {
    const missing = `unix://${path.join(tempDir(), 'none.sock')}`;
    const { code, report } = await checkJson([missing]);
    assert.equal(code, 1);
    assert.deepEqual(failures(report), [['get.status', [`cannot reach ${missing}: no socket file at that path`]]]);
    assert.equal(report.summary.skipped, 8);
    assert.equal(report.answer, null);
  });

  it('warns in the readable report of an endpoint that ignores api-version and exits 0; --strict fails it (exit 1)', async () => {
    const fake = await serveFake(endpointHandler({ noVersion: (_q, r) => json(r, 200, GOOD) }));
    const lax = await check([fake.endpoint]);
    assert.equal(lax.code, 0);
    const lines = lax.stdout.split('\n');
    assert.deepEqual(lines.slice(4, 6), ['WARN  errors.api-version    without api-version: 400 with an ErrorResponse', '      - answered 200, expected 400']);
    assert.deepEqual(lines.slice(-3), [
      '5 passed, 1 warned, 0 failed, 3 skipped',
      "WARN: the spec says otherwise, but IoT Edge's daemon copes (--strict fails on these too)",
      '',
    ]);
    const strict = await check([fake.endpoint, '--strict']);
    assert.equal(strict.code, 1);
    assert.ok(strict.stdout.includes('\nFAIL  errors.api-version    without api-version: 400 with an ErrorResponse\n'), strict.stdout);
    assert.ok(
      strict.stdout.endsWith(
        "5 passed, 0 warned, 1 failed, 3 skipped\n--strict: a deviation fails too (the spec says otherwise, but IoT Edge's daemon copes)\n",
      ),
    );
  });

  describe('--junit FILE', () => {
    /** Runs check with `--junit` into a fresh directory; the report's testcases by check id, and what else the directory holds. */
    async function junit(
      args: readonly string[],
    ): Promise<{ code: number | string; xml: string; suite: XmlElement; cases: Map<string, XmlElement>; mode: number }> {
      const dir = tempDir();
      const file = path.join(dir, 'check.xml');
      writeFileSync(file, 'an older report');
      const { code } = await check([...args, '--junit', file]);
      assert.deepEqual(readdirSync(dir), ['check.xml'], 'no temporary file is left behind');
      const xml = readFileSync(file, 'utf8');
      const suite = parseXml(xml).children[0]!;
      const cases = new Map(suite.children.filter((c) => c.name === 'testcase').map((c) => [c.attributes.name!.split(':')[0]!, c]));
      return { code, xml, suite, cases, mode: statSync(file).mode & 0o777 };
    }
    const childNames = (c: XmlElement | undefined): string[] => c?.children.map((child) => child.name) ?? [];

    it('reports a passing endpoint: one testcase per check, no failure', async () => {
      const fake = await serveFake(endpointHandler());
      const { code, suite, cases, mode } = await junit([fake.endpoint]);
      assert.equal(code, 0);
      assert.deepEqual(suite.attributes, { name: `xprov check ${fake.endpoint}`, tests: '9', failures: '0', errors: '0', skipped: '3' });
      assert.equal(cases.size, 9);
      assert.deepEqual(childNames(cases.get('get.status')), []);
      assert.deepEqual(childNames(cases.get('reprovision.get')), ['skipped']);
      assert.equal(cases.get('get.status')?.attributes.classname, 'xprov-check.fatal');
      assert.equal(mode, 0o644);
    });

    it('fails the fatal checks, never writing a secret', async () => {
      const fake = await serveFake(endpointHandler({ get: (_q, r) => json(r, 503, { message: `store refused key=${KEY}` }) }));
      const { code, xml, suite, cases } = await junit([fake.endpoint]);
      assert.equal(code, 1);
      assert.equal(suite.attributes.failures, '2');
      const failure = cases.get('get.status')!.children[0]!;
      assert.deepEqual([failure.name, failure.attributes], ['failure', { message: 'answered 503: store refused key=[redacted]', type: 'fatal' }]);
      assert.equal(failure.text, '- answered 503: store refused key=[redacted]');
      assert.equal(xml.includes(KEY), false);
    });

    it('shows secrets only with --show-secrets, in an owner-only file', async () => {
      const visibleKey = Buffer.alloc(32, 9).toString('base64');
      const fake = await serveFake(endpointHandler({ get: (_q, r) => json(r, 503, { message: `store refused key=${visibleKey}` }) }));
      const { xml, mode } = await junit([fake.endpoint, '--show-secrets']);
      assert.ok(xml.includes(`key=${visibleKey}`));
      assert.equal(mode, 0o600);
    });

    it('passes a deviation with its warning in system-out, and fails it under --strict', async () => {
      const fake = await serveFake(endpointHandler({ noVersion: (_q, r) => json(r, 200, GOOD) }));
      const lax = await junit([fake.endpoint]);
      assert.equal(lax.code, 0);
      const warned = lax.cases.get('errors.api-version')!;
      assert.deepEqual(childNames(warned), ['system-out']);
      assert.equal(
        warned.children[0]!.text,
        "WARN (a deviation: the spec says otherwise, but IoT Edge's daemon copes; --strict fails on it)\n- answered 200, expected 400",
      );
      const strict = await junit([fake.endpoint, '--strict']);
      assert.equal(strict.code, 1);
      assert.deepEqual(strict.cases.get('errors.api-version')!.children[0]!.attributes, { message: 'answered 200, expected 400', type: 'deviation' });
      assert.equal(strict.suite.attributes.failures, '1');
      assert.equal(strict.suite.children[0]!.children[0]!.attributes.value, 'true');
    });

    it('refuses a FILE in no directory before probing (exit 2), and exits 1 when the report cannot be written', async () => {
      const fake = await serveFake(endpointHandler());
      const missing = path.join(tempDir(), 'none', 'check.xml');
      const refused = await check([fake.endpoint, '--junit', missing]);
      assert.equal(refused.code, 2);
      assert.equal(
        refused.stderr,
        `xprov: --junit ${missing}: no directory ${path.dirname(missing)} to write it in (create it, or name a file in an existing directory)\n`,
      );
      assert.deepEqual(fake.requests, [], 'the endpoint was probed');

      const dir = tempDir();
      const failed = await check([fake.endpoint, '--junit', dir]);
      assert.equal(failed.code, 1);
      assert.equal(failed.stderr, `xprov: cannot write the JUnit report to ${dir}: EISDIR\n`);
      assert.match(failed.stdout, /\n6 passed, 0 warned, 0 failed, 3 skipped\n$/);
      assert.deepEqual(
        readdirSync(path.dirname(dir)).filter((name) => name.startsWith(`.${path.basename(dir)}.`)),
        [],
        'the temporary file was removed',
      );
    });
  });

  describe('refuses bad usage with exit code 2', () => {
    const cases: [string[], string][] = [
      [[], 'xprov: check takes exactly one ENDPOINT (unix:///path.sock or http://host:port); see xprov check --help\n'],
      [
        ['http://localhost:1', 'http://localhost:2'],
        'xprov: check takes exactly one ENDPOINT (unix:///path.sock or http://host:port); see xprov check --help\n',
      ],
      [['localhost:9999'], 'xprov: endpoint "localhost:9999" has unsupported scheme localhost: (expected unix:///path/to.sock or http://host:port)\n'],
      [['http://localhost:1', '--timeout-ms', '0'], 'xprov: --timeout-ms must be a positive whole number of milliseconds\n'],
      [
        ['http://localhost:1', '--verbose'],
        "xprov: Unknown option '--verbose'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--verbose\"\n",
      ],
    ];
    for (const [args, stderr] of cases) {
      it(args.join(' ') || '(no endpoint)', async () => {
        const result = await check(args);
        assert.equal(result.code, 2);
        assert.equal(result.stderr, stderr);
        assert.equal(result.stdout, '');
      });
    }
  });
});
