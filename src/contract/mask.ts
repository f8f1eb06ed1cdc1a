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
import { isShownKey } from './schema-messages.js';

/** Fields whose values are secret wherever they appear. */
const SECRET_FIELDS = new Set(['key', 'identityCert', 'identityPrivateKey']);
/** Fields whose (string) values are names and enums, shown as they are. */
const PLAIN_FIELDS = new Set(['hubName', 'deviceId', 'status', 'substatus', 'authType', 'source']);

/** Short names with digits (`x509`, `tpm2`): too short to be a secret worth the name. */
const SHORT_NAME = /^[A-Za-z][A-Za-z0-9]{0,7}$/;

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
    // A name with a space or line break is not a name: YAML folded a line below it
    // (perhaps a secret) into it.
    return /[\s\p{Cc}]/u.test(value) ? maskSecret(value) : value;
  }
  return maskJson(value);
}

/**
 * A field name as shown: itself when it looks like one, else masked like a secret. A
 * typo turns a value into a name (`key:SECRET`, a missing space, is one YAML key).
 */
export function maskKey(name: string): string {
  return isShownKey(name) || SHORT_NAME.test(name) ? name : `<masked field name: ${maskSecret(name).slice('<masked: '.length)}`;
}

/**
 * A copy of a JSON value with every secret field masked, every field name that may
 * be a value masked (maskKey) and every other free text (unknown fields, error
 * messages) passed through redactSecrets.
 */
export function maskJson(value: unknown): unknown {
  if (typeof value === 'string') {
    return redactSecrets(value);
  }
  if (Array.isArray(value)) {
    return value.map((item) => maskJson(item));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, field]) => [maskKey(name), maskField(name, field)]));
  }
  return value;
}
