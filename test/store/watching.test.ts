/**
 * Watching (issue 8 item 9): only events for the files a store depends on cause a
 * reload; the debounce runs on manual timers, so nothing here sleeps. Real file
 * events are awaited with eventually().
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CredentialsDirStore } from '../../src/store/credentials-dir-store.js';
import { FileStore } from '../../src/store/file-store.js';
import { MAX_WAIT_MS } from '../../src/store/source-watcher.js';
import { eventually } from '../support/eventually.js';
import { captureLog } from '../support/log-capture.js';
import { ManualTimers } from '../support/manual-timers.js';
import { tempDir } from '../support/tmp.js';

const KEY = Buffer.from('watching-test-key-not-a-secret!!').toString('base64');

function doc(deviceId: string): string {
  return JSON.stringify({ hubName: 'hub.azure-devices.net', deviceId, credentials: { authType: 'symmetric-key', source: 'payload', key: KEY } });
}

/** Replaces `file` by rename, as editors and `xprov store set` do: one event for its name. */
function replace(file: string, text: string): void {
  writeFileSync(`${file}.new`, text, { mode: 0o600 });
  renameSync(`${file}.new`, file);
}

describe('watching a store', () => {
  let dir: string;
  let timers: ManualTimers;
  let stores: { close(): Promise<void> }[];

  beforeEach(() => {
    dir = tempDir();
    timers = new ManualTimers();
    stores = [];
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  let warnings: () => unknown[];

  async function openFileStore(file: string): Promise<{ store: FileStore; loads: () => unknown[] }> {
    const { log, lines } = captureLog();
    const store = await FileStore.open(file, log, { timers });
    stores.push(store);
    warnings = () =>
      lines()
        .filter((l) => l.level === 40)
        .map((l) => l.problem);
    return {
      store,
      loads: () =>
        lines()
          .filter((l) => l.msg === 'store loaded')
          .map((l) => l.deviceId),
    };
  }

  it('never reloads for writes to other files beside the store, and reloads for the store itself', async () => {
    const file = path.join(dir, 'provisioning.json');
    writeFileSync(file, doc('one'), { mode: 0o600 });
    const { store, loads } = await openFileStore(file);
    // A log file and an editor's swap file beside the store, written again and again.
    for (let i = 0; i < 50; i++) {
      appendFileSync(path.join(dir, 'xprov.log'), `line ${i}\n`);
      writeFileSync(path.join(dir, `.provisioning.json.swp`), `${i}`);
    }
    writeFileSync(path.join(dir, 'provisioning.json.bak'), doc('backup'));
    replace(file, doc('two'));
    // File events arrive in order: by the time the store's arrives, the others were seen.
    await eventually(async () => assert.ok(timers.scheduled > 0, 'the store replaced, no reload scheduled'));
    assert.equal(timers.scheduled, 1, 'only the store file scheduled a reload');
    timers.advance(MAX_WAIT_MS);
    await eventually(async () => assert.equal((await store.getProvisioningInfo()).deviceId, 'two'));
    assert.deepEqual(loads(), ['one', 'two']);
  });

  it('reloads within the maximum wait while its file is rewritten without pause', async () => {
    const file = path.join(dir, 'provisioning.json');
    writeFileSync(file, doc('v0'), { mode: 0o600 });
    const { store } = await openFileStore(file);
    // Each rewrite's event re-arms the debounce; the manual clock moves 20 ms between them.
    let version = 0;
    for (; timers.fired.length === 0; version++) {
      const scheduled = timers.scheduled;
      replace(file, doc(`v${version + 1}`));
      await eventually(async () => assert.ok(timers.scheduled > scheduled));
      timers.advance(20);
      assert.ok(version * 20 <= MAX_WAIT_MS, `no reload after ${version * 20} ms of rewrites`);
    }
    await eventually(async () => assert.notEqual((await store.getProvisioningInfo()).deviceId, 'v0'));
  });

  it('follows a store symlinked from another directory: an edit of the target reloads', async () => {
    const real = path.join(tempDir(), 'real.json');
    writeFileSync(real, doc('before'), { mode: 0o600 });
    const link = path.join(dir, 'provisioning.json');
    symlinkSync(real, link);
    const { store } = await openFileStore(link);
    replace(real, doc('after'));
    await eventually(async () => assert.ok(timers.scheduled > 0));
    timers.advance(MAX_WAIT_MS);
    await eventually(async () => assert.equal((await store.getProvisioningInfo()).deviceId, 'after'));
  });

  it('reloads a Kubernetes secret volume on its ..data swap, and not for other files in it', async () => {
    const version = (name: string, deviceId: string): void => {
      mkdirSync(path.join(dir, name), { mode: 0o755 });
      const files = { hubName: 'hub.azure-devices.net', deviceId, authType: 'symmetric-key', source: 'payload', key: KEY };
      for (const [file, text] of Object.entries(files)) {
        writeFileSync(path.join(dir, name, file), text, { mode: 0o600 });
      }
    };
    version('..2024_01', 'first');
    symlinkSync('..2024_01', path.join(dir, '..data'));
    for (const name of ['hubName', 'deviceId', 'authType', 'source', 'key']) {
      symlinkSync(path.join('..data', name), path.join(dir, name));
    }
    const store = await CredentialsDirStore.open(dir, captureLog().log, { timers });
    stores.push(store);
    assert.equal((await store.getProvisioningInfo()).deviceId, 'first');
    for (let i = 0; i < 20; i++) {
      writeFileSync(path.join(dir, 'unrelated-credential'), `${i}`, { mode: 0o600 });
    }
    version('..2024_02', 'second');
    symlinkSync('..2024_02', path.join(dir, '..data_tmp'));
    renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    await eventually(async () => assert.ok(timers.scheduled > 0));
    assert.equal(timers.scheduled, 1, 'only the ..data swap scheduled a reload');
    timers.advance(MAX_WAIT_MS);
    await eventually(async () => assert.equal((await store.getProvisioningInfo()).deviceId, 'second'));
  });

  it('picks up a store whose directory is moved away and made again', async () => {
    const sub = path.join(dir, 'xprov');
    mkdirSync(sub);
    const file = path.join(sub, 'provisioning.json');
    writeFileSync(file, doc('first'), { mode: 0o600 });
    const { store, loads } = await openFileStore(file);
    renameSync(sub, `${sub}.old`);
    await eventually(async () => assert.ok(timers.scheduled > 0, 'the move scheduled no reload'));
    timers.advance(MAX_WAIT_MS);
    await eventually(async () => assert.ok(warnings().length > 0));
    const scheduled = timers.scheduled;
    mkdirSync(sub);
    writeFileSync(file, doc('second'), { mode: 0o600 });
    await eventually(async () => assert.ok(timers.scheduled > scheduled, 'the new directory scheduled no reload'));
    timers.advance(MAX_WAIT_MS);
    await eventually(async () => assert.equal((await store.getProvisioningInfo()).deviceId, 'second'));
    assert.deepEqual(loads(), ['first', 'second']);
  });

  describe('warnings of an invalid store', () => {
    it('are bounded for a store rewritten with ever new problems: 16, then one line saying so', async () => {
      const file = path.join(dir, 'provisioning.json');
      writeFileSync(file, '{', { mode: 0o600 });
      const { log, lines } = captureLog();
      const store = await FileStore.open(file, log, { watch: false, timers });
      stores.push(store);
      for (let i = 1; i <= 40; i++) {
        writeFileSync(file, `${' '.repeat(i)}{`);
        await store.reload('change');
      }
      const warnings = lines().filter((l) => l.level === 40);
      assert.equal(warnings.length, 17);
      assert.match(String(warnings[16]?.msg), /more than 16 different problems; further ones are logged at debug level until it is valid$/);
    });

    it('logs the same problem once, a new problem once more, and the first again after a recovery', async () => {
      const file = path.join(dir, 'provisioning.json');
      writeFileSync(file, doc('good'), { mode: 0o600 });
      const { log, lines } = captureLog();
      const store = await FileStore.open(file, log, { watch: false, timers });
      stores.push(store);
      const problems = (): unknown[] =>
        lines()
          .filter((l) => l.level === 40)
          .map((l) => l.problem);

      writeFileSync(file, '{');
      for (let i = 0; i < 5; i++) await store.reload('change');
      assert.deepEqual(problems(), ['not valid YAML/JSON (MISSING_CHAR at line 1, column 2)']);

      writeFileSync(file, JSON.stringify({ hubName: 'h' }));
      for (let i = 0; i < 5; i++) await store.reload('change');
      assert.equal(problems().length, 2);
      assert.match(String(problems()[1]), /deviceId is required/);

      // Back to the first problem: said already, not again.
      writeFileSync(file, '{');
      await store.reload('change');
      assert.equal(problems().length, 2);

      writeFileSync(file, doc('good-again'));
      await store.reload('change');
      writeFileSync(file, '{');
      for (let i = 0; i < 3; i++) await store.reload('change');
      assert.equal(problems().length, 3);
      assert.equal(problems()[2], problems()[0]);
    });
  });
});
