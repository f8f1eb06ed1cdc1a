/**
 * Throwaway X.509 identities for tests, made with the `openssl` command line tool
 * (which the tests need installed): a CA, certificates it issues with any validity
 * period and CN (`openssl ca`, since `req -x509` cannot date a certificate in the
 * past), self-signed ones. Every private key made is registered with the secrets scan,
 * so a test that leaks one fails.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { registerSecret } from './secrets.js';
import { tempDir } from './tmp.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate and the PEM of its private key. */
export interface TestIdentity {
  readonly certPem: string;
  readonly keyPem: string;
}

/** What to put in a certificate. */
export interface CertOptions {
  readonly cn: string;
  /** Days from now (negative: in the past); default -1. */
  readonly fromDays?: number;
  /** Days from now; default 365. */
  readonly toDays?: number;
}

const CONFIG = `[ca]
default_ca = test_ca
[test_ca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[ca_cert]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf_cert]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

/** `openssl ca`'s date form: YYYYMMDDHHMMSSZ. */
function opensslDate(days: number): string {
  return new Date(Date.now() + days * DAY_MS).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

let counter = 0;

/** A CA in its own directory, issuing certificates with openssl. */
export class TestCa implements TestIdentity {
  private constructor(
    private readonly dir: string,
    readonly certPem: string,
    readonly keyPem: string,
    private readonly certFile: string,
    private readonly keyFile: string,
  ) {}

  /** A new self-signed CA (valid from a day ago for ten years unless told otherwise). */
  static create(options: CertOptions = { cn: 'xprov test CA' }): TestCa {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'ca.cnf'), CONFIG);
    writeFileSync(path.join(dir, 'index.txt'), '');
    writeFileSync(path.join(dir, 'serial'), '1000\n');
    const { certFile, keyFile } = sign(dir, options, ['-selfsign', '-extensions', 'ca_cert'], undefined);
    return new TestCa(dir, readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'), certFile, keyFile);
  }

  /** A device (leaf) certificate issued by this CA. */
  issue(options: CertOptions): TestIdentity {
    const { certFile, keyFile } = sign(this.dir, options, ['-extensions', 'leaf_cert'], this);
    return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
  }

  /** An intermediate CA issued by this CA. */
  intermediate(options: CertOptions): TestCa {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'ca.cnf'), CONFIG);
    writeFileSync(path.join(dir, 'index.txt'), '');
    writeFileSync(path.join(dir, 'serial'), '2000\n');
    const { certFile, keyFile } = sign(this.dir, options, ['-extensions', 'ca_cert'], this, dir);
    return new TestCa(dir, readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'), certFile, keyFile);
  }

  /** For sign(): the files openssl signs with. */
  get files(): { readonly cert: string; readonly key: string } {
    return { cert: this.certFile, key: this.keyFile };
  }
}

/** A self-signed certificate, as used with thumbprint authentication. */
export function selfSigned(options: CertOptions): TestIdentity {
  const ca = TestCa.create(options);
  return { certPem: ca.certPem, keyPem: ca.keyPem };
}

/** Makes a key and a certificate for it, signed by `issuer` (or itself); returns their files. */
function sign(caDir: string, options: CertOptions, extra: string[], issuer: TestCa | undefined, outDir = caDir): { certFile: string; keyFile: string } {
  const name = `id${++counter}`;
  const keyFile = path.join(outDir, `${name}.key.pem`);
  const csrFile = path.join(outDir, `${name}.csr`);
  const certFile = path.join(outDir, `${name}.cert.pem`);
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: caDir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', csrFile, '-subj', `/CN=${options.cn}`]);
  const signer = issuer === undefined ? ['-keyfile', keyFile] : ['-cert', issuer.files.cert, '-keyfile', issuer.files.key];
  run([
    'ca', '-batch', '-config', 'ca.cnf', '-notext', '-in', csrFile, '-out', certFile,
    '-startdate', opensslDate(options.fromDays ?? -1), '-enddate', opensslDate(options.toDays ?? 365),
    ...signer, ...extra,
  ]);
  registerSecret(readFileSync(keyFile, 'utf8'));
  return { certFile, keyFile };
}
