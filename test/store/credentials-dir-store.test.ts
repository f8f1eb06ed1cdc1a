import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CredentialsDirStore } from '../../src/store/credentials-dir-store.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { TestCa } from '../support/pki.js';
import { eventually } from '../support/eventually.js';
import { makeFifo, settlesWithin } from '../support/fifo.js';
import { captureLog } from '../support/log-capture.js';
import { registerSecret } from '../support/secrets.js';
import { unavailable } from '../support/store-checks.js';
import { tempDir } from '../support/tmp.js';

const KEY = Buffer.from('credentials-dir-test-key-not-a-secret').toString('base64');
registerSecret(KEY);
/** The unprivileged user the attacks are made as (tests run as root, as CI does). */
const NOBODY = 65534;

/** Writes one credential file the way systemd does: owner-only, with a trailing newline (echo). */
function put(dir: string, name: string, value: string, mode = 0o400): void {
  const file = path.join(dir, name);
  rmSync(file, { force: true });
  writeFileSync(file, value, { mode });
  chmodSync(file, mode);
}

function symmetricDir(dir: string, deviceId = 'dev1'): void {
  put(dir, 'hubName', 'hub.azure-devices.net\n');
  put(dir, 'deviceId', `${deviceId}\n`);
  put(dir, 'authType', 'symmetric-key\n');
  put(dir, 'source', 'payload\n');
  put(dir, 'key', `${KEY}\n`);
}

