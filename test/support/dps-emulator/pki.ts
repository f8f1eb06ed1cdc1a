/**
 * Throwaway PKI for the DPS emulator and the tests that use it: certificate
 * authorities, the emulator's TLS server certificate and device client certificates.
 *
 * Made at run time with the openssl CLI rather than committed as fixtures: node can
 * verify certificates but not issue them, and fixtures would expire one day and put
 * private keys into the repository. P-256 keys keep each certificate to a few ms.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { registerSecret } from '../secrets.js';
import { tempDir } from '../tmp.js';

const OPENSSL = '/usr/bin/openssl';

// Our own configuration, so that nothing comes from the system's openssl.cnf (whose
// default x509 extensions would make every certificate a CA).
const MINIMAL_CONFIG = '[req]\ndistinguished_name = dn\n[dn]\n';

/** A certificate authority that can issue certificates. */
export interface TestCertificateAuthority {
  readonly certPem: string;
  readonly keyPem: string;
  /**
   * What a certificate this CA issues must send after itself to chain up to the root:
   * this CA and the intermediates above it, PEM-concatenated; '' for a root CA.
   */
  readonly chainPem: string;
}

/** A device's TLS client identity. */
export interface DeviceCertificate {
  /** The leaf certificate, subject CN = the registration id. */
  readonly certPem: string;
  readonly keyPem: string;
  /** The intermediates to send after the leaf (for TLS: `cert: certPem + chainPem`); absent when issued by a root or self-signed. */
  readonly chainPem?: string;
}

/** Escapes a value for openssl's `-subj /CN=value` syntax. */
function subjectValue(value: string): string {
  return value.replace(/[\\/+=]/g, (c) => `\\${c}`);
}

/** Issues one certificate with a fresh P-256 key: self-signed, or signed by `issuer`. */
function issue(commonName: string, extensions: readonly string[], issuer?: TestCertificateAuthority): { certPem: string; keyPem: string } {
  const dir = tempDir();
  const file = (name: string): string => path.join(dir, name);
  writeFileSync(file('openssl.cnf'), MINIMAL_CONFIG);
  const args = ['req', '-x509', '-config', file('openssl.cnf'), '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  args.push('-keyout', file('key.pem'), '-out', file('cert.pem'), '-days', '2', '-subj', `/CN=${subjectValue(commonName)}`);
  args.push(...extensions.flatMap((e) => ['-addext', e]));
  if (issuer) {
    writeFileSync(file('issuer.pem'), issuer.certPem);
    writeFileSync(file('issuer.key'), issuer.keyPem, { mode: 0o600 });
    // `req -x509 -CA` (OpenSSL 3.0+) issues from a CA in one step, no CSR round trip.
    args.push('-CA', file('issuer.pem'), '-CAkey', file('issuer.key'));
  }
  // openssl draws key-generation progress on stderr; it is only worth seeing on failure,
  // where execFileSync puts it into the error message.
  execFileSync(OPENSSL, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return { certPem: readFileSync(file('cert.pem'), 'utf8'), keyPem: readFileSync(file('key.pem'), 'utf8') };
}

/** A root CA, or with `issuer` an intermediate CA below it. */
export function makeCertificateAuthority(commonName = 'xprov test CA - throwaway', issuer?: TestCertificateAuthority): TestCertificateAuthority {
  const ca = issue(commonName, ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'], issuer);
  return { ...ca, chainPem: issuer ? ca.certPem + issuer.chainPem : '' };
}

/**
 * A device client certificate with subject CN = `registrationId` (DPS requires the two
 * to be equal), issued by `issuer` or, without one, self-signed (for an individual
 * enrollment that holds the device certificate itself). Its key is registered with the
 * secrets scan: it is the device's identity, which xprov must never print.
 */
export function makeDeviceCertificate(registrationId: string, issuer?: TestCertificateAuthority): DeviceCertificate {
  const usage = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'];
  const device = issue(registrationId, usage, issuer);
  registerSecret(device.keyPem);
  return issuer?.chainPem ? { ...device, chainPem: issuer.chainPem } : device;
}

/** The emulator's TLS server certificate, valid for 127.0.0.1 and localhost. */
export function makeServerCertificate(issuer: TestCertificateAuthority): { certPem: string; keyPem: string } {
  const usage = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth'];
  return issue('127.0.0.1', [...usage, 'subjectAltName=IP:127.0.0.1,DNS:localhost'], issuer);
}
