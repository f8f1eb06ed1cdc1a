/**
 * Checks of an X.509 identity (certificate chain and private key) before it is served.
 * The daemon itself only writes the PEM text to files; a bad identity then fails much
 * later, in the TLS handshake with the hub, with an error that names nothing. So xprov
 * refuses what cannot work (does not parse, key of another certificate, chain out of
 * order, expired or not yet valid) and warns about what probably will not for long
 * (expiring within EXPIRY_WARNING_DAYS) or may not at all (CN is not the device id).
 *
 * Messages name the field, the certificate (by its CN) and dates, never key material.
 */
import { type KeyObject, X509Certificate, createPrivateKey } from 'node:crypto';

/** A certificate expiring within this many days draws a warning. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Where PEM text came from, for messages. */
export interface PemSource {
  /** The field, e.g. `credentials.identityCert` or `credentials.identityCertFile (/etc/xprov/cert.pem)`. */
  readonly label: string;
  /** True when the field held base64 of the PEM text (inline), false for a PEM file. */
  readonly encoded: boolean;
}

/** When an identity can be used: the overlap of the validity periods of its certificates. */
export interface ValidityWindow {
  /** Epoch ms; before it, one of the certificates is not valid yet. */
  readonly notBefore: number;
  /** The certificate that starts the window, for messages. */
  readonly notBeforeOf: string;
  /** Epoch ms; after it, one of the certificates has expired. */
  readonly notAfter: number;
  /** The certificate that ends the window, for messages. */
  readonly notAfterOf: string;
}

/** What the checks found: refusals, warnings and, when the chain parsed, its validity. */
export interface X509Findings {
  readonly problems: string[];
  readonly warnings: string[];
  readonly validity?: ValidityWindow;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

function pemKind(source: PemSource): string {
  return source.encoded ? 'base64 of PEM text' : 'PEM text';
}

/** The subject's common name, or undefined when it has none. */
export function commonName(cert: X509Certificate): string | undefined {
  const line = cert.subject.split('\n').find((l) => l.startsWith('CN='));
  return line?.slice(3);
}

/** A certificate of a chain as operators know it: by position and CN. */
function describeCert(source: PemSource, chain: readonly X509Certificate[], index: number): string {
  const cert = chain[index];
  const cn = cert === undefined ? undefined : commonName(cert);
  const which = index === 0 ? 'the identity certificate' : `certificate ${index + 1} of the chain`;
  return `${source.label}: ${which} (${cn === undefined ? 'no CN' : `CN=${cn}`})`;
}

/** A date for messages: `2030-01-31 12:00:00 UTC`. */
export function formatDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** Parses every CERTIFICATE block of `pem`, leaf first as written. */
export function parseCertificateChain(
  pem: string,
  source: PemSource,
): { readonly ok: true; readonly chain: X509Certificate[] } | { readonly ok: false; readonly problem: string } {
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) {
    return { ok: false, problem: `${source.label} must be ${pemKind(source)} with a CERTIFICATE block` };
  }
  const chain: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      chain.push(new X509Certificate(block));
    } catch {
      const which = blocks.length === 1 ? '' : ` (number ${index + 1})`;
      return { ok: false, problem: `${source.label} holds a PEM CERTIFICATE block${which} that does not parse` };
    }
  }
  return { ok: true, chain };
}

/** Parses an unencrypted PEM private key. */
export function parsePrivateKey(
  pem: string,
  source: PemSource,
): { readonly ok: true; readonly key: KeyObject } | { readonly ok: false; readonly problem: string } {
  if (ENCRYPTED_KEY.test(pem)) {
    return { ok: false, problem: `${source.label} is an encrypted private key; the daemon cannot decrypt it` };
  }
  try {
    return { ok: true, key: createPrivateKey({ key: pem, format: 'pem' }) };
  } catch {
    return { ok: false, problem: `${source.label} must be ${source.encoded ? 'base64 of ' : ''}a PEM private key that parses` };
  }
}

/**
 * Whether `window` holds at `now`: a problem when it does not, a warning when it ends
 * within EXPIRY_WARNING_DAYS. Used when an identity is loaded and again when it is
 * served, since a certificate valid at load can expire while being served.
 */
