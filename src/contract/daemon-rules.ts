/**
 * The IoT Edge daemon's own acceptance rules for provisioning information, beyond what
 * the spec's schema can say (IoT Edge 1.0.x-1.1, Azure/iotedge edgelet/). xprov checks
 * them before serving anything, so that it never serves an answer the daemon would
 * refuse at start-up, where the failure is far harder to diagnose.
 *
 * Problems name the field and the rule, never the value: values here are secrets.
 */
import type { DeviceProvisioningInfo } from '../contract/types.js';
import { type PemSource, type ValidityWindow, checkIdentity, parseCertificateChain, parsePrivateKey } from './x509-checks.js';

/**
 * True when `text` is canonical standard base64 (RFC 4648 alphabet, `=` padding, no
 * whitespace, zero trailing bits), the only form the daemon's decoder accepts.
 * Node's decoder is lenient, so canonical form is checked by re-encoding.
 */
export function isStandardBase64(text: string): boolean {
  return text.length > 0 && text.length % 4 === 0 && Buffer.from(text, 'base64').toString('base64') === text;
}

/** How the x509 payload fields were given, for messages: inline base64 unless said otherwise. */
export interface IdentitySources {
  readonly identityCert: PemSource;
  readonly identityPrivateKey: PemSource;
}

/** The fields as the API carries them: base64 of the PEM text, inline. */
export const INLINE_SOURCES: IdentitySources = {
  identityCert: { label: 'credentials.identityCert', encoded: true },
  identityPrivateKey: { label: 'credentials.identityPrivateKey', encoded: true },
};

/**
 * Problems with base64-of-PEM material as the daemon would write and load it: the
 * encoding, then whether `parse` (a certificate chain or a private key) accepts it.
 */
function pemProblems(source: PemSource, value: string, parse: (pem: string, source: PemSource) => { ok: true } | { ok: false; problem: string }): string[] {
  if (!isStandardBase64(value)) {
    return [`${source.label} must be standard base64 of the PEM text`];
  }
  const parsed = parse(Buffer.from(value, 'base64').toString('utf8'), source);
  return parsed.ok ? [] : [parsed.problem];
}

/**
 * Secrets `info` carries that its mode does not use. The daemon ignores them, but
 * handing over a secret nobody needs is a leak, so xprov refuses to serve them; a
 * checker of someone else's endpoint reports them as warnings, not refusals.
 */
export function unneededSecrets(info: DeviceProvisioningInfo): string[] {
  const { authType, source, key, identityCert, identityPrivateKey } = info.credentials;
  if (authType === 'x509') {
    return key === undefined ? [] : ['credentials.key is only for authType symmetric-key'];
  }
  const problems: string[] = [];
  if (identityCert !== undefined || identityPrivateKey !== undefined) {
    problems.push('credentials.identityCert and identityPrivateKey are only for authType x509');
  }
  if (source === 'hsm' && key !== undefined) {
    problems.push('credentials.key must not be set with source hsm (the HSM holds the key)');
  }
  return problems;
}

/**
 * Every reason the daemon itself would refuse `info` (already well-typed: valid
 * against the spec's schema, or read the daemon's way by daemon-parse.ts); empty when
 * it would provision with it.
 */
export function daemonOwnRefusals(info: DeviceProvisioningInfo, sources: IdentitySources = INLINE_SOURCES): string[] {
  const { authType, source, key, identityCert, identityPrivateKey } = info.credentials;
  if (authType === 'symmetric-key') {
    if (source === 'hsm') {
      return [];
    }
    if (key === undefined) {
      return ['credentials.key is required for symmetric-key with source payload'];
    }
    return isStandardBase64(key) ? [] : ['credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)'];
  }
  const problems: string[] = [];
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
    ...pemProblems(sources.identityCert, identityCert ?? '', parseCertificateChain),
    ...pemProblems(sources.identityPrivateKey, identityPrivateKey ?? '', parsePrivateKey),
  ];
}

/**
 * Every reason xprov refuses to serve `info` (already valid against the spec's
 * schema): what the daemon would refuse, and secrets the mode does not need. Empty
 * when it can be served.
 */
export function daemonRefusals(info: DeviceProvisioningInfo): string[] {
  return [...unneededSecrets(info), ...daemonOwnRefusals(info)];
}

/** Options of daemonFindings. */
export interface ServingCheckOptions {
  /** The time certificates are checked against (epoch ms); now by default. */
  readonly now?: number;
  /** Where the x509 payload fields came from (PEM files the store read and encoded). */
  readonly sources?: IdentitySources;
}

/** What xprov found about information it is about to serve. */
export interface ServingFindings {
  /** Reasons not to serve it: daemonRefusals, and an x509 identity that cannot work. */
  readonly problems: string[];
  /** Reasons to tell the operator (a certificate expiring soon, a CN that is not the device id). */
  readonly warnings: string[];
  /** The validity of an x509 payload identity, to check again when it is served. */
  readonly validity?: ValidityWindow;
}

/**
 * daemonRefusals, plus the checks of an x509 payload identity (x509-checks.ts) that
 * the daemon does not make but the hub's TLS handshake would fail on: what the stores
 * check before they serve anything.
 */
export function daemonFindings(info: DeviceProvisioningInfo, options: ServingCheckOptions = {}): ServingFindings {
  const sources = options.sources ?? INLINE_SOURCES;
  const problems = [...unneededSecrets(info), ...daemonOwnRefusals(info, sources)];
  const { authType, source, identityCert, identityPrivateKey } = info.credentials;
  if (problems.length > 0 || authType !== 'x509' || source !== 'payload') {
    return { problems, warnings: [] };
  }
  const pem = (value: string | undefined): string => Buffer.from(value ?? '', 'base64').toString('utf8');
  return checkIdentity(pem(identityCert), sources.identityCert, pem(identityPrivateKey), sources.identityPrivateKey, info.deviceId, options.now ?? Date.now());
}
