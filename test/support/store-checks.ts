/** Assertions shared by the tests of the stores. */
import assert from 'node:assert/strict';
import { StoreUnavailableError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';

/** The message of the StoreUnavailableError `store` answers with now; fails when it serves. */
export async function unavailable(store: Store): Promise<string> {
  try {
    await store.getProvisioningInfo();
  } catch (err) {
    assert.ok(err instanceof StoreUnavailableError);
    return err.message;
  }
  assert.fail('expected StoreUnavailableError');
}