export function validityFindings(window: ValidityWindow, now: number): { readonly problem?: string; readonly warning?: string } {
  if (now < window.notBefore) {
    return { problem: `${window.notBeforeOf} is not valid before ${formatDate(window.notBefore)}; check the device's clock` };
  }
  if (now > window.notAfter) {
    return { problem: `${window.notAfterOf} expired on ${formatDate(window.notAfter)}; renew it` };
  }
  const days = Math.floor((window.notAfter - now) / DAY_MS);
  if (days < EXPIRY_WARNING_DAYS) {
    const when = days === 0 ? 'within a day' : days === 1 ? 'in 1 day' : `in ${days} days`;
    return { warning: `${window.notAfterOf} expires on ${formatDate(window.notAfter)}, ${when}; renew it soon` };
  }
  return {};
}

/** The overlap of the chain's validity periods (the parsed dates of each certificate). */
function chainValidity(chain: readonly X509Certificate[], source: PemSource): ValidityWindow {
  let window: ValidityWindow | undefined;
  for (const [index, cert] of chain.entries()) {
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    const name = describeCert(source, chain, index);
    window = {
      notBefore: window === undefined || from > window.notBefore ? from : window.notBefore,
      notBeforeOf: window === undefined || from > window.notBefore ? name : window.notBeforeOf,
      notAfter: window === undefined || to < window.notAfter ? to : window.notAfter,
      notAfterOf: window === undefined || to < window.notAfter ? name : window.notAfterOf,
    };
  }
  // parseCertificateChain never returns an empty chain.
  return window as ValidityWindow;
}

/** True when `issuer` issued and signed `cert`. */
function issued(issuer: X509Certificate, cert: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Problems with how the key and the chain fit together: the key's certificate first, each followed by its issuer. */
function chainProblems(chain: readonly X509Certificate[], key: KeyObject, cert: PemSource, keySource: PemSource): string[] {
  const holder = chain.findIndex((c) => c.checkPrivateKey(key));
  if (holder === -1) {
    return [`${keySource.label} does not match ${cert.label}: the private key belongs to another certificate`];
  }
  if (holder > 0) {
    return [
      `${cert.label}: the certificate of the private key is number ${holder + 1} of the chain; put it first (the device's certificate, then each issuer)`,
    ];
  }
  const problems: string[] = [];
  for (let i = 0; i + 1 < chain.length; i++) {
    const [child, parent] = [chain[i], chain[i + 1]] as [X509Certificate, X509Certificate];
    if (!issued(parent, child)) {
      problems.push(
        `${describeCert(cert, chain, i + 1)} did not issue certificate ${i + 1}; order the chain from the device's certificate to its root, each followed by its issuer`,
      );
    }
  }
  return problems;
}

/**
 * Checks an identity given as PEM text: both parse, the key is the first
 * certificate's, the chain is in order, every certificate is valid at `now` (warning
 * when one expires soon), and the first certificate's CN is `deviceId` (a warning:
 * DPS and CA-signed authentication need it, thumbprint authentication does not).
 */
export function checkIdentity(certPem: string, certSource: PemSource, keyPem: string, keySource: PemSource, deviceId: string, now: number): X509Findings {
  const parsedChain = parseCertificateChain(certPem, certSource);
  const parsedKey = parsePrivateKey(keyPem, keySource);
  const problems = [parsedChain, parsedKey].flatMap((p) => (p.ok ? [] : [p.problem]));
  if (!parsedChain.ok || !parsedKey.ok) {
    return { problems, warnings: [] };
  }
  const { chain } = parsedChain;
  const warnings: string[] = [];
  if (KEY_BLOCK.test(certPem)) {
    // The daemon would load the certificate and ignore the key, but it writes this field
    // to a certificate file, which is not protected like a key file.
    problems.push(`${certSource.label} holds a private key; it must hold certificates only`);
  }
  problems.push(...chainProblems(chain, parsedKey.key, certSource, keySource));
  const validity = chainValidity(chain, certSource);
  const { problem, warning } = validityFindings(validity, now);
  if (problem !== undefined) problems.push(problem);
  if (warning !== undefined) warnings.push(warning);
  const cn = commonName(chain[0] as X509Certificate);
  if (cn !== deviceId) {
    warnings.push(
      `${certSource.label}: the identity certificate's CN (${cn ?? 'none'}) is not the deviceId (${deviceId}); DPS X.509 enrollments and CA-signed authentication need them equal (thumbprint authentication does not)`,
    );
  }
  return { problems, warnings, validity };
}
