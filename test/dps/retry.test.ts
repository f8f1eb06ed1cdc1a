import assert from 'node:assert/strict';
import { backoffDelay, parseRetryAfter } from '../../src/dps/retry.js';

describe('DPS retry timing', () => {
  const policy = { initialMs: 100, maxMs: 1000 };

  it('grows exponentially with full jitter up to the cap', () => {
    assert.equal(
      backoffDelay(policy, 0, undefined, () => 0.999),
      99,
    );
    assert.equal(
      backoffDelay(policy, 3, undefined, () => 0.5),
      400,
    );
    assert.equal(
      backoffDelay(policy, 10, undefined, () => 0.999),
      999,
    );
    assert.equal(
      backoffDelay(policy, 1000, undefined, () => 0.999),
      999,
      'huge attempt counts do not overflow',
    );
    assert.equal(
      backoffDelay(policy, 2, undefined, () => 0),
      0,
    );
  });

  it('never waits less than Retry-After', () => {
    assert.equal(
      backoffDelay(policy, 0, 5000, () => 0.5),
      5000,
    );
    assert.equal(
      backoffDelay(policy, 10, 10, () => 0.5),
      500,
    );
  });

  it('parses Retry-After seconds and ignores what it cannot read', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(['0']), 0);
    assert.equal(parseRetryAfter('1.5'), 1500);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT'), undefined);
    assert.equal(parseRetryAfter('-1'), undefined);
  });
});
