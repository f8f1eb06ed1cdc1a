import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runHook, runHooks } from '../../src/dps/hooks.js';
import { captureLog } from '../support/log-capture.js';
import { eventually } from '../support/eventually.js';
import { tempDir } from '../support/tmp.js';

/** True while `pid` runs; a zombie (killed, not yet reaped by its new parent) counts as gone. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const change = {
  oldHub: 'old.azure-devices.net',
  oldDeviceId: 'd-old',
  newHub: 'new.azure-devices.net',
  newDeviceId: 'd-new',
  substatus: 'deviceDataMigrated',
};

describe('reprovision hooks', () => {
  it('runs argv without a shell, with the old and new assignment in the environment', async () => {
    const out = path.join(tempDir(), 'env.txt');
    const script = `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify([process.argv.slice(1), process.env.XPROV_OLD_HUB, process.env.XPROV_OLD_DEVICE_ID, process.env.XPROV_NEW_HUB, process.env.XPROV_NEW_DEVICE_ID, process.env.XPROV_SUBSTATUS]))`;
    assert.deepEqual(await runHook({ argv: [process.execPath, '-e', script, '$HOME', '; rm -rf /'], timeoutMs: 10_000 }, change), { ok: true });
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), [
      ['$HOME', '; rm -rf /'],
      'old.azure-devices.net',
      'd-old',
      'new.azure-devices.net',
      'd-new',
      'deviceDataMigrated',
    ]);
  });

  it('reports failures: exit codes, timeouts, missing programs', async () => {
    assert.deepEqual(await runHook({ argv: [process.execPath, '-e', 'process.exit(3)'], timeoutMs: 10_000 }, change), {
      ok: false,
      reason: `${process.execPath} exited with 3`,
    });
    assert.deepEqual(await runHook({ argv: [process.execPath, '-e', 'setTimeout(() => {}, 60000)'], timeoutMs: 200 }, change), {
      ok: false,
      reason: `${process.execPath} did not finish within 200 ms and was killed`,
    });
    assert.deepEqual(await runHook({ argv: ['/nonexistent/hook'], timeoutMs: 1000 }, change), { ok: false, reason: 'cannot run /nonexistent/hook (ENOENT)' });
  });

  it('runs all hooks in order and logs how each ended, not what it printed', async () => {
    const { log, lines } = captureLog();
    const failures = await runHooks(
      [
        { argv: [process.execPath, '-e', 'console.log("printed-by-hook"); process.exit(1)'], timeoutMs: 10_000 },
        { argv: [process.execPath, '-e', ''], timeoutMs: 10_000 },
      ],
      change,
      log,
    );
    assert.deepEqual(failures, [`${process.execPath} exited with 1`]);
    assert.deepEqual(
      lines().map((l) => l.msg),
      ['reprovision hook failed', 'reprovision hook done'],
    );
    assert.ok(!JSON.stringify(lines()).includes('printed-by-hook'));
  });

  it('kills the whole process group at the timeout: a grandchild the hook started dies too', async () => {
    // Before: only the hook was killed, and its `sleep` lived on, reparented to init.
    const pidFile = path.join(tempDir(), 'grandchild.pid');
    const script = `const c = require('child_process').spawn('sleep', ['60'], { stdio: 'ignore' }); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setTimeout(() => {}, 60000);`;
    const outcome = await runHook({ argv: [process.execPath, '-e', script], timeoutMs: 500 }, change);
    assert.deepEqual(outcome, { ok: false, reason: `${process.execPath} did not finish within 500 ms and was killed` });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(grandchild > 0);
    // SIGKILL is delivered at once, but the zombie is reaped by init a moment later.
    await eventually(async () => assert.equal(alive(grandchild), false, `grandchild ${grandchild} survived`), 3000);
  });

  it('reports a hook that cannot be spawned (not executable, not found) without crashing, and runs the next', async () => {
    const dir = tempDir();
    const notExecutable = path.join(dir, 'hook.sh');
    writeFileSync(notExecutable, '#!/bin/sh\nexit 0\n');
    chmodSync(notExecutable, 0o644);
    const { log, lines } = captureLog();
    const failures = await runHooks(
      [
        { argv: [notExecutable], timeoutMs: 1000 },
        { argv: [path.join(dir, 'missing')], timeoutMs: 1000 },
        { argv: [dir], timeoutMs: 1000 },
        // spawn() throws at once for this one (a NUL byte in argv, which YAML can carry): before, that rejected the registration.
        { argv: ['/bin/echo', 'a\u0000b'], timeoutMs: 1000 },
        { argv: [process.execPath, '-e', ''], timeoutMs: 10_000 },
      ],
      change,
      log,
    );
    assert.deepEqual(failures, [
      `cannot run ${notExecutable} (EACCES)`,
      `cannot run ${path.join(dir, 'missing')} (ENOENT)`,
      `cannot run ${dir} (EACCES)`,
      'cannot run /bin/echo (ERR_INVALID_ARG_VALUE)',
    ]);
    assert.deepEqual(
      lines().map((l) => l.msg),
      [...Array(4).fill('reprovision hook failed'), 'reprovision hook done'],
    );
  });

  it("gives a hook only PATH and the XPROV_ assignment variables: nothing of xprov's environment", async () => {
    const out = path.join(tempDir(), 'env.json');
    process.env.XPROV_TEST_SECRET = 'hook-env-secret-value';
    try {
      const script = `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(process.env).sort()))`;
      assert.deepEqual(await runHook({ argv: [process.execPath, '-e', script], timeoutMs: 10_000 }, change), { ok: true });
    } finally {
      delete process.env.XPROV_TEST_SECRET;
    }
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), [
      'PATH',
      'XPROV_NEW_DEVICE_ID',
      'XPROV_NEW_HUB',
      'XPROV_OLD_DEVICE_ID',
      'XPROV_OLD_HUB',
      'XPROV_SUBSTATUS',
    ]);
  });

  it('kills a running hook group when aborted (xprov stopping)', async () => {
    const controller = new AbortController();
    const running = runHook({ argv: [process.execPath, '-e', 'setTimeout(() => {}, 60000)'], timeoutMs: 60_000 }, change, controller.signal);
    setImmediate(() => controller.abort());
    const outcome = await running;
    assert.equal(outcome.ok, false);
  });
});
