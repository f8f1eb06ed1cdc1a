/**
 * Masks the secrets of provisioning answers for display (`xprov check`, `xprov get`):
 * a secret is shown as its length and a short fingerprint, enough to tell whether two
 * devices got the same key, never enough to use it.
 *
 * Masked by field name, whatever the value's type, because the answers come from
 * endpoints xprov does not control. `identityCert` is masked too: in payload mode it is
 * public, but in hsm mode it is a reference that may embed a PIN (PKCS#11 URIs can),
 * and a broken endpoint may have put key material in it.
 */
import { createHash } from 'node:crypto';
import { redactSecrets } from '../redact.js';

/** Fields whose values are secret wherever they appear. */
const SECRET_FIELDS = new Set(['key', 'identityCert', 'identityPrivateKey']);
/** Fields whose (string) values are names and enums, shown as they are. */
const PLAIN_FIELDS = new Set(['hubName', 'deviceId', 'status', 'substatus', 'authType', 'source']);

/** `value` as `<masked: N chars, sha256 abcd1234>`. */
export function maskSecret(value: string): string {
  const fingerprint = createHash('sha256').update(value).digest('hex').slice(0, 8);
  return `<masked: ${value.length} chars, sha256 ${fingerprint}>`;
}

function maskField(name: string, value: unknown): unknown {
  if (SECRET_FIELDS.has(name)) {
    if (typeof value === 'string') {
      return maskSecret(value);
    }
    return value === null || value === undefined ? value : '<masked>';
  }
  if (PLAIN_FIELDS.has(name) && typeof value === 'string') {
    return value;
  }
  return maskJson(value);
}

/**
 * A copy of a JSON value with every secret field masked and every other free text
 * (unknown fields, error messages) passed through redactSecrets.
 */
export function maskJson(value: unknown): unknown {
  if (typeof value === 'string') {
    return redactSecrets(value);
  }
  if (Array.isArray(value)) {
    return value.map((item) => maskJson(item));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, field]) => [name, maskField(name, field)]));
  }
  return value;
}
