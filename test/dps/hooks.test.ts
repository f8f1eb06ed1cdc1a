import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runHook, runHooks } from '../../src/dps/hooks.js';
import { captureLog } from '../support/log-capture.js';
import { tempDir } from '../support/tmp.js';

const change = { oldHub: 'old.azure-devices.net', oldDeviceId: 'd-old', newHub: 'new.azure-devices.net', newDeviceId: 'd-new', substatus: 'deviceDataMigrated' };

describe('reprovision hooks', () => {
  it('runs argv without a shell, with the old and new assignment in the environment', async () => {
    const out = path.join(tempDir(), 'env.txt');
    const script = `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify([process.argv.slice(1), process.env.XPROV_OLD_HUB, process.env.XPROV_OLD_DEVICE_ID, process.env.XPROV_NEW_HUB, process.env.XPROV_NEW_DEVICE_ID, process.env.XPROV_SUBSTATUS]))`;
    assert.deepEqual(await runHook({ argv: [process.execPath, '-e', script, '$HOME', '; rm -rf /'], timeoutMs: 10_000 }, change), { ok: true });
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), [['$HOME', '; rm -rf /'], 'old.azure-devices.net', 'd-old', 'new.azure-devices.net', 'd-new', 'deviceDataMigrated']);
  });

  it('reports failures: exit codes, timeouts, missing programs', async () => {
    assert.deepEqual(await runHook({ argv: [process.execPath, '-e', 'process.exit(3)'], timeoutMs: 10_000 }, change), { ok: false, reason: `${process.execPath} exited with 3` });
    assert.deepEqual(await runHook({ argv: [process.execPath, '-e', 'setTimeout(() => {}, 60000)'], timeoutMs: 200 }, change), { ok: false, reason: `${process.execPath} did not finish within 200 ms and was killed` });
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
    assert.deepEqual(lines().map((l) => l.msg), ['reprovision hook failed', 'reprovision hook done']);
    assert.ok(!JSON.stringify(lines()).includes('printed-by-hook'));
  });
});
