import assert from 'node:assert/strict';
import { isSocketActivated, takePassedSockets } from '../../src/server/systemd.js';

describe('systemd socket activation variables', () => {
  it('takes the passed sockets with their names and clears the variables', () => {
    const env: Record<string, string | undefined> = { LISTEN_PID: '42', LISTEN_FDS: '2', LISTEN_FDNAMES: 'xprov:other', PATH: '/bin' };
    assert.equal(isSocketActivated(env, 42), true);
    assert.deepEqual(takePassedSockets(env, 42), [
      { fd: 3, name: 'xprov' },
      { fd: 4, name: 'other' },
    ]);
    assert.deepEqual(env, { PATH: '/bin' });
  });

  it('defaults missing names to "unknown", as systemd does', () => {
    assert.deepEqual(takePassedSockets({ LISTEN_PID: '7', LISTEN_FDS: '2' }, 7), [
      { fd: 3, name: 'unknown' },
      { fd: 4, name: 'unknown' },
    ]);
  });

  it('ignores variables meant for another process or malformed', () => {
    for (const env of [
      { LISTEN_PID: '41', LISTEN_FDS: '1' },
      { LISTEN_PID: '42', LISTEN_FDS: '0' },
      { LISTEN_PID: '42', LISTEN_FDS: 'x' },
      { LISTEN_FDS: '1' },
    ]) {
      const copy = { ...env };
      assert.deepEqual(takePassedSockets(copy, 42), [], JSON.stringify(env));
      assert.deepEqual(copy, env, 'variables for another process are left alone');
    }
  });
});
