/**
 * The in-process CLI runs of test/support/cli-run.ts: what they print reaches the
 * secrets scan as a process's output does, stdin is what the test gave, and stop()
 * stops a server as SIGTERM does, with the process's signal handlers untouched.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import pkg from '../../package.json' with { type: 'json' };
import { privateStore, runCommand, serveCommand } from '../support/cli-run.js';
import { provisionLikeDaemon } from '../support/daemon-client.js';
import { recordedOutput } from '../support/secrets.js';
import { tempDir } from '../support/tmp.js';

describe('in-process CLI runs (test/support/cli-run.ts)', () => {
  it('hand what they print, stdout and stderr, to the secrets scan', async () => {
    const version = await runCommand(['--version']);
    assert.deepEqual(version, { code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    const unknown = await runCommand(['nope']);
    assert.equal(unknown.code, 2);
    const recorded = recordedOutput();
    assert.ok(
      recorded.some((o) => o.source === 'xprov --version (in-process stdout)' && o.text === `${pkg.version}\n`),
      'stdout recorded',
    );
    assert.ok(
      recorded.some((o) => o.source === 'xprov nope (in-process stderr)' && o.text === unknown.stderr),
      'stderr recorded',
    );
  });

  it('give the command the stdin the test gave', async () => {
    const file = path.join(tempDir(), 'provisioning.yaml');
    // Not registered as a secret: the test reads it back from the file, nothing prints it.
    const key = Buffer.from('cli-run stdin test key, not secret').toString('base64');
    const res = await runCommand(['store', 'set', '--store', file, '--hub', 'h.azure-devices.net', '--device', 'd', '--key-file', '-', '--no-backup'], {
      input: key,
    });
    assert.deepEqual(res, { code: 0, stdout: `wrote ${file}\n`, stderr: '' });
    assert.equal((YAML.parse(readFileSync(file, 'utf8')) as { credentials: { key: string } }).credentials.key, key);
  });

  it('stop a server as SIGTERM does, without touching the process signal handlers', async () => {
    const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const endpoint = `unix://${path.join(tempDir(), 'x.sock')}`;
    const xprov = await serveCommand(['--store', privateStore('symmetric-key-hsm.yaml'), '--listen', endpoint]);
    assert.deepEqual([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')], before);
    assert.equal((await provisionLikeDaemon(endpoint)).deviceId, 'example-device');
    assert.equal(await xprov.stop(), 0);
    assert.equal(xprov.running(), false);
    assert.deepEqual(
      xprov
        .logLines()
        .filter((l) => l.msg === 'stopping: finishing in-flight requests' || l.msg === 'stopped')
        .map((l) => [l.msg, l.signal ?? l.clean]),
      [
        ['stopping: finishing in-flight requests', 'SIGTERM'],
        ['stopped', true],
      ],
    );
  });
});
