import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { deriveDeviceKey, registrationSasToken } from '../../src/dps/sas.js';

describe('DPS SAS', () => {
  it('derives the group device key of the documented test vector', () => {
    assert.equal(
      deriveDeviceKey('8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==', 'sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6'),
      'Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=',
    );
  });

  it('signs the URL-encoded resource and expiry, in the documented token form', () => {
    const key = Buffer.from('a device key for the sas unit test').toString('base64');
    const token = registrationSasToken({ idScope: '0ne000A1B2C', registrationId: 'dev 1', deviceKeyBase64: key, expiresAt: 1_900_000_000 });
    const match = /^SharedAccessSignature sr=([^&]+)&sig=([^&]+)&se=(\d+)&skn=registration$/.exec(token);
    assert.ok(match, token);
    const [, sr, sig, se] = match;
    assert.equal(sr, '0ne000A1B2C%2Fregistrations%2Fdev%201');
    assert.equal(se, '1900000000');
    const expected = createHmac('sha256', Buffer.from(key, 'base64')).update(`${sr}\n${se}`).digest('base64');
    assert.equal(decodeURIComponent(sig ?? ''), expected);
  });
});
