/**
 * DPS symmetric-key authentication: SAS tokens and group-enrollment key derivation
 * (DPS's device registration REST API). Keys are base64 strings and never leave these
 * functions except as signatures.
 */
import { createHmac } from 'node:crypto';

function hmacBase64(keyBase64: string, message: string): string {
  return createHmac('sha256', Buffer.from(keyBase64, 'base64')).update(message, 'utf8').digest('base64');
}

/**
 * The device key of a group enrollment: HMAC-SHA256 of the registration id under the
 * group key. Only this derived key is ever served; the group key stays in xprov.
 */
export function deriveDeviceKey(groupKeyBase64: string, registrationId: string): string {
  return hmacBase64(groupKeyBase64, registrationId);
}

/** What a registration SAS token is made of. */
export interface SasTokenInput {
  readonly idScope: string;
  readonly registrationId: string;
  /** The device key (individual enrollment, or derived from the group key), base64. */
  readonly deviceKeyBase64: string;
  /** Expiry, Unix seconds. */
  readonly expiresAt: number;
}

/**
 * `SharedAccessSignature sr=…&sig=…&se=…&skn=registration` in the documented form:
 * `sr` URL-encoded, and the signature taken over the encoded resource.
 */
export function registrationSasToken({ idScope, registrationId, deviceKeyBase64, expiresAt }: SasTokenInput): string {
  const resource = encodeURIComponent(`${idScope}/registrations/${registrationId}`);
  const signature = hmacBase64(deviceKeyBase64, `${resource}\n${expiresAt}`);
  return `SharedAccessSignature sr=${resource}&sig=${encodeURIComponent(signature)}&se=${expiresAt}&skn=registration`;
}
