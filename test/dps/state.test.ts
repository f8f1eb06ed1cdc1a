import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RegistrationState, type SavedRegistration } from '../../src/dps/state.js';
import { ConfigError } from '../../src/errors.js';
import { makeFifo, settlesWithin } from '../support/fifo.js';
import { tempDir } from '../support/tmp.js';

function saved(hub: string): SavedRegistration {
  return {
    identity: { endpoint: 'dps.example:8443', idScope: '0ne1', registrationId: 'dev1' },
    result: { assignedHub: hub, deviceId: 'dev1', status: 'assigned', substatus: 'initialAssignment' },
    registeredAt: '2026-11-30T00:00:00.000Z',
  };
}

describe('DPS registration state', () => {
  it('refuses a state directory others can write, or a state file owned by nobody (either could be forged)', async () => {
    const dir = tempDir();
    await new RegistrationState(dir).save(saved('hub-a'));
    chmodSync(dir, 0o777);
    const state = new RegistrationState(dir);
    await assert.rejects(
      state.load(),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message ===
          `DPS state directory ${dir} has owner root and mode 0777 (writable by group, writable by others); fix: chmod g-w,o-w ${dir} (or run with --insecure-permissions)`,
    );
    await assert.rejects(state.save(saved('hub-b')), /DPS state directory .* writable by others/);
    const warnings: string[] = [];
    assert.equal(((await new RegistrationState(dir, { insecurePermissions: true, warn: (w) => warnings.push(w) }).load()) as { kind: string }).kind, 'ok');
    assert.match(warnings[0] ?? '', /^DPS state directory .*; used anyway \(--insecure-permissions\)$/);
    chmodSync(dir, 0o700);
    chownSync(state.file, 65534, 65534);
    await assert.rejects(
      state.load(),
      (err: unknown) =>
        err instanceof ConfigError &&
        /^DPS state file .* has owner nobody \(uid 65534\) and mode 0600 \(not owned by root\); fix: chown root /.test(err.message),
    );
  });

  it('refuses a FIFO as state file at once', async function () {
    this.timeout(5000);
    const dir = tempDir();
    const state = new RegistrationState(dir);
    makeFifo(state.file);
    await assert.rejects(settlesWithin(state.load(), 1000, state.file), /DPS state file .* is a FIFO \(named pipe\), not a regular file$/);
  });

  it('finds nothing in a fresh directory, then loads what it saved (mode 0600)', async () => {
    const state = new RegistrationState(path.join(tempDir(), 'state'));
    assert.deepEqual(await state.load(), { kind: 'none' });
    await state.save(saved('hub-a'));
    assert.deepEqual(await state.load(), { kind: 'ok', saved: saved('hub-a'), fromBackup: false, corruptPrimary: false });
    assert.equal(statSync(state.file).mode & 0o777, 0o600);
    assert.equal(statSync(state.dir).mode & 0o777, 0o700);
  });

  it('keeps the previous good result as a backup', async () => {
    const state = new RegistrationState(tempDir());
    await state.save(saved('hub-a'));
    await state.save(saved('hub-b'));
    assert.match(readFileSync(state.backup, 'utf8'), /hub-a/);
    assert.match(readFileSync(state.file, 'utf8'), /hub-b/);
  });

  for (const [name, damage, problem] of [
    ['truncated', (text: string) => text.slice(0, text.length / 2), 'not valid JSON (partly written?)'],
    ['edited (checksum mismatch)', (text: string) => text.replace('hub-b', 'hub-x'), 'checksum mismatch'],
    ['emptied', () => '', 'not valid JSON (partly written?)'],
    ['not a state', () => '{"format": 1}', 'not a format 1 state (format, identity, result, registeredAt)'],
  ] as const) {
    it(`never uses a ${name} state file: falls back to the backup`, async () => {
      const state = new RegistrationState(tempDir());
      await state.save(saved('hub-a'));
      await state.save(saved('hub-b'));
      writeFileSync(state.file, damage(readFileSync(state.file, 'utf8')));
      assert.deepEqual(await state.load(), {
        kind: 'ok',
        saved: saved('hub-a'),
        fromBackup: true,
        corruptPrimary: true,
        problem: `dps-registration.json: ${problem}`,
      });
    });
  }

  /** A state file as anyone who can write the directory could forge it: the checksum is no signature. */
  function forged(result: Record<string, unknown>): string {
    const { identity, registeredAt } = saved('x');
    const sha256 = createHash('sha256')
      .update(JSON.stringify([identity, result, registeredAt]))
      .digest('hex');
    return JSON.stringify({ format: 1, identity, result, registeredAt, sha256 });
  }

  // Each was served before the check on load; the NUL one crashed xprov at start-up.
  for (const [name, result, rule] of [
    ['a NUL in the hub', { assignedHub: 'hub\u0000.azure-devices.net', deviceId: 'dev1', status: 'assigned' }, /assignedHub must not contain CR, LF, NUL/],
    ['a path in the hub', { assignedHub: 'evil.example/x', deviceId: 'dev1', status: 'assigned' }, /assignedHub must not contain/],
    ['a user part in the hub', { assignedHub: 'user@evil.example', deviceId: 'dev1', status: 'assigned' }, /assignedHub must not contain/],
    ['a LF in the device id', { assignedHub: 'hub.azure-devices.net', deviceId: 'dev1\nlevel=fatal', status: 'assigned' }, /deviceId must not contain/],
    [
      'an unknown substatus',
      { assignedHub: 'hub.azure-devices.net', deviceId: 'dev1', status: 'assigned', substatus: 'wiped' },
      /substatus must be one of the spec's/,
    ],
  ] as const) {
    it(`treats a state file with ${name} (and a valid checksum) as corrupt`, async () => {
      const state = new RegistrationState(tempDir());
      await state.save(saved('hub-a'));
      writeFileSync(state.file, forged(result));
      const loaded = await state.load();
      assert.equal(loaded.kind, 'corrupt');
      assert.match(loaded.kind === 'corrupt' ? loaded.problem : '', rule);
      assert.ok(!(loaded.kind === 'corrupt' && /evil|level=fatal|wiped/.test(loaded.problem)), 'the problem quotes no value');
    });
  }

  it('never turns a corrupt file into the backup, and reports corrupt when neither file is usable', async () => {
    const state = new RegistrationState(tempDir());
    await state.save(saved('hub-a'));
    await state.save(saved('hub-b'));
    writeFileSync(state.file, '{broken');
    await state.save(saved('hub-c'));
    assert.match(readFileSync(state.backup, 'utf8'), /hub-a/, 'the good backup survives a save over a corrupt file');
    assert.deepEqual(await state.load(), { kind: 'ok', saved: saved('hub-c'), fromBackup: false, corruptPrimary: false });
    writeFileSync(state.file, '{broken');
    writeFileSync(state.backup, '{broken too');
    assert.deepEqual(await state.load(), {
      kind: 'corrupt',
      problem: 'dps-registration.json: not valid JSON (partly written?); dps-registration.json.bak: not valid JSON (partly written?)',
    });
  });
});
