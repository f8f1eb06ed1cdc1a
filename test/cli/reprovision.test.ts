/** `xprov reprovision` (in-process, and once as the shipped bin): the notice by POST (the spec) or GET (the daemon). */
import assert from 'node:assert/strict';
import { type CommandRun, runCommand } from '../support/cli-run.js';
import { json, serveFake } from '../support/fake-endpoint.js';
import { runXprov } from '../support/xprov-process.js';

function reprovision(args: readonly string[]): Promise<CommandRun> {
  return runCommand(['reprovision', ...args]);
}

describe('xprov reprovision', () => {
  it('sends POST by default and GET with --method GET', async () => {
    const fake = await serveFake((_req, res) => res.writeHead(200).end());
    const posted = await reprovision([fake.endpoint]);
    assert.deepEqual(posted, { code: 0, stdout: `${fake.endpoint} answered 200 to POST reprovision\n`, stderr: '' });
    const got = await reprovision([fake.endpoint, '--method', 'GET']);
    assert.deepEqual(got, { code: 0, stdout: `${fake.endpoint} answered 200 to GET reprovision\n`, stderr: '' });
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.url}`),
      ['POST /device/reprovision?api-version=2019-04-10', 'GET /device/reprovision?api-version=2019-04-10'],
    );
  });

  it('runs as the shipped bin (smoke test)', async () => {
    const fake = await serveFake((_req, res) => res.writeHead(200).end());
    const proc = runXprov(['reprovision', fake.endpoint]);
    assert.equal(await proc.exited, 0, proc.stderr());
    assert.equal(proc.stdout(), `${fake.endpoint} answered 200 to POST reprovision\n`);
  });

  it("exits 1 with the endpoint's message when it refuses", async () => {
    const fake = await serveFake((_req, res) => json(res, 503, { message: 'registration with DPS failed' }), 'tcp');
    const result = await reprovision([fake.endpoint, '--method', 'GET']);
    assert.deepEqual(result, { code: 1, stdout: '', stderr: `xprov: ${fake.endpoint} answered 503 to GET reprovision: registration with DPS failed\n` });
  });

  it('refuses a method the API does not have', async () => {
    const result = await reprovision(['http://127.0.0.1:1', '--method', 'PUT']);
    assert.deepEqual(result, { code: 2, stdout: '', stderr: 'xprov: --method must be POST or GET\n' });
  });
});
