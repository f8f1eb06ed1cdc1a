/**
 * Throwaway PKI for every test: certificate authorities (root and intermediate),
 * device (TLS client) certificates with any validity period and CN, self-signed ones,
 * and the DPS emulator's TLS server certificate.
 *
 * Made at run time with the openssl command line tool (which the tests need
 * installed) rather than committed as fixtures: node can verify certificates but not
 * issue them, and fixtures would expire one day and put private keys into the
 * repository. One way of issuing serves all: `openssl req` makes a P-256 key and its
 * request, `openssl ca` signs it (`req -x509` cannot date a certificate in the past),
 * with random serial numbers and our own configuration, so that nothing comes from the
 * system's openssl.cnf. Every private key made is registered with the secrets scan, so
 * a test that leaks one fails.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { registerSecret } from './secrets.js';
import { tempDir } from './tmp.js';

const OPENSSL = '/usr/bin/openssl';
const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate and the PEM of its private key. */
export interface TestIdentity {
  readonly certPem: string;
  readonly keyPem: string;
  /** The intermediates to send after the certificate (for TLS: `cert: certPem + chainPem`); absent when issued by a root or self-signed. */
  readonly chainPem?: string;
}

/** What to put in a certificate. */
export interface CertOptions {
  readonly cn: string;
  /** Days from now (negative: in the past); default -1. */
  readonly fromDays?: number;
  /** Days from now; default 365. */
  readonly toDays?: number;
}

/** What a certificate is for: its extensions. */
type Profile = 'ca' | 'client' | 'server';

const EXTENSIONS: Readonly<Record<Profile, readonly string[]>> = {
  ca: ['basicConstraints = critical,CA:true', 'keyUsage = critical,keyCertSign,cRLSign'],
  client: ['basicConstraints = critical,CA:false', 'keyUsage = critical,digitalSignature', 'extendedKeyUsage = clientAuth'],
  server: [
    'basicConstraints = critical,CA:false',
    'keyUsage = critical,digitalSignature',
    'extendedKeyUsage = serverAuth',
    'subjectAltName = IP:127.0.0.1,DNS:localhost',
  ],
};

/** The configuration of one issue: `req` (no system defaults) and a one-shot `ca`. */
function config(profile: Profile, issued: boolean): string {
  const extensions = [...EXTENSIONS[profile], 'subjectKeyIdentifier = hash', ...(issued ? ['authorityKeyIdentifier = keyid'] : [])];
  return [
    '[req]',
    'distinguished_name = dn',
    '[dn]',
    '[ca]',
    'default_ca = test_ca',
    '[test_ca]',
    'database = index.txt',
    // Required by `ca` even with -rand_serial, which leaves it unused.
    'serial = serial',
    'new_certs_dir = .',
    'default_md = sha256',
    'policy = any',
    'unique_subject = no',
    '[any]',
    'commonName = supplied',
    '[ext]',
    ...extensions,
    '',
  ].join('\n');
}

