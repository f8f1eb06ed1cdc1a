import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { daemonFindings, daemonRefusals } from '../../src/contract/daemon-rules.js';
import type { DeviceProvisioningInfo } from '../../src/contract/types.js';
import { TestCa } from '../support/pki.js';
import { example } from '../support/paths.js';

const KEY = 'eHByb3YtZXhhbXBsZS1rZXktTk9ULUEtU0VDUkVUISE=';
const x509 = JSON.parse(readFileSync(example('x509-payload.json'), 'utf8')) as DeviceProvisioningInfo & {
  credentials: { identityCert: string; identityPrivateKey: string };
};
const symmetric = {
  hubName: 'hub.azure-devices.net',
  deviceId: 'dev1',
  credentials: { authType: 'symmetric-key', source: 'payload', key: KEY },
};

describe('daemon rules', () => {
  it('accept the examples', () => {
    assert.deepEqual(daemonFindings(x509), { problems: [], warnings: [], validity: daemonFindings(x509).validity });
    assert.deepEqual(daemonFindings(symmetric as DeviceProvisioningInfo), { problems: [], warnings: [] });
  });

  describe("the daemon's own rules, and unneeded secrets", () => {
    const cases: [string, unknown, string[]][] = [
      [
        'symmetric payload without key',
        { ...symmetric, credentials: { authType: 'symmetric-key', source: 'payload' } },
        ['credentials.key is required for symmetric-key with source payload'],
      ],
      [
        'key that is not base64',
        { ...symmetric, credentials: { ...symmetric.credentials, key: 'not base64!' } },
        ['credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)'],
      ],
      [
        'url-safe base64 key',
        { ...symmetric, credentials: { ...symmetric.credentials, key: 'ab-_' } },
        ['credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)'],
      ],
      [
        'unpadded base64 key',
        { ...symmetric, credentials: { ...symmetric.credentials, key: KEY.replace(/=+$/, '') } },
        ['credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)'],
      ],
      [
        'key with non-zero trailing bits',
        { ...symmetric, credentials: { ...symmetric.credentials, key: 'QUJDRB==' } },
        ['credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)'],
      ],
      [
        'key with hsm source',
        { ...symmetric, credentials: { authType: 'symmetric-key', source: 'hsm', key: KEY } },
        ['credentials.key must not be set with source hsm (the HSM holds the key)'],
      ],
      [
        'x509 fields on a symmetric key',
        { ...symmetric, credentials: { ...symmetric.credentials, identityCert: x509.credentials.identityCert } },
        ['credentials.identityCert and identityPrivateKey are only for authType x509'],
      ],
      [
        'x509 without material',
        { ...symmetric, credentials: { authType: 'x509', source: 'payload' } },
        ['credentials.identityCert is required for authType x509', 'credentials.identityPrivateKey is required for authType x509'],
      ],
      [
        'x509 hsm without references',
        { ...symmetric, credentials: { authType: 'x509', source: 'hsm', identityCert: 'pkcs11:object=c' } },
        ['credentials.identityPrivateKey is required for authType x509'],
      ],
      [
        'a key with x509',
        { ...symmetric, credentials: { authType: 'x509', source: 'hsm', identityCert: 'c', identityPrivateKey: 'k', key: KEY } },
        ['credentials.key is only for authType symmetric-key'],
      ],
      [
        'PEM that is not base64-encoded',
        {
          ...symmetric,
          credentials: {
            authType: 'x509',
            source: 'payload',
            identityCert: '-----BEGIN CERTIFICATE-----',
            identityPrivateKey: x509.credentials.identityPrivateKey,
          },
        },
        ['credentials.identityCert must be standard base64 of the PEM text'],
      ],
      [
        'base64 of something that is not PEM',
        {
          ...symmetric,
          credentials: {
            authType: 'x509',
            source: 'payload',
            identityCert: Buffer.from('hello').toString('base64'),
            identityPrivateKey: x509.credentials.identityPrivateKey,
          },
        },
        ['credentials.identityCert must be base64 of PEM text with a CERTIFICATE block'],
      ],
      [
        'cert and key swapped',
        {
          ...symmetric,
          credentials: {
            authType: 'x509',
            source: 'payload',
            identityCert: x509.credentials.identityPrivateKey,
            identityPrivateKey: x509.credentials.identityCert,
          },
        },
        [
          'credentials.identityCert must be base64 of PEM text with a CERTIFICATE block',
          'credentials.identityPrivateKey must be base64 of a PEM private key that parses',
        ],
      ],
      [
        'a corrupt certificate',
        {
          ...symmetric,
          credentials: {
            authType: 'x509',
            source: 'payload',
            identityCert: Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString('base64'),
            identityPrivateKey: x509.credentials.identityPrivateKey,
          },
        },
        ['credentials.identityCert holds a PEM CERTIFICATE block that does not parse'],
      ],
      [
        'an encrypted private key',
        {
          ...symmetric,
          credentials: {
            authType: 'x509',
            source: 'payload',
            identityCert: x509.credentials.identityCert,
            identityPrivateKey: Buffer.from('-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n').toString('base64'),
          },
        },
        ['credentials.identityPrivateKey is an encrypted private key; the daemon cannot decrypt it'],
      ],
    ];
    for (const [name, doc, expected] of cases) {
      it(`refuses ${name}`, () => {
        const found = daemonFindings(doc as DeviceProvisioningInfo).problems;
        assert.deepEqual(found, expected);
        for (const secret of [KEY, x509.credentials.identityPrivateKey]) {
          assert.ok(!found.join().includes(secret), 'a problem quotes a secret');
        }
      });
    }
  });

  describe('x509 payload identities (x509-checks.ts)', () => {
    it('are refused when the hub would refuse them, though the daemon would not', () => {
      const expired = TestCa.create().issue({ cn: 'dev1', fromDays: -30, toDays: -1 });
      const info = {
        ...symmetric,
        credentials: {
          authType: 'x509',
          source: 'payload',
          identityCert: Buffer.from(expired.certPem).toString('base64'),
          identityPrivateKey: Buffer.from(expired.keyPem).toString('base64'),
        },
      } as DeviceProvisioningInfo;
      assert.deepEqual(daemonRefusals(info), [], "the daemon's own rules do not look at dates");
      assert.match(daemonFindings(info).problems.join(), /^credentials\.identityCert: the identity certificate \(CN=dev1\) expired on /);
    });

    it('are checked against the given time, and their validity is returned', () => {
      const findings = daemonFindings(x509, { now: Date.parse('2200-01-01') });
      assert.match(findings.problems.join(), /expired on/);
      const validity = daemonFindings(x509).validity;
      assert.ok(validity !== undefined && validity.notAfter > Date.now());
    });
  });
});
