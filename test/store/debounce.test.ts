import assert from 'node:assert/strict';
import { Debouncer } from '../../src/store/debounce.js';
import { ManualTimers } from '../support/manual-timers.js';

describe('debounce with a maximum wait', () => {
  let timers: ManualTimers;
  let calls: number[];
  let debouncer: Debouncer;

  beforeEach(() => {
    timers = new ManualTimers(0);
    calls = [];
    debouncer = new Debouncer(() => calls.push(timers.now()), { quietMs: 50, maxWaitMs: 500, timers });
  });

  it('calls once, the quiet time after the last of a burst', () => {
    for (let i = 0; i < 5; i++) {
      debouncer.trigger();
      timers.advance(10);
    }
    timers.advance(1000);
    assert.deepEqual(calls, [90]);
  });

  it('calls at the maximum wait under a steady stream of events, and again and again while it lasts', () => {
    // An event every 20 ms for 3 s: never quiet for 50 ms.
    for (let t = 0; t < 3000; t += 20) {
      debouncer.trigger();
      timers.advance(20);
    }
    assert.ok(calls.length >= 5, `${calls.length} calls in 3 s of events`);
    assert.equal(calls[0], 500);
    for (const [i, at] of calls.entries()) {
      assert.ok(at - (i === 0 ? 0 : (calls[i - 1] ?? 0)) <= 520, `call ${i} came ${at - (calls[i - 1] ?? 0)} ms after the one before`);
    }
  });

  it('drops a pending call when cancelled, and starts afresh after', () => {
    debouncer.trigger();
    debouncer.cancel();
    timers.advance(1000);
    assert.deepEqual(calls, []);
    debouncer.trigger();
    timers.advance(60);
    assert.deepEqual(calls, [1050]);
  });
});
