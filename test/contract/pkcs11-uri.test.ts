import assert from 'node:assert/strict';
import { isPkcs11Uri, parsePkcs11Uri } from '../../src/contract/pkcs11-uri.js';

function problem(text: string): string {
  const parsed = parsePkcs11Uri(text);
  assert.equal(parsed.ok, false, `${text} was accepted`);
  return parsed.ok ? '' : parsed.problem;
}

describe('PKCS#11 URIs (RFC 7512)', () => {
  it('parses path and query attributes, percent-decoded', () => {
    const parsed = parsePkcs11Uri('pkcs11:token=My%20token;object=device-id;type=cert;id=%01%02?pin-source=file:/etc/pin&module-path=/usr/lib/p11.so');
    assert.ok(parsed.ok);
    assert.deepEqual(Object.fromEntries(parsed.uri.path), { token: 'My token', object: 'device-id', type: 'cert', id: '\u0001\u0002' });
    assert.deepEqual(Object.fromEntries(parsed.uri.query), { 'pin-source': 'file:/etc/pin', 'module-path': '/usr/lib/p11.so' });
    assert.deepEqual(parsed.uri.unknown, []);
    assert.ok(parsePkcs11Uri('pkcs11:').ok, 'an empty URI matches everything; it is well-formed');
    assert.ok(isPkcs11Uri('PKCS11:object=x'));
  });

  it('lists attributes it does not know, except vendor ones', () => {
    const parsed = parsePkcs11Uri('pkcs11:objekt=x;x-vendor=y');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.uri.unknown, ['objekt']);
  });

  it('refuses what is not well-formed, without quoting values', () => {
    assert.equal(problem('pkcs11:token'), 'path attribute 1 is not name=value');
    assert.equal(problem('pkcs11:object=a b'), 'path attribute object has characters that must be percent-encoded, or a bad %-escape');
    assert.equal(problem('pkcs11:object=%zz'), 'path attribute object has characters that must be percent-encoded, or a bad %-escape');
    assert.equal(problem('pkcs11:object=a;object=b'), 'path attribute object is given twice');
    assert.equal(problem('pkcs11:type=key'), 'type must be one of: cert, data, private, public, secret-key');
    assert.equal(problem('pkcs11:slot-id=one'), 'slot-id must be a decimal number');
    assert.equal(problem('pkcs11:object=a?pin-value=1234&pin-source=file:/p'), 'pin-source and pin-value exclude each other');
    assert.equal(problem('pkcs11:object=a?pin-value=12 34'), 'query attribute pin-value has characters that must be percent-encoded, or a bad %-escape');
    assert.equal(problem('file:/x'), 'does not start with pkcs11:');
  });
});