/** `openssl ca`'s date form: YYYYMMDDHHMMSSZ. */
function opensslDate(days: number): string {
  return new Date(Date.now() + days * DAY_MS)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Escapes a value for openssl's `-subj /CN=value` syntax. */
function subjectValue(value: string): string {
  return value.replace(/[\\/+=]/g, (c) => `\\${c}`);
}

/** Issues one certificate with a fresh P-256 key: self-signed, or signed by `issuer`. The key is registered with the secrets scan. */
function issue(options: CertOptions, profile: Profile, issuer: TestIdentity | undefined): { certPem: string; keyPem: string } {
  const dir = tempDir();
  const file = (name: string): string => path.join(dir, name);
  writeFileSync(file('openssl.cnf'), config(profile, issuer !== undefined));
  writeFileSync(file('index.txt'), '');
  writeFileSync(file('serial'), '1000\n');
  // openssl draws key-generation progress on stderr; it is only worth seeing on failure,
  // where execFileSync puts it into the error message.
  const run = (args: readonly string[]): void => {
    execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  run([
    'req',
    '-new',
    '-config',
    'openssl.cnf',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'key.pem',
    '-out',
    'req.pem',
    '-subj',
    `/CN=${subjectValue(options.cn)}`,
  ]);
  let signer = ['-selfsign', '-keyfile', 'key.pem'];
  if (issuer !== undefined) {
    writeFileSync(file('issuer.pem'), issuer.certPem);
    writeFileSync(file('issuer.key'), issuer.keyPem, { mode: 0o600 });
    signer = ['-cert', 'issuer.pem', '-keyfile', 'issuer.key'];
  }
  run([
    'ca',
    '-batch',
    '-config',
    'openssl.cnf',
    '-notext',
    '-rand_serial',
    '-in',
    'req.pem',
    '-out',
    'cert.pem',
    '-startdate',
    opensslDate(options.fromDays ?? -1),
    '-enddate',
    opensslDate(options.toDays ?? 365),
    '-extensions',
    'ext',
    ...signer,
  ]);
  const keyPem = readFileSync(file('key.pem'), 'utf8');
  registerSecret(keyPem);
  return { certPem: readFileSync(file('cert.pem'), 'utf8'), keyPem };
}

/** A certificate authority issuing throwaway certificates. */
export class TestCa implements TestIdentity {
  private constructor(
    readonly certPem: string,
    readonly keyPem: string,
    /**
     * What a certificate this CA issues must send after itself to chain up to the root:
     * this CA and the intermediates above it, PEM-concatenated; '' for a root CA.
     */
    readonly chainPem: string,
  ) {}

  /** A new self-signed (root) CA, valid from a day ago for a year unless told otherwise. */
  static create(options: CertOptions = { cn: 'xprov test CA' }): TestCa {
    const ca = issue(options, 'ca', undefined);
    return new TestCa(ca.certPem, ca.keyPem, '');
  }

  /** A device (TLS client) certificate issued by this CA, with the chain to send after it when this CA is an intermediate. */
  issue(options: CertOptions): TestIdentity {
    const leaf = issue(options, 'client', this);
    return this.chainPem === '' ? leaf : { ...leaf, chainPem: this.chainPem };
  }

  /** An intermediate CA issued by this CA. */
  intermediate(options: CertOptions): TestCa {
    const ca = issue(options, 'ca', this);
    return new TestCa(ca.certPem, ca.keyPem, ca.certPem + this.chainPem);
  }

  /** A TLS server certificate for 127.0.0.1 and localhost issued by this CA (the DPS emulator's). */
  serverCertificate(options: CertOptions = { cn: '127.0.0.1' }): TestIdentity {
    return issue(options, 'server', this);
  }
}

/** A self-signed CA certificate, as used with thumbprint authentication. */
export function selfSigned(options: CertOptions): TestIdentity {
  const ca = TestCa.create(options);
  return { certPem: ca.certPem, keyPem: ca.keyPem };
}

// The DPS emulator's vocabulary: short-lived (two days from now), as it always was.
const SHORT_LIVED = { fromDays: 0, toDays: 2 } as const;

/** A root CA, or with `issuer` an intermediate CA below it, valid for two days from now. */
export function makeCertificateAuthority(commonName = 'xprov test CA - throwaway', issuer?: TestCa): TestCa {
  return issuer === undefined ? TestCa.create({ cn: commonName, ...SHORT_LIVED }) : issuer.intermediate({ cn: commonName, ...SHORT_LIVED });
}

/**
 * A device client certificate with subject CN = `registrationId` (DPS requires the two
 * to be equal), valid for two days from now, issued by `issuer` or, without one,
 * self-signed (for an individual enrollment that holds the device certificate itself).
 */
export function makeDeviceCertificate(registrationId: string, issuer?: TestCa): TestIdentity {
  if (issuer !== undefined) return issuer.issue({ cn: registrationId, ...SHORT_LIVED });
  return issue({ cn: registrationId, ...SHORT_LIVED }, 'client', undefined);
}

/** The DPS emulator's TLS server certificate, valid for 127.0.0.1 and localhost for two days. */
export function makeServerCertificate(issuer: TestCa): TestIdentity {
  return issuer.serverCertificate({ cn: '127.0.0.1', ...SHORT_LIVED });
}
