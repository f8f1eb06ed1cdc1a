import assert from 'node:assert/strict';
import { StateSaver } from '../../src/dps/state-saver.js';
import type { RegistrationState, SavedRegistration } from '../../src/dps/state.js';
import { captureLog } from '../support/log-capture.js';

const saved: SavedRegistration = {
  identity: { endpoint: 'dps.example', idScope: '0ne1', registrationId: 'dev1' },
  result: { assignedHub: 'hub-b.azure-devices.net', deviceId: 'dev1', status: 'assigned' },
  registeredAt: '2026-11-30T00:00:00.000Z',
};

/** A state whose writes wait for the test to settle them. */
function controlledState(): { state: RegistrationState; writes: { reject: (err: Error) => void }[] } {
  const writes: { reject: (err: Error) => void }[] = [];
  const state = {
    file: '/var/lib/xprov/dps-registration.json',
    save: () => new Promise<void>((_resolve, reject) => writes.push({ reject })),
  } as unknown as RegistrationState;
  return { state, writes };
}

describe('DPS state saver', () => {
  it('schedules no retry for a write that fails while stopping: close() makes the one last attempt', async () => {
    const { state, writes } = controlledState();
    const { log, lines } = captureLog();
    const saver = new StateSaver(state, log, { initialMs: 10, maxMs: 10 }, undefined);
    const saving = saver.save(saved);
    await new Promise(setImmediate);
    const closing = saver.close();
    writes[0]?.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    await saving;
    await new Promise(setImmediate);
    writes[1]?.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    await closing;
    assert.equal(writes.length, 2, 'the write under way, then the last attempt');
    assert.deepEqual(
      lines().map((l) => l.msg),
      ['cannot save the DPS registration at stop; the next start finds no saved registration and registers again'],
    );
    assert.equal(saver.pending, true);
  });
});
