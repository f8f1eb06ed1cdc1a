/**
 * What the DPS store's tests share: settings written for a DPS emulator, and the
 * StoreUnavailableError a refused call must reject with.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { StoreUnavailableError } from '../../src/errors.js';
import type { DpsEmulator } from './dps-emulator.js';

/**
 * Writes `dir/dps.yaml` for `dps`: its host and CA, state in `dir/state`, short
 * timeouts and no rate limit (most tests reprovision right after a registration; the
 * rate limit has its own tests), then `settings` on top. Mode 0600: settings holding a
 * key inline are refused readable by others (files/trust.ts). Returns the file.
 */
export function writeDpsSettings(dir: string, dps: DpsEmulator, settings: Record<string, unknown>): string {
  const file = path.join(dir, 'dps.yaml');
  const doc = {
    endpoint: dps.host,
    idScope: dps.idScope,
    trustedCaFile: dps.caCertFile,
    stateDir: path.join(dir, 'state'),
    registrationTimeoutMs: 4000,
    retryInitialDelayMs: 10,
    retryMaxDelayMs: 50,
    minRegistrationIntervalMs: 0,
    ...settings,
  };
  writeFileSync(file, YAML.stringify(doc), { mode: 0o600 });
  return file;
}

/** The message of the StoreUnavailableError `promise` rejects with; fails the test otherwise. */
export async function unavailable(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof StoreUnavailableError, String(err));
    return err.message;
  }
  assert.fail('expected StoreUnavailableError');
}
