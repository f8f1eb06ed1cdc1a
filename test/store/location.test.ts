import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/config-error.js';
import { parseStoreLocation } from '../../src/store/location.js';

describe('store location', () => {
  it('selects the file store for paths and file: URLs', () => {
    assert.deepEqual(parseStoreLocation('/etc/xprov/p.yaml', '/x'), { kind: 'file', path: '/etc/xprov/p.yaml' });
    assert.deepEqual(parseStoreLocation('p.json', '/x/y'), { kind: 'file', path: '/x/y/p.json' });
    assert.deepEqual(parseStoreLocation('file:///etc/x%20y.yaml', '/x'), { kind: 'file', path: '/etc/x y.yaml' });
  });

  it('refuses unknown schemes and malformed file URLs', () => {
    assert.throws(() => parseStoreLocation('dps:/etc/dps.yaml', '/'), (err: unknown) => err instanceof ConfigError && /unknown scheme "dps:"/.test(err.message));
    assert.throws(() => parseStoreLocation('file://host/x', '/'), ConfigError);
  });
});
