import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import type { StoreDocument } from '../../src/contract/types.js';
import { resolveStoreDocument } from '../../src/store/resolve-document.js';
import { TestCa } from '../support/pki.js';
import { tempDir } from '../support/tmp.js';

const base = { hubName: 'hub.azure-devices.net', deviceId: 'dev1' };

describe('resolving a store document', () => {
  it('reads PEM files relative to the base directory, and lists them to watch even when missing', async () => {
    const dir = tempDir();
    const doc: StoreDocument = {
      ...base,
      credentials: { authType: 'x509', source: 'payload', identityCertFile: 'c.pem', identityPrivateKeyFile: '/nonexistent/k.pem' },
    };
    const resolved = await resolveStoreDocument(doc, { baseDir: dir, insecurePermissions: false });
    assert.deepEqual(resolved, {
      ok: false,
      problems: [`credentials.identityCertFile (${dir}/c.pem) does not exist`, 'credentials.identityPrivateKeyFile (/nonexistent/k.pem) does not exist'],
      files: [path.join(dir, 'c.pem'), '/nonexistent/k.pem'],
    });
  });

  it('judges file identities at the given time and returns their validity', async () => {
    const dir = tempDir();
    const identity = TestCa.create().issue({ cn: 'dev1', toDays: 100 });
    writeFileSync(path.join(dir, 'c.pem'), identity.certPem);
    writeFileSync(path.join(dir, 'k.pem'), identity.keyPem, { mode: 0o600 });
    const doc: StoreDocument = { ...base, credentials: { authType: 'x509', source: 'payload', identityCertFile: 'c.pem', identityPrivateKeyFile: 'k.pem' } };
    const now = await resolveStoreDocument(doc, { baseDir: dir, insecurePermissions: false });
    assert.ok(now.ok);
    assert.ok(now.validity !== undefined && now.validity.notAfter > Date.now());
    const later = await resolveStoreDocument(doc, { baseDir: dir, insecurePermissions: false, now: Date.now() + 101 * 86_400_000 });
    assert.equal(later.ok, false);
    assert.match(
      later.ok ? '' : later.problems.join(),
      new RegExp(`^credentials\\.identityCertFile \\(${dir}/c\\.pem\\): the identity certificate \\(CN=dev1\\) expired on `),
    );
  });

  it('refuses malformed hsm references and describes good ones', async () => {
    const hsm = (identityCert: string): StoreDocument => ({
      ...base,
      credentials: { authType: 'x509', source: 'hsm', identityCert, identityPrivateKey: 'pkcs11:object=k;type=private' },
    });
    const bad = await resolveStoreDocument(hsm('pkcs11:object=%x'), { baseDir: '/', insecurePermissions: false });
    assert.deepEqual(bad.ok ? [] : bad.problems, [
      'credentials.identityCert is not a well-formed pkcs11: URI: path attribute object has characters that must be percent-encoded, or a bad %-escape',
    ]);
    const good = await resolveStoreDocument(hsm('pkcs11:object=c;type=cert'), { baseDir: '/', insecurePermissions: false });
    assert.ok(good.ok);
    assert.deepEqual(good.notes, [
      'credentials.identityCert: PKCS#11 URI (object=c, type=cert)',
      'credentials.identityPrivateKey: PKCS#11 URI (object=k, type=private)',
    ]);
    assert.deepEqual(good.info, hsm('pkcs11:object=c;type=cert'));
  });
});
