import assert from 'node:assert/strict';
import { EXPIRY_WARNING_DAYS, type X509Findings, checkIdentity, validityFindings } from '../../src/contract/x509-checks.js';
import { TestCa, type TestIdentity, selfSigned } from '../support/pki.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const CERT = { label: 'credentials.identityCert', encoded: true };
const KEY = { label: 'credentials.identityPrivateKey', encoded: true };
const DATE = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC';

/** Checks `certPem` with `identity`'s key for device `deviceId`, asserting no message quotes key material. */
function check(certPem: string, identity: TestIdentity, deviceId = 'dev1'): X509Findings {
  const findings = checkIdentity(certPem, CERT, identity.keyPem, KEY, deviceId, Date.now());
  const keyLines = identity.keyPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
  for (const message of [...findings.problems, ...findings.warnings]) {
    for (const line of keyLines) {
      assert.ok(!message.includes(line), 'a message quotes the private key');
    }
  }
  return findings;
}

describe('x509 checks', () => {
  let root: TestCa;
  let intermediate: TestCa;
  let device: TestIdentity;

  before(() => {
    root = TestCa.create({ cn: 'xprov test root', fromDays: -10, toDays: 3650 });
    intermediate = root.intermediate({ cn: 'xprov test intermediate', fromDays: -1, toDays: 1000 });
    device = intermediate.issue({ cn: 'dev1', fromDays: -2, toDays: 365 });
  });

  it('accepts a device certificate followed by its chain, and gives the validity of the whole chain', () => {
    const findings = check(device.certPem + intermediate.certPem + root.certPem, device);
    assert.deepEqual(findings.problems, []);
    assert.deepEqual(findings.warnings, []);
    const validity = findings.validity;
    assert.ok(validity !== undefined);
    assert.equal(validity.notAfterOf, 'credentials.identityCert: the identity certificate (CN=dev1)');
    assert.ok(Math.abs(validity.notAfter - (Date.now() + 365 * DAY_MS)) < DAY_MS);
    // The intermediate started last: it bounds the window from below.
    assert.equal(validity.notBeforeOf, 'credentials.identityCert: certificate 2 of the chain (CN=xprov test intermediate)');
  });

  it('refuses an expired certificate and says when it expired', () => {
    const expired = root.issue({ cn: 'dev1', fromDays: -400, toDays: -35 });
    assert.deepEqual(
      check(expired.certPem, expired).problems.map((p) => p.replace(new RegExp(DATE), 'DATE')),
      ['credentials.identityCert: the identity certificate (CN=dev1) expired on DATE; renew it'],
    );
  });

  it('refuses a chain whose intermediate has expired, naming it', () => {
    const lapsed = root.intermediate({ cn: 'lapsed intermediate', fromDays: -100, toDays: -1 });
    const leaf = lapsed.issue({ cn: 'dev1', fromDays: -50, toDays: 300 });
    const [problem] = check(leaf.certPem + lapsed.certPem, leaf).problems;
    assert.match(
      problem ?? '',
      new RegExp(`^credentials\\.identityCert: certificate 2 of the chain \\(CN=lapsed intermediate\\) expired on ${DATE}; renew it$`),
    );
  });

  it("refuses a certificate that is not valid yet, pointing at the device's clock", () => {
    const future = root.issue({ cn: 'dev1', fromDays: 2, toDays: 300 });
    assert.match(
      check(future.certPem, future).problems.join(),
      new RegExp(`the identity certificate \\(CN=dev1\\) is not valid before ${DATE}; check the device's clock$`),
    );
  });

  it(`warns about a certificate expiring within ${EXPIRY_WARNING_DAYS} days, not about one expiring later`, () => {
    const soon = root.issue({ cn: 'dev1', toDays: 10.5 });
    const findings = check(soon.certPem, soon);
    assert.deepEqual(findings.problems, []);
    assert.deepEqual(
      findings.warnings.map((w) => w.replace(new RegExp(DATE), 'DATE')),
      ['credentials.identityCert: the identity certificate (CN=dev1) expires on DATE, in 10 days; renew it soon'],
    );
    const later = root.issue({ cn: 'dev1', toDays: EXPIRY_WARNING_DAYS + 1 });
    assert.deepEqual(check(later.certPem, later).warnings, []);
  });

  it('refuses a private key that belongs to another certificate', () => {
    const other = root.issue({ cn: 'dev1' });
    assert.deepEqual(check(device.certPem, other).problems, [
      'credentials.identityPrivateKey does not match credentials.identityCert: the private key belongs to another certificate',
    ]);
  });

  it("refuses a chain that does not start with the key's certificate", () => {
    assert.deepEqual(check(intermediate.certPem + device.certPem + root.certPem, device).problems, [
      "credentials.identityCert: the certificate of the private key is number 2 of the chain; put it first (the device's certificate, then each issuer)",
    ]);
  });

  it('refuses a chain whose certificates do not each issue the one before', () => {
    assert.deepEqual(check(device.certPem + root.certPem + intermediate.certPem, device).problems, [
      "credentials.identityCert: certificate 2 of the chain (CN=xprov test root) did not issue certificate 1; order the chain from the device's certificate to its root, each followed by its issuer",
      "credentials.identityCert: certificate 3 of the chain (CN=xprov test intermediate) did not issue certificate 2; order the chain from the device's certificate to its root, each followed by its issuer",
    ]);
  });

  it('refuses a certificate field that also holds the private key', () => {
    assert.deepEqual(check(device.certPem + device.keyPem, device).problems, ['credentials.identityCert holds a private key; it must hold certificates only']);
  });

  it('warns when the CN is not the device id, and accepts a self-signed certificate otherwise', () => {
    const thumbprint = selfSigned({ cn: 'other-name' });
    const findings = check(thumbprint.certPem, thumbprint, 'dev1');
    assert.deepEqual(findings.problems, []);
    assert.deepEqual(findings.warnings, [
      "credentials.identityCert: the identity certificate's CN (other-name) is not the deviceId (dev1); DPS X.509 enrollments and CA-signed authentication need them equal (thumbprint authentication does not)",
    ]);
  });

  it('names PEM files as files, not as base64 fields', () => {
    const file = { label: 'credentials.identityCertFile (/etc/xprov/cert.pem)', encoded: false };
    const findings = checkIdentity(
      'not a certificate',
      file,
      'nor a key',
      { label: 'credentials.identityPrivateKeyFile (/k.pem)', encoded: false },
      'd',
      Date.now(),
    );
    assert.deepEqual(findings.problems, [
      'credentials.identityCertFile (/etc/xprov/cert.pem) must be PEM text with a CERTIFICATE block',
      'credentials.identityPrivateKeyFile (/k.pem) must be a PEM private key that parses',
    ]);
  });

  describe('validityFindings, used again at every answer', () => {
    const window = { notBefore: 1_000 * DAY_MS, notBeforeOf: 'A', notAfter: 2_000 * DAY_MS, notAfterOf: 'B' };
    it('holds inside the window, warns in its last days, refuses outside it', () => {
      assert.deepEqual(validityFindings(window, 1_500 * DAY_MS), {});
      assert.match(validityFindings(window, 1_990 * DAY_MS).warning ?? '', /^B expires on .*, in 10 days; renew it soon$/);
      assert.match(validityFindings(window, 2_000 * DAY_MS + 1).problem ?? '', /^B expired on /);
      assert.match(validityFindings(window, 1_000 * DAY_MS - 1).problem ?? '', /^A is not valid before /);
    });
  });
});
