import assert from 'node:assert/strict';
import { parseStoreLocation } from '../../src/config/store-location.js';
import { ConfigError } from '../../src/errors.js';

describe('store location', () => {
  it('selects the file store for paths and file: URLs', () => {
    assert.deepEqual(parseStoreLocation('/etc/xprov/p.yaml', '/x'), { kind: 'file', path: '/etc/xprov/p.yaml' });
    assert.deepEqual(parseStoreLocation('p.json', '/x/y'), { kind: 'file', path: '/x/y/p.json' });
    assert.deepEqual(parseStoreLocation('file:///etc/x%20y.yaml', '/x'), { kind: 'file', path: '/etc/x y.yaml' });
  });

  it('selects the DPS store for dps: with its settings file', () => {
    assert.deepEqual(parseStoreLocation('dps:/etc/xprov/dps.yaml', '/x'), { kind: 'dps', path: '/etc/xprov/dps.yaml' });
    assert.deepEqual(parseStoreLocation('dps:dps.yaml', '/x'), { kind: 'dps', path: '/x/dps.yaml' });
  });

  it('refuses unknown schemes and malformed file URLs', () => {
    assert.throws(
      () => parseStoreLocation('vault://secret/x', '/'),
      (err: unknown) => err instanceof ConfigError && /unknown scheme "vault:"/.test(err.message),
    );
    assert.throws(() => parseStoreLocation('dps:', '/'), /needs the path of its settings file/);
    assert.throws(() => parseStoreLocation('file://host/x', '/'), ConfigError);
  });

  it("selects the credentials-directory store, by default in systemd's $CREDENTIALS_DIRECTORY", () => {
    const env = { CREDENTIALS_DIRECTORY: '/run/credentials/xprov.service' };
    assert.deepEqual(parseStoreLocation('credentials:', '/x', env), { kind: 'credentials', dir: '/run/credentials/xprov.service' });
    assert.deepEqual(parseStoreLocation('credentials:/run/secrets', '/x', env), { kind: 'credentials', dir: '/run/secrets' });
    assert.deepEqual(parseStoreLocation('credentials:secrets', '/x', {}), { kind: 'credentials', dir: '/x/secrets' });
    assert.throws(
      () => parseStoreLocation('credentials:', '/x', {}),
      (err: unknown) => err instanceof ConfigError && /\$CREDENTIALS_DIRECTORY is not set/.test(err.message),
    );
  });

  it('selects the TPM store: an NV index in hex, format document by default, the auth file relative to the cwd', () => {
    assert.deepEqual(parseStoreLocation('tpm:0x01000bb9', '/x'), { kind: 'tpm', index: 0x01000bb9, format: 'document' });
    assert.deepEqual(parseStoreLocation('tpm:0x01000BB9?format=connection-string&auth=tpm-auth', '/x'), {
      kind: 'tpm',
      index: 0x01000bb9,
      format: 'connection-string',
      authFile: '/x/tpm-auth',
    });
    assert.deepEqual(parseStoreLocation('tpm:0x01000bb9?auth=/etc/a%26b&format=document', '/x'), {
      kind: 'tpm',
      index: 0x01000bb9,
      format: 'document',
      authFile: '/etc/a&b',
    });
  });

  it('refuses a TPM location that is not an NV index or has other parameters, saying the form', () => {
    for (const bad of [
      'tpm:',
      'tpm:3001',
      'tpm:0x81000001',
      'tpm:0x1000bb9',
      'tpm:0x01000bb9?format=pem',
      'tpm:0x01000bb9?auth=',
      'tpm:0x01000bb9?key=x',
      'tpm:0x01000bb9?auth=a&auth=b',
      'tpm:0x01000bb9?auth=%zz',
      'tpm:0x01000bb9?a?b',
    ]) {
      assert.throws(
        () => parseStoreLocation(bad, '/'),
        (err: unknown) => err instanceof ConfigError && /^store tpm: /.test(err.message),
        bad,
      );
    }
    assert.throws(
      () => parseStoreLocation('tpm:0x01000bb9?key=x', '/'),
      /takes format=document\|connection-string and auth=FILE, not "key" \(e\.g\. tpm:0x01000bb9/,
    );
  });
});
