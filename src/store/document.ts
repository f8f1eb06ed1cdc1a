/**
 * Parses and checks a store document: YAML or JSON text shaped exactly like
 * DeviceProvisioningInfo. Checked with the precompiled validator generated from the
 * spec (closed to unknown keys, to catch typos) and then with the daemon's own rules.
 * Problems name fields and positions, never values or source excerpts.
 */
import { validateDeviceProvisioningInfo } from '../../generated/validators.js';
import { daemonRefusals } from '../contract/daemon-rules.js';
import { schemaMessages } from '../contract/schema-messages.js';
import type { DeviceProvisioningInfo } from '../contract/types.js';
import { parseYamlStrict } from '../yaml-text.js';

/** The outcome of checking a document: the info to serve, or every problem found. */
export type DocumentResult =
  | { readonly ok: true; readonly info: DeviceProvisioningInfo }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Parses `text` (YAML 1.2, which includes JSON) and checks it. Duplicate keys are
 * refused: they would make what is served ambiguous.
 */
export function checkStoreDocument(text: string): DocumentResult {
  const parsed = parseYamlStrict(text);
  if (!parsed.ok) {
    return parsed;
  }
  const value = parsed.value;
  if (!validateDeviceProvisioningInfo(value)) {
    return { ok: false, problems: schemaMessages(validateDeviceProvisioningInfo.errors ?? []) };
  }
  const refusals = daemonRefusals(value);
  if (refusals.length > 0) {
    return { ok: false, problems: refusals };
  }
  return { ok: true, info: value };
}
