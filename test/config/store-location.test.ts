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
});
