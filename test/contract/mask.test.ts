import assert from 'node:assert/strict';
import { maskJson, maskKey, maskSecret } from '../../src/contract/mask.js';

const KEY = 'eHByb3YtZXhhbXBsZS1rZXktTk9ULUEtU0VDUkVUISE=';

describe('masking provisioning answers', () => {
  it('shows a secret as its length and a short fingerprint, the same for the same value', () => {
    assert.match(maskSecret(KEY), /^<masked: 44 chars, sha256 [0-9a-f]{8}>$/);
    assert.equal(maskSecret(KEY), maskSecret(KEY));
    assert.notEqual(maskSecret(KEY), maskSecret(`${KEY.slice(0, -1)}A`));
  });

  it('masks the credential fields whatever their type, and keeps names and enums', () => {
    const masked = maskJson({
      hubName: 'hub.azure-devices.net',
      deviceId: 'dev1',
      status: 'assigned',
      credentials: { authType: 'x509', source: 'hsm', identityCert: 'pkcs11:object=c;pin-value=1234', identityPrivateKey: { nested: KEY }, key: null },
    });
    assert.deepEqual(masked, {
      hubName: 'hub.azure-devices.net',
      deviceId: 'dev1',
      status: 'assigned',
      credentials: { authType: 'x509', source: 'hsm', identityCert: maskSecret('pkcs11:object=c;pin-value=1234'), identityPrivateKey: '<masked>', key: null },
    });
  });

  it('redacts secrets in free text and unknown fields, wherever they are nested', () => {
    const masked = JSON.stringify(
      maskJson({ message: `bad key=${KEY}`, extra: [{ connectionString: `HostName=h;SharedAccessKey=${KEY}` }], credentials: { key: KEY } }),
    );
    assert.equal(masked.includes(KEY), false, masked);
    assert.match(masked, /"message":"bad key=\[redacted\]"/);
  });

  it('masks field names that may be values (a typo such as key:SECRET), and names with spaces', () => {
    const masked = maskJson({ deviceId: `dev1 ${KEY}`, credentials: { [`key:${KEY}`]: null, x509: { enrollmentGroupId: 'g' } } });
    assert.deepEqual(masked, {
      deviceId: maskSecret(`dev1 ${KEY}`),
      credentials: { [maskKey(`key:${KEY}`)]: null, x509: { enrollmentGroupId: 'g' } },
    });
    assert.match(maskKey(`key:${KEY}`), /^<masked field name: 48 chars, sha256 [0-9a-f]{8}>$/);
    assert.equal(JSON.stringify(masked).includes(KEY.slice(0, 12)), false);
  });
});
