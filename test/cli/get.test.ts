/**
 * `xprov get` (in-process, and once as the shipped bin): what the daemon would
 * provision with, masked unless asked.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import YAML from 'yaml';
import { maskSecret } from '../../src/contract/mask.js';
import { type CommandRun, runCommand } from '../support/cli-run.js';
import { json, serveFake } from '../support/fake-endpoint.js';
import { registerSecret } from '../support/secrets.js';
import { tempDir } from '../support/tmp.js';
import { runXprov } from '../support/xprov-process.js';

const KEY = randomBytes(32).toString('base64');
registerSecret(KEY);
const INFO = {
  hubName: 'hub.azure-devices.net',
  deviceId: 'dev1',
  credentials: { authType: 'symmetric-key', source: 'payload', key: KEY },
  status: 'assigned',
};

function get(args: readonly string[]): Promise<CommandRun> {
  return runCommand(['get', ...args]);
}

describe('xprov get', () => {
  it('prints what the daemon would provision with as YAML, the key masked', async () => {
    const fake = await serveFake((_req, res) => json(res, 200, { ...INFO, substatus: null, extra: 'ignored' }));
    const { code, stdout, stderr } = await get([fake.endpoint]);
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.deepEqual(YAML.parse(stdout), { ...INFO, credentials: { ...INFO.credentials, key: maskSecret(KEY) } });
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.url}`),
      ['GET /device/provisioninginformation?api-version=2019-04-10'],
    );
  });

  it('prints JSON with --json, and the secrets with --show-secrets', async () => {
    // Not a registered secret: this test prints it on purpose.
    const visibleKey = Buffer.alloc(32, 9).toString('base64');
    const fake = await serveFake((_req, res) => json(res, 200, { ...INFO, credentials: { ...INFO.credentials, key: visibleKey } }), 'tcp');
    const { code, stdout } = await get([fake.endpoint, '--json', '--show-secrets']);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(stdout), { ...INFO, credentials: { ...INFO.credentials, key: visibleKey } });
  });

  it('exits 1 with the reason on an error answer or one the daemon would refuse', async () => {
    const down = await serveFake((_req, res) => json(res, 503, { message: `no valid provisioning information: key=${KEY}` }));
    const failed = await get([down.endpoint]);
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout, '');
    assert.equal(failed.stderr, `xprov: ${down.endpoint} answered 503: no valid provisioning information: key=[redacted]\n`);

    const broken = await serveFake((_req, res) => json(res, 200, { ...INFO, status: 'none' }));
    const refused = await get([broken.endpoint]);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      `xprov: ${broken.endpoint} answered 200: the daemon would refuse this answer: status must be one of: assigned, assigning, disabled, failed, unassigned (absent means assigned)\n`,
    );

    const missing = `unix://${path.join(tempDir(), 'none.sock')}`;
    const unreachable = await get([missing]);
    assert.equal(unreachable.code, 1);
    assert.equal(unreachable.stderr, `xprov: cannot reach ${missing}: no socket file at that path\n`);
  });

  it('runs as the shipped bin (smoke test)', async () => {
    const fake = await serveFake((_req, res) => json(res, 200, INFO));
    const proc = runXprov(['get', fake.endpoint, '--json']);
    assert.equal(await proc.exited, 0, proc.stderr());
    assert.deepEqual(JSON.parse(proc.stdout()), { ...INFO, credentials: { ...INFO.credentials, key: maskSecret(KEY) } });
  });

  it('refuses bad usage with exit code 2', async () => {
    const result = await get(['--json']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'xprov: get takes exactly one ENDPOINT (unix:///path.sock or http://host:port); see xprov get --help\n');
  });
});
