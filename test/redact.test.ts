import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { redactSecrets } from '../src/redact.js';
import { example } from './support/paths.js';

describe('redactSecrets', () => {
  it('masks PEM blocks, key=value secrets and long base64 runs', () => {
    const pem = readFileSync(example('x509/example-device.key.pem'), 'utf8');
    assert.equal(redactSecrets(`bad key: ${pem.trim()} end`), 'bad key: [PEM redacted] end');
    assert.equal(
      redactSecrets('HostName=h.azure-devices.net;DeviceId=d1;SharedAccessKey=abc+/=='),
      'HostName=h.azure-devices.net;DeviceId=d1;SharedAccessKey=[redacted]',
    );
    assert.equal(redactSecrets('sr=x&sig=AbC%2B&se=1'), 'sr=x&sig=[redacted]&se=1');
    assert.equal(redactSecrets('decode eHByb3YtZXhhbXBsZS1rZXktTk9ULUEtU0VDUkVUISE= failed'), 'decode [redacted] failed');
    assert.equal(redactSecrets('-----BEGIN PRIVATE KEY-----\nMIGH (cut off'), '[PEM redacted]');
  });

  it('leaves ordinary diagnostics readable', () => {
    for (const text of [
      "ENOENT: no such file or directory, open '/etc/xprov/provisioning.yaml'",
      'connect ECONNREFUSED /run/external/external.sock',
      'example-hub.azure-devices.net device-with-a-long-identifier-0001',
      'TypeError: Cannot read properties of undefined (reading deviceId)',
    ]) {
      assert.equal(redactSecrets(text), text);
    }
  });
});
