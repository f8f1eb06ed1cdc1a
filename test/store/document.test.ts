import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { checkStoreDocument } from '../../src/store/document.js';
import { example } from '../support/paths.js';

const KEY = 'eHByb3YtZXhhbXBsZS1rZXktTk9ULUEtU0VDUkVUISE=';
const x509 = JSON.parse(readFileSync(example('x509-payload.json'), 'utf8')) as {
  credentials: { identityCert: string; identityPrivateKey: string };
};

function problems(doc: unknown): readonly string[] {
  const result = checkStoreDocument(typeof doc === 'string' ? doc : JSON.stringify(doc));
  assert.equal(result.ok, false, 'expected the document to be refused');
  return result.ok ? [] : result.problems;
}

const symmetric = {
  hubName: 'hub.azure-devices.net',
  deviceId: 'dev1',
  credentials: { authType: 'symmetric-key', source: 'payload', key: KEY },
};

describe('store document', () => {
  it('accepts every example store', () => {
    for (const name of ['symmetric-key-payload.yaml', 'symmetric-key-hsm.yaml', 'x509-payload.json', 'x509-hsm.yaml']) {
      const result = checkStoreDocument(readFileSync(example(name), 'utf8'));
      assert.equal(result.ok, true, `${name}: ${result.ok ? '' : result.problems.join('; ')}`);
    }
  });

  it('returns the document as it is, with no defaults added', () => {
    assert.deepEqual(checkStoreDocument(JSON.stringify(symmetric)), { ok: true, info: symmetric });
  });

  it('names every schema problem by field, without values', () => {
    assert.deepEqual(
      problems({ hubName: '', credentials: { authType: 'sas', source: 'payload', kye: 'x' }, status: 'none', extra: 1 }),
      [
        'deviceId is required',
        'extra is not a known field',
        'hubName must not be empty',
        'credentials.kye is not a known field',
        'credentials.authType must be one of: symmetric-key, x509',
        'status must be one of: assigned, assigning, disabled, failed, unassigned',
      ],
    );
    assert.deepEqual(problems('[1, 2]'), ['the document must be an object']);
    assert.deepEqual(problems({ ...symmetric, deviceId: 7 }), ['deviceId must be a string']);
  });

  it('refuses YAML errors by code and position, never quoting the text', () => {
    const text = `hubName: h\ndeviceId: d\ncredentials:\n  key: ${KEY}\n  key: ${KEY}\n`;
    const found = problems(text);
    assert.deepEqual(found, ['not valid YAML/JSON (DUPLICATE_KEY at line 5, column 3)']);
    assert.ok(!found.join().includes(KEY));
    assert.match(problems(`hubName: "unterminated ${KEY}`)[0] ?? '', /^not valid YAML\/JSON \(\w+ at line 1, column \d+\)$/);
  });

  it('refuses alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    assert.deepEqual(problems(bomb), ['not valid YAML/JSON (aliases expand too far)']);
  });

  describe("the daemon's rules", () => {
    const cases: [string, unknown, string[]][] = [
      ['symmetric payload without key', { ...symmetric, credentials: { authType: 'symmetric-key', source: 'payload' } }, ['credentials.key is required for symmetric-key with source payload']],
      ['key that is not base64', { ...symmetric, credentials: { ...symmetric.credentials, key: 'not base64!' } }, ['credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)']],
      ['url-safe base64 key', { ...symmetric, credentials: { ...symmetric.credentials, key: 'ab-_' } }, ['credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)']],
      ['unpadded base64 key', { ...symmetric, credentials: { ...symmetric.credentials, key: KEY.replace(/=+$/, '') } }, ['credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)']],
      ['key with non-zero trailing bits', { ...symmetric, credentials: { ...symmetric.credentials, key: 'QUJDRB==' } }, ['credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)']],
      ['key with hsm source', { ...symmetric, credentials: { authType: 'symmetric-key', source: 'hsm', key: KEY } }, ['credentials.key must not be set with source hsm (the HSM holds the key)']],
      ['x509 fields on a symmetric key', { ...symmetric, credentials: { ...symmetric.credentials, identityCert: x509.credentials.identityCert } }, ['credentials.identityCert and identityPrivateKey are only for authType x509']],
      ['x509 without material', { ...symmetric, credentials: { authType: 'x509', source: 'payload' } }, ['credentials.identityCert is required for authType x509', 'credentials.identityPrivateKey is required for authType x509']],
      ['x509 hsm without references', { ...symmetric, credentials: { authType: 'x509', source: 'hsm', identityCert: 'pkcs11:object=c' } }, ['credentials.identityPrivateKey is required for authType x509']],
      ['a key with x509', { ...symmetric, credentials: { authType: 'x509', source: 'hsm', identityCert: 'c', identityPrivateKey: 'k', key: KEY } }, ['credentials.key is only for authType symmetric-key']],
      ['PEM that is not base64-encoded', { ...symmetric, credentials: { authType: 'x509', source: 'payload', identityCert: '-----BEGIN CERTIFICATE-----', identityPrivateKey: x509.credentials.identityPrivateKey } }, ['credentials.identityCert must be standard base64 of the PEM text']],
      ['base64 of something that is not PEM', { ...symmetric, credentials: { authType: 'x509', source: 'payload', identityCert: Buffer.from('hello').toString('base64'), identityPrivateKey: x509.credentials.identityPrivateKey } }, ['credentials.identityCert must be base64 of PEM text with a CERTIFICATE block']],
      ['cert and key swapped', { ...symmetric, credentials: { authType: 'x509', source: 'payload', identityCert: x509.credentials.identityPrivateKey, identityPrivateKey: x509.credentials.identityCert } }, ['credentials.identityCert must be base64 of PEM text with a CERTIFICATE block', 'credentials.identityPrivateKey must be base64 of a PEM private key that parses']],
      ['a corrupt certificate', { ...symmetric, credentials: { authType: 'x509', source: 'payload', identityCert: Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString('base64'), identityPrivateKey: x509.credentials.identityPrivateKey } }, ['credentials.identityCert holds a PEM CERTIFICATE block that does not parse']],
      ['an encrypted private key', { ...symmetric, credentials: { authType: 'x509', source: 'payload', identityCert: x509.credentials.identityCert, identityPrivateKey: Buffer.from('-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n').toString('base64') } }, ['credentials.identityPrivateKey is an encrypted private key; the daemon cannot decrypt it']],
    ];
    for (const [name, doc, expected] of cases) {
      it(`refuses ${name}`, () => {
        const found = problems(doc);
        assert.deepEqual(found, expected);
        for (const secret of [KEY, x509.credentials.identityPrivateKey]) {
          assert.ok(!found.join().includes(secret), 'a problem quotes a secret');
        }
      });
    }
  });
});
