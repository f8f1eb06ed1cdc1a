import assert from 'node:assert/strict';
import { ConfigError, DpsError, StoreUnavailableError, UsageError, exitCodeFor } from '../src/errors.js';

describe('the error catalogue', () => {
  it('maps configuration and usage errors to exit code 2, and nothing else', () => {
    assert.equal(exitCodeFor(new ConfigError('store must not be empty')), 2);
    assert.equal(exitCodeFor(new UsageError("unknown option '--x'")), 2);
    assert.equal(exitCodeFor(new StoreUnavailableError('no store file')), undefined);
    assert.equal(exitCodeFor(new DpsError('unavailable', 'DPS is down')), undefined);
    assert.equal(exitCodeFor(new Error('bug')), undefined);
    assert.equal(exitCodeFor('thrown string'), undefined);
  });
});
