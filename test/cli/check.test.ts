/**
 * `xprov check` (in-process, and as the shipped bin against a shipped xprov): it passes against xprov on both
 * transports, and against deliberately broken endpoints it fails the precise check
 * with the precise reason. Output is masked unless --show-secrets.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { type CommandRun, freePort, privateStore, runCommand } from '../support/cli-run.js';
import { type FakeHandler, json, serveFake } from '../support/fake-endpoint.js';
import { registerSecret } from '../support/secrets.js';
import { tempDir } from '../support/tmp.js';
import { runXprov, serveXprov } from '../support/xprov-process.js';

const KEY = randomBytes(32).toString('base64');
registerSecret(KEY);
const GOOD = { hubName: 'hub.azure-devices.net', deviceId: 'dev1', credentials: { authType: 'symmetric-key', source: 'payload', key: KEY } };

interface JsonReport {
  endpoint: string;
  ok: boolean;
  summary: { passed: number; failed: number; skipped: number };
  checks: { id: string; title: string; outcome: 'pass' | 'fail' | 'skip'; reasons: string[]; notes: string[] }[];
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
      assert.deepEqual(report.summary, { passed: 8, failed: 0, skipped: 0 });
      assert.equal(report.ok, true);
      assert.equal(code, 0);
      assert.deepEqual(
        report.checks.map((c) => c.id),
        ['get.status', 'get.spec', 'get.daemon', 'errors.api-version', 'errors.unknown-path', 'errors.wrong-method', 'reprovision.post', 'reprovision.get'],
      );
    }
    assert.equal(xprov.logLines().filter((l) => l.msg === 'reprovision requested').length, 4, 'POST and GET on each transport');
    // The shipped bin's check too (the smoke test of the command).
    const shipped = runXprov(['check', `unix://${socketPath}`]);
    assert.equal(await shipped.exited, 0, shipped.stdout());
    assert.match(shipped.stdout(), /\n6 passed, 0 failed, 2 skipped\n$/);
    await xprov.stop();
  });

  it('prints a readable report by default and sends no reprovision without --reprovision', async () => {
    const fake = await serveFake(endpointHandler());
    const { code, stdout, stderr } = await check([fake.endpoint]);
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.deepEqual(stdout.split('\n'), [
      `xprov check ${fake.endpoint}`,
      'PASS  get.status           GET /device/provisioninginformation answers 2xx',
      'PASS  get.spec             its answer conforms to the spec',
      'PASS  get.daemon           the IoT Edge daemon would provision with its answer',
      'PASS  errors.api-version   without api-version: 400 with an ErrorResponse',
      'PASS  errors.unknown-path  an unknown path: 404 with an ErrorResponse',
      'PASS  errors.wrong-method  DELETE /device/provisioninginformation: 405 with Allow and an ErrorResponse',
      'SKIP  reprovision.post     POST /device/reprovision answers 2xx (as the spec says)',
      '      - not run: pass --reprovision to send it (it has side effects on the endpoint)',
      'SKIP  reprovision.get      GET /device/reprovision answers 2xx (as the daemon sends it)',
      '      - not run: pass --reprovision to send it (it has side effects on the endpoint)',
      '6 passed, 0 failed, 2 skipped',
      '',
    ]);
    assert.ok(!fake.requests.some((r) => r.url.startsWith('/device/reprovision')), 'reprovision was sent');
  });

  describe('fails the precise check, with the precise reason, against broken endpoints', () => {
    const cases: { name: string; handler: FakeHandler; args?: string[]; failed: [string, string[]][] }[] = [
      {
        name: 'a status the daemon does not know',
        handler: endpointHandler({ get: (_q, r) => json(r, 200, { ...GOOD, status: 'none' }) }),
        failed: [
          ['get.spec', ['status must be one of: assigned, assigning, disabled, failed, unassigned']],
          ['get.daemon', ['status must be one of: assigned, assigning, disabled, failed, unassigned (absent means assigned)']],
        ],
      },
      {
        name: 'a key that is not base64',
        handler: endpointHandler({ get: (_q, r) => json(r, 200, { ...GOOD, credentials: { ...GOOD.credentials, key: `${KEY}!!` } }) }),
        failed: [
          ['get.spec', ['credentials.key must match format "byte"']],
          ['get.daemon', ['credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)']],
        ],
      },
      {
        name: 'missing fields',
        handler: endpointHandler({ get: (_q, r) => json(r, 200, { hubName: GOOD.hubName, credentials: { authType: 'symmetric-key', key: KEY } }) }),
        failed: [
          ['get.spec', ['deviceId is required', 'credentials.source is required']],
          ['get.daemon', ['deviceId is missing', 'credentials.source is missing']],
        ],
      },
      {
        name: '405 on GET reprovision',
        handler: endpointHandler({ reprovisionGet: (_q, r) => json(r, 405, { message: 'method GET is not allowed' }, { allow: 'POST' }) }),
        args: ['--reprovision'],
        failed: [
          [
            'reprovision.get',
            [
              'answered 405: method GET is not allowed',
              'IoT Edge daemons (1.0.x-1.1) send GET /device/reprovision: dynamic reprovisioning fails against this endpoint',
            ],
          ],
        ],
      },
      {
        name: 'text errors',
        handler: endpointHandler({
          noVersion: (_q, r) => r.writeHead(400, { 'content-type': 'text/plain' }).end('Bad Request'),
          unknownPath: (_q, r) => r.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found'),
          wrongMethod: (_q, r) => r.writeHead(405, { 'content-type': 'text/plain' }).end('Method Not Allowed'),
        }),
        failed: [
          ['errors.api-version', ['not an ErrorResponse: the content type is "text/plain", not application/json']],
          ['errors.unknown-path', ['not an ErrorResponse: the content type is "text/plain", not application/json']],
          ['errors.wrong-method', ['not an ErrorResponse: the content type is "text/plain", not application/json', '405 without an Allow header']],
        ],
      },
      {
        name: 'wrong error statuses and shapes',
        handler: endpointHandler({
          noVersion: (_q, r) => json(r, 200, GOOD),
          unknownPath: (_q, r) => json(r, 404, { error: 'no such path' }),
        }),
        failed: [
          // A 200 is judged as a 200 (a valid DeviceProvisioningInfo): only the status is wrong.
          ['errors.api-version', ['answered 200, expected 400']],
          ['errors.unknown-path', ['not an ErrorResponse: message is required']],
        ],
      },
      {
        name: 'an error instead of the provisioning information (its message is shown, secrets masked)',
        handler: endpointHandler({ get: (_q, r) => json(r, 503, { message: `store refused key=${KEY}` }) }),
        failed: [
          ['get.status', ['answered 503: store refused key=[redacted]']],
          ['get.daemon', ['the daemon fails its start on a 503 answer']],
        ],
      },
    ];
    for (const { name, handler, args = [], failed } of cases) {
      it(name, async () => {
        const fake = await serveFake(handler);
        const { code, report } = await checkJson([fake.endpoint, ...args]);
        assert.deepEqual(failures(report), failed);
        assert.equal(report.ok, false);
        assert.equal(code, 1);
      });
    }
  });

  it("masks secrets in the endpoint's own messages in the readable report too", async () => {
    const fake = await serveFake(endpointHandler({ get: (_q, r) => json(r, 503, { message: `store refused key=${KEY}` }) }));
    const { code, stdout } = await check([fake.endpoint]);
    assert.equal(code, 1);
    assert.ok(
      stdout.includes('FAIL  get.status           GET /device/provisioninginformation answers 2xx\n      - answered 503: store refused key=[redacted]\n'),
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
    assert.equal(report.summary.skipped, 7);
    assert.equal(report.answer, null);
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