describe('credentials-directory store', () => {
  let dir: string;
  let store: Store | undefined;

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('serves one file per field, trimmed, ignoring other files of the directory', async () => {
    symmetricDir(dir);
    put(dir, 'status', 'assigned\n');
    put(dir, 'substatus', 'deviceDataReset');
    put(dir, 'tls.key', 'another credential of the service');
    store = await CredentialsDirStore.open(dir, captureLog().log, { watch: false });
    assert.deepEqual(await store.getProvisioningInfo(), {
      hubName: 'hub.azure-devices.net',
      deviceId: 'dev1',
      credentials: { authType: 'symmetric-key', source: 'payload', key: KEY },
      status: 'assigned',
      substatus: 'deviceDataReset',
    });
  });

  it('is what `--store credentials:` opens, from $CREDENTIALS_DIRECTORY', async () => {
    symmetricDir(dir);
    store = await openStore({ kind: 'credentials', dir }, captureLog().log);
    assert.equal(store.description, `credentials ${dir}`);
    assert.equal((await store.getProvisioningInfo()).deviceId, 'dev1');
  });

  it('serves PEM files as base64 with source payload, and references with source hsm', async () => {
    const identity = TestCa.create().issue({ cn: 'dev1' });
    symmetricDir(dir);
    rmSync(path.join(dir, 'key'));
    put(dir, 'authType', 'x509');
    put(dir, 'identityCert', identity.certPem, 0o444);
    put(dir, 'identityPrivateKey', identity.keyPem);
    store = await CredentialsDirStore.open(dir, captureLog().log, { watch: false });
    assert.deepEqual((await store.getProvisioningInfo()).credentials, {
      authType: 'x509',
      source: 'payload',
      identityCert: Buffer.from(identity.certPem).toString('base64'),
      identityPrivateKey: Buffer.from(identity.keyPem).toString('base64'),
    });
    put(dir, 'source', 'hsm');
    put(dir, 'identityCert', 'pkcs11:token=edge;object=device-id;type=cert\n');
    put(dir, 'identityPrivateKey', 'pkcs11:token=edge;object=device-id;type=private\n');
    await store.reprovision();
    assert.deepEqual((await store.getProvisioningInfo()).credentials, {
      authType: 'x509',
      source: 'hsm',
      identityCert: 'pkcs11:token=edge;object=device-id;type=cert',
      identityPrivateKey: 'pkcs11:token=edge;object=device-id;type=private',
    });
  });

  it('names missing files, a missing directory, and checked fields by their names', async () => {
    store = await CredentialsDirStore.open(path.join(dir, 'nope'), captureLog().log, { watch: false });
    assert.equal(await unavailable(store), `no valid provisioning information: store ${dir}/nope: does not exist`);
    await store.close();
    put(dir, 'hubName', 'hub.azure-devices.net');
    put(dir, 'authType', 'symmetric-key');
    store = await CredentialsDirStore.open(dir, captureLog().log, { watch: false });
    assert.equal(
      await unavailable(store),
      `no valid provisioning information: store ${dir}: deviceId is required: there is no file deviceId; credentials.source is required: there is no file source`,
    );
    put(dir, 'deviceId', 'dev1');
    put(dir, 'source', 'payload');
    put(dir, 'key', 'not base64!');
    await assert.rejects(store.reprovision(), /credentials\.key must be standard base64/);
  });

  it('refuses a file readable by others, naming it, unless told otherwise', async () => {
    symmetricDir(dir);
    put(dir, 'key', KEY, 0o444);
    store = await CredentialsDirStore.open(dir, captureLog().log, { watch: false });
    const keyFile = path.join(dir, 'key');
    assert.equal(
      await unavailable(store),
      `no valid provisioning information: store ${dir}: ${keyFile} has owner root and mode 0444 (readable by others); fix: chmod o-r ${keyFile} (or run with --insecure-permissions)`,
    );
    await store.close();
    const { log, lines } = captureLog();
    store = await CredentialsDirStore.open(dir, log, { watch: false, insecurePermissions: true });
    assert.equal((await store.getProvisioningInfo()).credentials.key, KEY);
    assert.match(String(lines().find((l) => l.msg === 'store warning')?.warning), /key has owner root and mode 0444 \(readable by others\).*served anyway/);
  });

  it('refuses a directory others can write, or owned by nobody, unless told otherwise', async () => {
    symmetricDir(dir);
    chmodSync(dir, 0o733);
    store = await CredentialsDirStore.open(dir, captureLog().log, { watch: false });
    assert.equal(
      await unavailable(store),
      `no valid provisioning information: store ${dir}: ${dir} has owner root and mode 0733 (writable by group, writable by others); fix: chmod g-w,o-w ${dir} (or run with --insecure-permissions)`,
    );
    await store.close();
    chmodSync(dir, 0o700);
    chownSync(dir, NOBODY, NOBODY);
    store = await CredentialsDirStore.open(dir, captureLog().log, { watch: false });
    assert.match(await unavailable(store), /has owner nobody \(uid 65534\) and mode 0700 \(not owned by root\); fix: chown root /);
    await store.close();
    const { log, lines } = captureLog();
    store = await CredentialsDirStore.open(dir, log, { watch: false, insecurePermissions: true });
    assert.equal((await store.getProvisioningInfo()).credentials.key, KEY);
    assert.match(String(lines().find((l) => l.msg === 'store warning')?.warning), /has owner nobody .*served anyway/);
  });

  it('refuses a credential file owned by nobody, or a root-owned link to one', async () => {
    symmetricDir(dir);
    const theirs = path.join(tempDir(), 'hub');
    writeFileSync(theirs, 'evil.azure-devices.net\n', { mode: 0o600 });
    chownSync(theirs, NOBODY, NOBODY);
    rmSync(path.join(dir, 'hubName'));
    symlinkSync(theirs, path.join(dir, 'hubName'));
    store = await CredentialsDirStore.open(dir, captureLog().log, { watch: false });
    assert.match(await unavailable(store), new RegExp(`hubName is not trusted: file ${theirs} has owner nobody .*; fix: chown root ${theirs} \\(or run`));
  });

  it('refuses a FIFO at a credential file at once, and never blocks on it', async function () {
    this.timeout(5000);
    symmetricDir(dir);
    const fifo = path.join(dir, 'deviceId');
    rmSync(fifo);
    makeFifo(fifo);
    store = await settlesWithin(CredentialsDirStore.open(dir, captureLog().log), 1000, fifo);
    assert.match(await unavailable(store), new RegExp(`${fifo} is a FIFO \\(named pipe\\), not a regular file$`));
    await assert.rejects(settlesWithin(store.reprovision(), 1000, fifo), /is a FIFO/);
  });

  it('picks up a changed file without a restart', async () => {
    symmetricDir(dir);
    store = await CredentialsDirStore.open(dir, captureLog().log);
    put(dir, 'deviceId', 'dev2');
    await eventually(async () => assert.equal((await store!.getProvisioningInfo()).deviceId, 'dev2'));
  });

  it("picks up a Kubernetes secret volume's ..data swap", async () => {
    const version = (name: string, deviceId: string): void => {
      mkdirSync(path.join(dir, name));
      symmetricDir(path.join(dir, name), deviceId);
    };
    version('..2024_01', 'dev-a');
    symlinkSync('..2024_01', path.join(dir, '..data'));
    for (const name of ['hubName', 'deviceId', 'authType', 'source', 'key']) {
      symlinkSync(path.join('..data', name), path.join(dir, name));
    }
    store = await CredentialsDirStore.open(dir, captureLog().log);
    assert.equal((await store.getProvisioningInfo()).deviceId, 'dev-a');
    // What the kubelet does: a new version directory, then ..data replaced by rename.
    version('..2024_02', 'dev-b');
    symlinkSync('..2024_02', path.join(dir, '..data_tmp'));
    renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    await eventually(async () => assert.equal((await store!.getProvisioningInfo()).deviceId, 'dev-b'));
  });
});
