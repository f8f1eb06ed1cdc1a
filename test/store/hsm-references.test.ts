import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { hsmReferenceFindings } from '../../src/store/hsm-references.js';
import { tempDir } from '../support/tmp.js';

function x509Hsm(identityCert: string, identityPrivateKey: string) {
  return hsmReferenceFindings({ authType: 'x509', source: 'hsm', identityCert, identityPrivateKey });
}

describe('hsm references', () => {
  it('reports well-formed pkcs11: URIs by their attributes, masking a PIN', async () => {
    const findings = await x509Hsm('pkcs11:token=edge;object=device-id;type=cert', 'pkcs11:token=edge;object=device-id;type=private?pin-value=123456');
    assert.deepEqual(findings, {
      problems: [],
      warnings: ['credentials.identityPrivateKey carries a PIN (pin-value), which is served to the daemon; prefer pin-source'],
      notes: [
        'credentials.identityCert: PKCS#11 URI (token=edge, object=device-id, type=cert)',
        'credentials.identityPrivateKey: PKCS#11 URI (token=edge, object=device-id, type=private, pin-value=<masked>)',
      ],
    });
  });

  it('masks a PIN put in the path part, vendor attributes and names that may be values', async () => {
    const pin = 'pin-in-the-path-1234';
    const findings = await x509Hsm(`pkcs11:object=c;type=cert;pin-value=${pin}`, `pkcs11:object=k;type=private;x-pin=${pin};${pin}=x`);
    assert.deepEqual(findings.notes, [
      'credentials.identityCert: PKCS#11 URI (object=c, type=cert, pin-value=<masked>)',
      `credentials.identityPrivateKey: PKCS#11 URI (object=k, type=private, x-pin=<masked>, (a name of ${pin.length} characters, not shown)=<masked>)`,
    ]);
    assert.equal(JSON.stringify(findings).includes(pin), false, JSON.stringify(findings));
  });

  it('refuses a malformed pkcs11: URI and warns about one naming the wrong kind of object', async () => {
    const findings = await x509Hsm('pkcs11:object=a b', 'pkcs11:object=k;type=cert');
    assert.deepEqual(findings.problems, [
      'credentials.identityCert is not a well-formed pkcs11: URI: path attribute object has characters that must be percent-encoded, or a bad %-escape',
    ]);
    assert.deepEqual(findings.warnings, ['credentials.identityPrivateKey names a PKCS#11 object of type cert; expected type=private']);
  });

  it('looks paths up without reading them, and warns about missing paths and opaque references', async () => {
    const dir = tempDir();
    const cert = path.join(dir, 'device.cert.pem');
    writeFileSync(cert, 'not read');
    const findings = await x509Hsm(cert, path.join(dir, 'missing.key'));
    assert.deepEqual(findings.problems, []);
    assert.deepEqual(findings.notes, [`credentials.identityCert: path ${cert} (exists, a file)`]);
    assert.deepEqual(findings.warnings, [
      `credentials.identityPrivateKey: ${dir}/missing.key does not exist here; fine only if the daemon's HSM library finds it elsewhere`,
    ]);
    const opaque = await x509Hsm('device-id-cert', 'device-id-key');
    assert.deepEqual(opaque.problems, []);
    assert.equal(opaque.warnings.length, 2);
    assert.match(opaque.warnings[0] ?? '', /^credentials\.identityCert is neither a pkcs11: URI nor an absolute path/);
  });
});
