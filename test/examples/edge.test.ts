/**
 * The IoT Edge 1.2+ units (examples/edge): systemd verifies them, the directives the
 * boot order relies on are asserted, and the aziot-edged drop-in's exit-154 command runs
 * for real (the shipped bin, a fake systemctl on PATH, a fake endpoint).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { json, serveFake } from '../support/fake-endpoint.js';
import { example, launcher } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

const SYNC = 'xprov-edge-sync.service';
const DROP_IN = 'aziot-edged.service.d/50-xprov-reprovision.conf';
const INFO = { hubName: 'hub.azure-devices.net', deviceId: 'dev1', credentials: { authType: 'symmetric-key', source: 'hsm' } };

function shipped(name: string): string {
  return readFileSync(example(`edge/${name}`), 'utf8');
}

/** The values of `key` in a unit's text (no continuations in these units). */
function directive(text: string, key: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

/** Every diagnostic `systemd-analyze verify` prints (also at debug level) about `files`. */
function verify(dir: string, units: readonly string[], files: readonly string[]): string[] {
  const problems: string[] = [];
  for (const level of ['info', 'debug']) {
    const res = spawnSync('systemd-analyze', ['verify', ...units.map((u) => path.join(dir, u))], {
      encoding: 'utf8',
      env: { ...process.env, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: 'cat', SYSTEMD_LOG_LEVEL: level },
      timeout: 15_000,
    });
    if (res.error) throw new Error(`cannot run systemd-analyze (${res.error.message}); \`make tools\` installs it`);
    if (res.status !== 0) problems.push(`systemd-analyze verify exited ${String(res.status)}`);
    const lines = res.stderr.split('\n').filter((l) => l.trim() !== '');
    problems.push(...(level === 'info' ? lines : lines.filter((l) => files.some((f) => l.startsWith(`${path.join(dir, f)}:`)))));
  }
  return [...new Set(problems)];
}

describe('examples/edge (IoT Edge 1.2 and later)', () => {
  it('passes systemd-analyze verify: the sync unit, and the drop-in on a stand-in aziot-edged.service', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'aziot-edged.service.d'));
    writeFileSync(path.join(dir, SYNC), shipped(SYNC));
    writeFileSync(path.join(dir, DROP_IN), shipped(DROP_IN));
    // aziot-edged.service comes with IoT Edge; a minimal stand-in carries the drop-in here.
    writeFileSync(path.join(dir, 'aziot-edged.service'), '[Unit]\nDescription=stand-in\n\n[Service]\nExecStart=/bin/true\nRestart=on-failure\n');
    assert.deepEqual(verify(dir, [SYNC, 'aziot-edged.service'], [SYNC, DROP_IN]), []);
  });

  it('syncs once per boot, before aziot starts, without restarting it, with the key on a tmpfs', () => {
    const unit = shipped(SYNC);
    assert.deepEqual(directive(unit, 'Type'), ['oneshot']);
    assert.deepEqual(directive(unit, 'Before')[0]?.split(' '), ['aziot-keyd.service', 'aziot-certd.service', 'aziot-identityd.service', 'aziot-edged.service']);
    const [exec] = directive(unit, 'ExecStart');
    assert.match(exec ?? '', / edge sync --endpoint \S+ --secrets-dir \/run\/xprov-edge --no-restart$/);
    assert.deepEqual(directive(unit, 'RuntimeDirectory'), ['xprov-edge']);
    assert.deepEqual(directive(unit, 'RuntimeDirectoryMode'), ['0711']);
  });

  for (const [status, reprovisions] of [
    ['154', true],
    ['0', false],
  ] as const) {
    it(`aziot-edged exiting ${status}: ${reprovisions ? 'the notice, a sync, then keyd, certd and identityd restarted' : 'nothing'}`, async () => {
      const root = tempDir();
      const log = path.join(root, 'systemctl.log');
      mkdirSync(path.join(root, 'bin'));
      writeFileSync(path.join(root, 'bin', 'systemctl'), `#!/bin/sh\necho "$*" >> '${log}'\n`);
      chmodSync(path.join(root, 'bin', 'systemctl'), 0o755);
      const fake = await serveFake((_req, res) => json(res, 200, INFO));
      const [command] = directive(shipped(DROP_IN), 'ExecStopPost');
      assert.ok(command !== undefined);
      const script = /^\/bin\/sh -c '(.*)'$/.exec(command)?.[1];
      assert.ok(script !== undefined, "ExecStopPost is /bin/sh -c '...'");
      const local = script
        .replace('/usr/bin/node /usr/lib/xprov/bin/xprov.cjs', `${process.execPath} ${launcher}`)
        .replace('unix:///run/xprov/api.sock', fake.endpoint)
        .replace('/run/xprov-edge', path.join(root, 'secrets'))
        .replace('edge reprovision', `edge reprovision --aziot-dir ${path.join(root, 'aziot')}`);
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn('/bin/sh', ['-c', local], {
          env: { PATH: `${path.join(root, 'bin')}:${process.env.PATH ?? ''}`, EXIT_STATUS: status },
          stdio: 'ignore',
        });
        child.on('exit', resolve);
      });
      assert.equal(code, 0);
      assert.deepEqual(
        fake.requests.map((r) => `${r.method} ${r.url}`),
        reprovisions ? ['GET /device/reprovision?api-version=2019-04-10', 'GET /device/provisioninginformation?api-version=2019-04-10'] : [],
      );
      assert.equal(existsSync(path.join(root, 'aziot', 'identityd', 'config.d', '50-xprov.toml')), reprovisions);
      assert.deepEqual(
        existsSync(log) ? readFileSync(log, 'utf8') : '',
        reprovisions ? '--no-block try-restart aziot-keyd.service aziot-certd.service aziot-identityd.service\n' : '',
      );
    });
  }
});
