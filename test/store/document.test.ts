import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseStoreDocument } from '../../src/store/document.js';
import { example } from '../support/paths.js';

const KEY = 'eHByb3YtZXhhbXBsZS1rZXktTk9ULUEtU0VDUkVUISE=';
const x509 = JSON.parse(readFileSync(example('x509-payload.json'), 'utf8')) as {
  credentials: { identityCert: string; identityPrivateKey: string };
};

function problems(doc: unknown): readonly string[] {
  const result = parseStoreDocument(typeof doc === 'string' ? doc : JSON.stringify(doc));
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
    for (const name of ['symmetric-key-payload.yaml', 'symmetric-key-hsm.yaml', 'x509-payload.json', 'x509-hsm.yaml', 'x509-files.yaml']) {
      const result = parseStoreDocument(readFileSync(example(name), 'utf8'));
      assert.equal(result.ok, true, `${name}: ${result.ok ? '' : result.problems.join('; ')}`);
    }
  });

  it('returns the document as it is, with no defaults added', () => {
    assert.deepEqual(parseStoreDocument(JSON.stringify(symmetric)), { ok: true, doc: symmetric });
  });

  it('names every schema problem by field, without values', () => {
    assert.deepEqual(problems({ hubName: '', credentials: { authType: 'sas', source: 'payload', kye: 'x' }, status: 'none', extra: 1 }), [
      'deviceId is required',
      'extra is not a known field (line 1, column 93)',
      'hubName must not be empty',
      'credentials.kye is not a known field (line 1, column 66)',
      'credentials.authType must be one of: symmetric-key, x509',
      'status must be one of: assigned, assigning, disabled, failed, unassigned',
    ]);
    assert.deepEqual(problems('[1, 2]'), ['the document must be an object']);
    assert.deepEqual(problems({ ...symmetric, deviceId: 7 }), ['deviceId must be a string']);
  });

  it('names an unknown key only when it looks like a field name, else gives its length and position', () => {
    const text = `hubName: h\ndeviceId: d\ncredentials: {authType: symmetric-key, source: payload, key:${KEY}, kye: x, key2: y}\n`;
    assert.deepEqual(problems(text), [
      `credentials has an unknown field at line 3, column 57 (its name is not shown, ${4 + KEY.length} characters: it may hold a value)`,
      'credentials.kye is not a known field (line 3, column 107)',
      'credentials has an unknown field at line 3, column 115 (its name is not shown, 4 characters: it may hold a value)',
    ]);
  });

  it('refuses a host name or device id with a space or line break, where YAML folded the next line', () => {
    assert.deepEqual(problems(`hubName: h\ndeviceId: d\n  ${KEY}\ncredentials: {authType: symmetric-key, source: payload, key: ${KEY}}\n`), [
      'deviceId must not contain spaces, line breaks or control characters (line 2, column 11)',
    ]);
    assert.deepEqual(problems({ ...symmetric, hubName: 'hub\u0000.azure-devices.net' }), [
      'hubName must not contain spaces, line breaks or control characters (line 1, column 12)',
    ]);
  });

  it('refuses YAML errors by code and position, never quoting the text', () => {
    const text = `hubName: h\ndeviceId: d\ncredentials:\n  key: ${KEY}\n  key: ${KEY}\n`;
    const found = problems(text);
    assert.deepEqual(found, ['not valid YAML/JSON (DUPLICATE_KEY at line 5, column 3)']);
    assert.ok(!found.join().includes(KEY));
    assert.match(problems(`hubName: "unterminated ${KEY}`)[0] ?? '', /^not valid YAML\/JSON \(\w+ at line 1, column \d+\)$/);
  });

  it('refuses alias bombs', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    assert.deepEqual(problems(bomb), ['not valid YAML/JSON (aliases expand too far)']);
  });

  describe('PEM file references', () => {
    const x509Files = { authType: 'x509', source: 'payload', identityCertFile: 'cert.pem', identityPrivateKeyFile: 'key.pem' };

    it('accepts them with x509 and payload', () => {
      const doc = { ...symmetric, credentials: x509Files };
      assert.deepEqual(parseStoreDocument(JSON.stringify(doc)), { ok: true, doc });
    });

    const cases: [string, unknown, string[]][] = [
      [
        'a file and inline base64 for one field',
        { ...x509Files, identityCert: x509.credentials.identityCert },
        ['credentials.identityCert and credentials.identityCertFile exclude each other: give one'],
      ],
      [
        'files with hsm references',
        { authType: 'x509', source: 'hsm', identityCertFile: 'c.pem', identityPrivateKeyFile: 'k.pem' },
        [
          'credentials.identityCertFile is only for authType x509 with source payload',
          'credentials.identityPrivateKeyFile is only for authType x509 with source payload',
        ],
      ],
      [
        'a key file with a symmetric key',
        { authType: 'symmetric-key', source: 'payload', key: KEY, identityPrivateKeyFile: 'k.pem' },
        ['credentials.identityPrivateKeyFile is only for authType x509 with source payload'],
      ],
      ['an empty path', { ...x509Files, identityCertFile: '' }, ['credentials.identityCertFile must not be empty']],
      [
        'a misspelt file field',
        { authType: 'x509', source: 'payload', identityCertFiel: 'c.pem' },
        ['credentials.identityCertFiel is not a known field (line 1, column 106)'],
      ],
    ];
    for (const [name, credentials, expected] of cases) {
      it(`refuses ${name}`, () => {
        assert.deepEqual(problems({ ...symmetric, credentials }), expected);
      });
    }
  });
});
