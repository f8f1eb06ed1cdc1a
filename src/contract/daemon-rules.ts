/**
 * The IoT Edge daemon's own acceptance rules for provisioning information, beyond what
 * the spec's schema can say (see shared/reference/iotedged-client.md). xprov checks
 * them before serving anything, so that it never serves an answer the daemon would
 * refuse at start-up, where the failure is far harder to diagnose.
 *
 * Problems name the field and the rule, never the value: values here are secrets.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { DeviceProvisioningInfo } from '../contract/types.js';

/**
 * True when `text` is canonical standard base64 (RFC 4648 alphabet, `=` padding, no
 * whitespace, zero trailing bits), the only form the daemon's decoder accepts.
 * Node's decoder is lenient, so canonical form is checked by re-encoding.
 */
export function isStandardBase64(text: string): boolean {
  return text.length > 0 && text.length % 4 === 0 && Buffer.from(text, 'base64').toString('base64') === text;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----/;
const PEM_ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

/** Problems with base64-of-PEM certificate material, as the daemon would write and load it. */
function certificateProblems(field: string, value: string): string[] {
  if (!isStandardBase64(value)) {
    return [`${field} must be standard base64 of the PEM text`];
  }
  const pem = Buffer.from(value, 'base64').toString('utf8');
  if (!PEM_CERT.test(pem)) {
    return [`${field} must be base64 of PEM text with a CERTIFICATE block`];
  }
  try {
    new X509Certificate(pem);
  } catch {
    return [`${field} holds a PEM CERTIFICATE block that does not parse`];
  }
  return [];
}

/** Problems with base64-of-PEM private key material. */
function privateKeyProblems(field: string, value: string): string[] {
  if (!isStandardBase64(value)) {
    return [`${field} must be standard base64 of the PEM text`];
  }
  const pem = Buffer.from(value, 'base64').toString('utf8');
  if (PEM_ENCRYPTED_KEY.test(pem)) {
    return [`${field} is an encrypted private key; the daemon cannot decrypt it`];
  }
  try {
    createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return [`${field} must be base64 of a PEM private key that parses`];
  }
  return [];
}

/**
 * Every reason the daemon would refuse `info` (already valid against the spec's
 * schema); empty when it would accept it.
 */
export function daemonRefusals(info: DeviceProvisioningInfo): string[] {
  const { authType, source, key, identityCert, identityPrivateKey } = info.credentials;
  const problems: string[] = [];
  if (authType === 'symmetric-key') {
    if (identityCert !== undefined || identityPrivateKey !== undefined) {
      problems.push('credentials.identityCert and identityPrivateKey are only for authType x509');
    }
    if (source === 'payload') {
      if (key === undefined) {
        problems.push('credentials.key is required for symmetric-key with source payload');
      } else if (!isStandardBase64(key)) {
        problems.push('credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)');
      }
    } else if (key !== undefined) {
      // The daemon would ignore it, but handing over a secret it does not need is a leak.
      problems.push('credentials.key must not be set with source hsm (the HSM holds the key)');
    }
    return problems;
  }
  if (key !== undefined) {
    problems.push('credentials.key is only for authType symmetric-key');
  }
  for (const [field, value] of [
    ['credentials.identityCert', identityCert],
    ['credentials.identityPrivateKey', identityPrivateKey],
  ] as const) {
    if (value === undefined || value === '') {
      problems.push(`${field} is required for authType x509`);
    }
  }
  if (problems.length > 0 || source === 'hsm') {
    return problems;
  }
  return [
    ...certificateProblems('credentials.identityCert', identityCert ?? ''),
    ...privateKeyProblems('credentials.identityPrivateKey', identityPrivateKey ?? ''),
  ];
}
