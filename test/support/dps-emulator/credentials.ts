/**
 * How the DPS emulator checks a device's credential (DPS's device registration REST API):
 * SharedAccessSignature tokens signed with a (possibly derived) symmetric key, and TLS
 * client certificates. Each check answers the reason it refuses, or undefined.
 */
import { X509Certificate, createHmac, timingSafeEqual } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

/** A parsed `Authorization: SharedAccessSignature …` header. */
export interface SasToken {
  /** `sr` exactly as sent: the signature covers this text, encoded or not. */
  readonly sr: string;
  /** `sr` URL-decoded: what is compared with the expected resource. */
  readonly resource: string;
  /** Whether `sr` was sent URL-encoded (the documented form) rather than raw (the Node SDK's). */
  readonly resourceEncoded: boolean;
  /** `sig`, URL-decoded: base64 of the HMAC. */
  readonly signature: string;
  readonly se: string;
  readonly skn: string | undefined;
}

const SAS_PREFIX = 'SharedAccessSignature ';

/** `base64(HMAC-SHA256(base64decode(keyBase64), utf8(message)))`, the one primitive of DPS symmetric keys. */
function hmac(keyBase64: string, message: string): string {
  return createHmac('sha256', Buffer.from(keyBase64, 'base64')).update(message, 'utf8').digest('base64');
}

/** A group enrollment's device key: `base64(HMAC-SHA256(base64decode(groupKey), utf8(registrationId)))`. */
export function deriveDeviceKey(groupKeyBase64: string, registrationId: string): string {
  return hmac(groupKeyBase64, registrationId);
}

/** Parses the Authorization header (fields in any order); a string is why it is not a token. */
export function parseSas(header: string): SasToken | string {
  if (!header.startsWith(SAS_PREFIX)) {
    return 'Authorization is not a SharedAccessSignature';
  }
  const fields = new Map<string, string>();
  for (const part of header.slice(SAS_PREFIX.length).split('&')) {
    // Split at the first '=' only: an unencoded base64 signature ends in '='.
    const eq = part.indexOf('=');
    if (eq <= 0 || fields.has(part.slice(0, eq))) {
      return 'malformed or repeated SharedAccessSignature field';
    }
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  if (!sr || !sig || !se) {
    return 'SharedAccessSignature needs sr, sig and se';
  }
  try {
    const resource = decodeURIComponent(sr);
    return { sr, resource, resourceEncoded: resource !== sr, signature: decodeURIComponent(sig), se, skn: fields.get('skn') };
  } catch {
    return 'SharedAccessSignature field is not valid percent-encoding';
  }
}

/**
 * Checks `token` for `resource` (`{idScope}/registrations/{registrationId}`) against
 * the device keys that may have signed it (primary, secondary).
 */
export function checkSas(token: SasToken, resource: string, deviceKeys: readonly string[], now: Date): string | undefined {
  if (token.skn !== 'registration') {
    return 'skn must be "registration"';
  }
  if (token.resource !== resource) {
    return 'the token is for another resource';
  }
  if (!/^\d+$/.test(token.se) || Number(token.se) <= Math.floor(now.getTime() / 1000)) {
    return 'the token has expired (or se is not Unix seconds)';
  }
  const sent = Buffer.from(token.signature);
  const matches = deviceKeys.some((key) => {
    const expected = Buffer.from(hmac(key, `${token.sr}\n${token.se}`));
    return expected.length === sent.length && timingSafeEqual(expected, sent);
  });
  return matches ? undefined : 'the signature does not match the enrollment key';
}

/** The client certificate of a TLS connection and the chain the client sent with it. */
export interface PeerCertificates {
  readonly leaf: X509Certificate;
  /** The other certificates the client sent (intermediates, maybe the root). */
  readonly presented: readonly X509Certificate[];
}

/** The client certificates of `socket`, or undefined when the client sent none. */
export function peerCertificates(socket: TLSSocket): PeerCertificates | undefined {
  // Node links what the client sent into an issuerCertificate list; a self-signed
  // certificate links to itself, hence the fingerprint guard.
  const certs: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (current?.raw !== undefined && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    certs.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  const [leaf, ...presented] = certs;
  return leaf ? { leaf, presented } : undefined;
}

function commonName(cert: X509Certificate): string | undefined {
  return cert.subject
    .split('\n')
    .find((line) => line.startsWith('CN='))
    ?.slice(3);
}

function validAt(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/**
 * Checks a client certificate for `registrationId` against an enrollment's
 * certificate `trustedPem`: the subject CN must be the registration id, and the leaf
 * must be that very certificate (thumbprint match, as an individual enrollment holding
 * the device certificate) or chain up to it through CA certificates the client sent.
 * TLS has already proved the client holds the leaf's private key.
 */
export function checkX509(peer: PeerCertificates, registrationId: string, trustedPem: string, now: Date): string | undefined {
  if (commonName(peer.leaf) !== registrationId) {
    return 'the certificate CN is not the registration id';
  }
  if (!validAt(peer.leaf, now)) {
    return 'the certificate has expired or is not yet valid';
  }
  const trusted = new X509Certificate(trustedPem);
  let current = peer.leaf;
  // Each step climbs one presented CA, so the loop ends after at most that many.
  for (let step = 0; step <= peer.presented.length; step++) {
    if (current.fingerprint256 === trusted.fingerprint256 || issuedBy(current, trusted)) {
      return undefined;
    }
    const from = current;
    const next = peer.presented.find((c) => c.ca && validAt(c, now) && issuedBy(from, c));
    if (!next) {
      break;
    }
    current = next;
  }
  return "the certificate does not chain to the enrollment's certificate";
}
