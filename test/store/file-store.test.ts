import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StoreUnavailableError } from '../../src/errors.js';
import { FileStore, MAX_STORE_BYTES } from '../../src/store/file-store.js';
import { TestCa, type TestIdentity } from '../support/pki.js';
import { makeFifo, settlesWithin } from '../support/fifo.js';
import { captureLog } from '../support/log-capture.js';
import { unavailable } from '../support/store-checks.js';
import { eventually } from '../support/eventually.js';
import { ManualTimers } from '../support/manual-timers.js';
import { tempDir } from '../support/tmp.js';

const KEY = Buffer.from('file-store-test-key-not-a-secret').toString('base64');
/** The unprivileged user the attacks are made as (tests run as root, as CI does). */
const NOBODY = 65534;

/** Writes a store file as xprov requires it: not readable by others (new files only). */
function write(file: string, text: string | Buffer): void {
  writeFileSync(file, text, { mode: 0o600 });
}

function doc(deviceId: string): string {
  return JSON.stringify({ hubName: 'hub.azure-devices.net', deviceId, credentials: { authType: 'symmetric-key', source: 'payload', key: KEY } });
}

async function deviceIdOf(store: FileStore): Promise<string> {
  return (await store.getProvisioningInfo()).deviceId;
}

describe('file store', () => {
  let dir: string;
  let file: string;
  let store: FileStore | undefined;

  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'provisioning.json');
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('serves the file and picks up edits without a restart', async () => {
    write(file, doc('one'));
    const { log, lines } = captureLog();
    store = await FileStore.open(file, log);
    assert.equal(await deviceIdOf(store), 'one');
    write(file, doc('two'));
    await eventually(async () => assert.equal(await deviceIdOf(store!), 'two'));
    const loaded = lines().filter((l) => l.msg === 'store loaded');
    assert.deepEqual(
      loaded.map((l) => [l.reason, l.deviceId]),
      [
        ['start', 'one'],
        ['change', 'two'],
      ],
    );
  });

  it('picks up a file replaced by rename, as editors and secret managers write', async () => {
    write(file, doc('one'));
    store = await FileStore.open(file, captureLog().log);
    write(`${file}.tmp`, doc('renamed'));
    renameSync(`${file}.tmp`, file);
    await eventually(async () => assert.equal(await deviceIdOf(store!), 'renamed'));
  });

  it('keeps serving the last valid content while the file is invalid, then recovers', async () => {
    write(file, doc('good'));
    const { log, lines } = captureLog();
    store = await FileStore.open(file, log);
    write(file, doc('half').slice(0, 40));
    await eventually(async () => assert.ok(lines().some((l) => l.level === 40 && l.reason === 'change')));
    assert.equal(await deviceIdOf(store), 'good');
    const warning = lines().find((l) => l.level === 40);
    assert.match(String(warning?.msg), /still serving its last valid content/);
    assert.match(String(warning?.problem), /^not valid YAML\/JSON/);
    write(file, doc('fixed'));
    await eventually(async () => assert.equal(await deviceIdOf(store!), 'fixed'));
  });

  it('keeps serving while the file is deleted, and reloads it when it comes back', async () => {
    write(file, doc('good'));
    const { log, lines } = captureLog();
    store = await FileStore.open(file, log);
    rmSync(file);
    await eventually(async () =>
      assert.ok(lines().some((l) => l.problem === `does not exist; the next step is \`xprov store set --store ${file} ...\`, which writes it`)),
    );
    assert.equal(await deviceIdOf(store), 'good');
    write(file, doc('back'));
    await eventually(async () => assert.equal(await deviceIdOf(store!), 'back'));
  });

  it('answers unavailable, naming the problem but no secret, until a valid file appears', async () => {
    write(file, JSON.stringify({ hubName: 'h', deviceId: 'd', credentials: { authType: 'symmetric-key', source: 'payload', key: `${KEY}!` } }));
    store = await FileStore.open(file, captureLog().log);
    const message = await unavailable(store);
    assert.equal(message, `no valid provisioning information: store ${file}: credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)`);
    assert.ok(!message.includes(KEY));
    write(file, doc('now-valid'));
    await eventually(async () => assert.equal(await deviceIdOf(store!), 'now-valid'));
  });

  it('starts with a missing file and serves it once it is created', async () => {
    store = await FileStore.open(file, captureLog().log);
    assert.equal(
      await unavailable(store),
      `no valid provisioning information: store ${file}: does not exist; the next step is \`xprov store set --store ${file} ...\`, which writes it`,
    );
    write(file, doc('created'));
    await eventually(async () => assert.equal(await deviceIdOf(store!), 'created'));
  });

  it('refuses a directory and an oversized file without reading them', async () => {
    mkdirSync(file);
    store = await FileStore.open(file, captureLog().log);
    assert.match(await unavailable(store), /: is a directory, not a regular file$/);
    await store.close();
    const big = path.join(dir, 'big.json');
    write(big, Buffer.alloc(MAX_STORE_BYTES + 1, 0x20));
    store = await FileStore.open(big, captureLog().log);
    assert.match(await unavailable(store), new RegExp(`is larger than ${MAX_STORE_BYTES} bytes$`));
  });

  it('re-reads the file on reprovision, and rejects with the problem when it is invalid', async () => {
    write(file, doc('before'));
    store = await FileStore.open(file, captureLog().log, { watch: false });
    write(file, doc('after'));
    assert.equal(await deviceIdOf(store), 'before', 'without a watch, only reprovision reloads');
    await store.reprovision();
    assert.equal(await deviceIdOf(store), 'after');
    write(file, '{');
    await assert.rejects(
      store.reprovision(),
      (err: unknown) => err instanceof StoreUnavailableError && /^reprovision: store .*: not valid YAML\/JSON/.test(err.message),
    );
    assert.equal(await deviceIdOf(store), 'after', 'the last valid content is still served');
  });

  it('serves reads in order: the newest content wins when reloads overlap', async () => {
    write(file, doc('v0'));
    store = await FileStore.open(file, captureLog().log, { watch: false });
    const reloads: Promise<unknown>[] = [];
    for (let i = 1; i <= 20; i++) {
      write(file, doc(`v${i}`));
      reloads.push(store.reload('test'));
    }
    await Promise.all(reloads);
    assert.equal(await deviceIdOf(store), 'v20');
  });

  describe('permissions', () => {
    const cases: [number, string][] = [
      [0o644, `has owner root and mode 0644 (readable by others); fix: chmod o-r FILE (or run with --insecure-permissions)`],
      [0o620, `has owner root and mode 0620 (writable by group); fix: chmod g-w FILE (or run with --insecure-permissions)`],
      [
        0o666,
        `has owner root and mode 0666 (readable by others, writable by group, writable by others); fix: chmod g-w,o-rw FILE (or run with --insecure-permissions)`,
      ],
    ];
    for (const [mode, expected] of cases) {
      it(`refuses a store file with mode 0${mode.toString(8)}, naming the bits and the fix`, async () => {
        write(file, doc('loose'));
        chmodSync(file, mode);
        store = await FileStore.open(file, captureLog().log, { watch: false });
        assert.equal(await unavailable(store), `no valid provisioning information: store ${file}: ${expected.replace('FILE', file)}`);
      });
    }

    it('serves a file readable by group (root:xprov 0640)', async () => {
      write(file, doc('grouped'));
      chmodSync(file, 0o640);
      store = await FileStore.open(file, captureLog().log, { watch: false });
      assert.equal(await deviceIdOf(store), 'grouped');
    });

    it('serves a loose file with --insecure-permissions, with a warning', async () => {
      write(file, doc('loose'));
      chmodSync(file, 0o644);
      const { log, lines } = captureLog();
      store = await FileStore.open(file, log, { watch: false, insecurePermissions: true });
      assert.equal(await deviceIdOf(store), 'loose');
      assert.deepEqual(
        lines()
          .filter((l) => l.msg === 'store warning')
          .map((l) => l.warning),
        [`store file has owner root and mode 0644 (readable by others); fix: chmod o-r ${file}; served anyway (--insecure-permissions)`],
      );
    });

    it('starts serving once the permissions are fixed, without a restart', async () => {
      write(file, doc('fixed-mode'));
      chmodSync(file, 0o604);
      store = await FileStore.open(file, captureLog().log);
      assert.match(await unavailable(store), /readable by others/);
      chmodSync(file, 0o600);
      await eventually(async () => assert.equal(await deviceIdOf(store!), 'fixed-mode'));
    });
  });

  describe('trust (who else could write what is served)', () => {
    it('refuses a root-owned symbolic link to a 0600 file owned by nobody: that user would pick the hub', async () => {
      const theirs = path.join(dir, 'theirs.json');
      write(theirs, doc('nobodys-choice'));
      chownSync(theirs, NOBODY, NOBODY);
      symlinkSync(theirs, file);
      store = await FileStore.open(file, captureLog().log, { watch: false });
      assert.equal(
        await unavailable(store),
        `no valid provisioning information: store ${file}: is not trusted: file ${theirs} has owner nobody (uid ${NOBODY}) and mode 0600 (not owned by root); fix: chown root ${theirs} (or run with --insecure-permissions)`,
      );
    });

    it('refuses a store in a directory others can write (they could swap it)', async () => {
      const open = path.join(dir, 'open');
      mkdirSync(open);
      chmodSync(open, 0o777);
      const inOpen = path.join(open, 'p.json');
      write(inOpen, doc('swappable'));
      store = await FileStore.open(inOpen, captureLog().log, { watch: false });
      assert.match(
        await unavailable(store),
        new RegExp(
          `: is not trusted: directory ${open} has owner root and mode 0777 \\(writable by group, writable by others\\); fix: chmod g-w,o-w ${open} \\(or run`,
        ),
      );
    });

    it('refuses a store whose directory is owned by nobody', async () => {
      const theirs = path.join(dir, 'theirs');
      mkdirSync(theirs, { mode: 0o755 });
      chownSync(theirs, NOBODY, NOBODY);
      const inTheirs = path.join(theirs, 'p.json');
      write(inTheirs, doc('theirs'));
      store = await FileStore.open(inTheirs, captureLog().log, { watch: false });
      assert.match(
        await unavailable(store),
        new RegExp(
          `: is not trusted: directory ${theirs} has owner nobody \\(uid ${NOBODY}\\) and mode 0755 \\(not owned by root\\); fix: chown root ${theirs} `,
        ),
      );
    });

    it('in a root-owned sticky directory (like /tmp): serves a root-owned store, refuses one owned by nobody', async () => {
      const sticky = path.join(dir, 'tmp');
      mkdirSync(sticky);
      chmodSync(sticky, 0o1777);
      const mine = path.join(sticky, 'root.json');
      write(mine, doc('roots'));
      store = await FileStore.open(mine, captureLog().log, { watch: false });
      assert.equal(await deviceIdOf(store), 'roots');
      await store.close();
      const theirs = path.join(sticky, 'nobody.json');
      write(theirs, doc('nobodys'));
      chownSync(theirs, NOBODY, NOBODY);
      store = await FileStore.open(theirs, captureLog().log, { watch: false });
      assert.match(await unavailable(store), /: has owner nobody \(uid 65534\) and mode 0600 \(not owned by root\); fix: chown root /);
    });

    it('serves an untrusted store with --insecure-permissions, with the problem as a warning', async () => {
      const theirs = path.join(dir, 'theirs.json');
      write(theirs, doc('accepted'));
      chownSync(theirs, NOBODY, NOBODY);
      const { log, lines } = captureLog();
      store = await FileStore.open(theirs, log, { watch: false, insecurePermissions: true });
      assert.equal(await deviceIdOf(store), 'accepted');
      assert.match(
        String(lines().find((l) => l.msg === 'store warning')?.warning),
        /^store file has owner nobody .*; served anyway \(--insecure-permissions\)$/,
      );
    });

    it('refuses a FIFO at the store path at once: loading, reprovision and close never block on it', async function () {
      this.timeout(5000);
      makeFifo(file);
      store = await settlesWithin(FileStore.open(file, captureLog().log), 1000, file);
      assert.match(await unavailable(store), /: is a FIFO \(named pipe\), not a regular file$/);
      await assert.rejects(settlesWithin(store.reprovision(), 1000, file), /is a FIFO/);
      await settlesWithin(store.close(), 1000, file);
      store = undefined;
    });
  });

  describe('PEM file references', () => {
    let ca: TestCa;
    let pemDir: string;
    before(() => {
      ca = TestCa.create();
    });
    beforeEach(() => {
      pemDir = tempDir();
    });

    function x509Doc(certFile: string, keyFile: string): string {
      const credentials = { authType: 'x509', source: 'payload', identityCertFile: certFile, identityPrivateKeyFile: keyFile };
      return JSON.stringify({ hubName: 'hub.azure-devices.net', deviceId: 'dev1', credentials });
    }

    function installIdentity(identity: TestIdentity): void {
      write(path.join(pemDir, 'cert.pem.new'), identity.certPem);
      write(path.join(pemDir, 'key.pem.new'), identity.keyPem);
      renameSync(path.join(pemDir, 'cert.pem.new'), path.join(pemDir, 'cert.pem'));
      renameSync(path.join(pemDir, 'key.pem.new'), path.join(pemDir, 'key.pem'));
    }

    async function servedCert(s: FileStore): Promise<string> {
      return Buffer.from((await s.getProvisioningInfo()).credentials.identityCert ?? '', 'base64').toString('utf8');
    }

    it("serves the files' content base64-encoded; relative paths are relative to the store file", async () => {
      const identity = ca.issue({ cn: 'dev1' });
      write(path.join(dir, 'cert.pem'), identity.certPem);
      write(path.join(dir, 'key.pem'), identity.keyPem);
      write(file, x509Doc('cert.pem', 'key.pem'));
      store = await FileStore.open(file, captureLog().log, { watch: false });
      const { credentials } = await store.getProvisioningInfo();
      assert.deepEqual(credentials, {
        authType: 'x509',
        source: 'payload',
        identityCert: Buffer.from(identity.certPem).toString('base64'),
        identityPrivateKey: Buffer.from(identity.keyPem).toString('base64'),
      });
    });

    it('serves a certificate rotated in another directory without a restart, never a half-rotated pair', async () => {
      const first = ca.issue({ cn: 'dev1' });
      installIdentity(first);
      write(file, x509Doc(path.join(pemDir, 'cert.pem'), path.join(pemDir, 'key.pem')));
      const { log, lines } = captureLog();
      store = await FileStore.open(file, log);
      assert.equal(await servedCert(store), first.certPem);

      // Half-way: the new certificate with the old key. Refused; the old pair stays served.
      const second = ca.issue({ cn: 'dev1' });
      write(path.join(pemDir, 'cert.pem.new'), second.certPem);
      renameSync(path.join(pemDir, 'cert.pem.new'), path.join(pemDir, 'cert.pem'));
      await eventually(async () => assert.ok(lines().some((l) => /the private key belongs to another certificate/.test(String(l.problem)))));
      assert.equal(await servedCert(store), first.certPem);

      write(path.join(pemDir, 'key.pem.new'), second.keyPem);
      renameSync(path.join(pemDir, 'key.pem.new'), path.join(pemDir, 'key.pem'));
      await eventually(async () => assert.equal(await servedCert(store!), second.certPem));
    });

    it('answers unavailable naming a missing or loosely permitted PEM file, and serves once it is fixed', async () => {
      const identity = ca.issue({ cn: 'dev1' });
      const keyFile = path.join(pemDir, 'key.pem');
      write(file, x509Doc(path.join(pemDir, 'cert.pem'), keyFile));
      write(path.join(pemDir, 'cert.pem'), identity.certPem);
      store = await FileStore.open(file, captureLog().log);
      assert.equal(
        await unavailable(store),
        `no valid provisioning information: store ${file}: credentials.identityPrivateKeyFile (${keyFile}) does not exist`,
      );
      writeFileSync(keyFile, identity.keyPem, { mode: 0o644 });
      chmodSync(keyFile, 0o644);
      await eventually(async () =>
        assert.match(
          await unavailable(store!),
          /credentials\.identityPrivateKeyFile \(.*key\.pem\) has owner root and mode 0644 \(readable by others\); fix: chmod o-r /,
        ),
      );
      chmodSync(keyFile, 0o400);
      await eventually(async () => assert.equal(await servedCert(store!), identity.certPem));
    });

    it('refuses a certificate once it expires while being served, having warned that it would', async () => {
      const shortLived = ca.issue({ cn: 'dev1', toDays: 1 / 24 });
      installIdentity(shortLived);
      write(file, x509Doc(path.join(pemDir, 'cert.pem'), path.join(pemDir, 'key.pem')));
      const { log, lines } = captureLog();
      const timers = new ManualTimers();
      store = await FileStore.open(file, log, { watch: false, timers });
      assert.equal(await servedCert(store), shortLived.certPem);
      assert.match(
        String(lines().find((l) => l.msg === 'store warning')?.warning),
        /the identity certificate \(CN=dev1\) expires on .*, within a day; renew it soon$/,
      );
      // Two hours later on the store's clock: past the certificate's end, with nothing reloaded.
      timers.advance(2 * 3600_000);
      assert.match(await unavailable(store), /: credentials\.identityCertFile \(.*cert\.pem\): the identity certificate \(CN=dev1\) expired on .*; renew it$/);
    });
  });
});
