import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StoreUnavailableError } from '../../src/errors.js';
import { FileStore, MAX_STORE_BYTES } from '../../src/store/file-store.js';
import { captureLog } from '../support/log-capture.js';
import { tempDir } from '../support/tmp.js';

const KEY = Buffer.from('file-store-test-key-not-a-secret').toString('base64');

function doc(deviceId: string): string {
  return JSON.stringify({ hubName: 'hub.azure-devices.net', deviceId, credentials: { authType: 'symmetric-key', source: 'payload', key: KEY } });
}

/** Polls until `check` passes (file events are asynchronous). */
async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

async function deviceIdOf(store: FileStore): Promise<string> {
  return (await store.getProvisioningInfo()).deviceId;
}

async function unavailable(store: FileStore): Promise<string> {
  try {
    await store.getProvisioningInfo();
  } catch (err) {
    assert.ok(err instanceof StoreUnavailableError);
    return err.message;
  }
  assert.fail('expected StoreUnavailableError');
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
    writeFileSync(file, doc('one'));
    const { log, lines } = captureLog();
    store = await FileStore.open(file, log);
    assert.equal(await deviceIdOf(store), 'one');
    writeFileSync(file, doc('two'));
    await eventually(async () => assert.equal(await deviceIdOf(store!), 'two'));
    const loaded = lines().filter((l) => l.msg === 'store loaded');
    assert.deepEqual(loaded.map((l) => [l.reason, l.deviceId]), [['start', 'one'], ['change', 'two']]);
  });

  it('picks up a file replaced by rename, as editors and secret managers write', async () => {
    writeFileSync(file, doc('one'));
    store = await FileStore.open(file, captureLog().log);
    writeFileSync(`${file}.tmp`, doc('renamed'));
    renameSync(`${file}.tmp`, file);
    await eventually(async () => assert.equal(await deviceIdOf(store!), 'renamed'));
  });

  it('keeps serving the last valid content while the file is invalid, then recovers', async () => {
    writeFileSync(file, doc('good'));
    const { log, lines } = captureLog();
    store = await FileStore.open(file, log);
    writeFileSync(file, doc('half').slice(0, 40));
    await eventually(async () => assert.ok(lines().some((l) => l.level === 40 && l.reason === 'change')));
    assert.equal(await deviceIdOf(store), 'good');
    const warning = lines().find((l) => l.level === 40);
    assert.match(String(warning?.msg), /still serving its last valid content/);
    assert.match(String(warning?.problem), /^not valid YAML\/JSON/);
    writeFileSync(file, doc('fixed'));
    await eventually(async () => assert.equal(await deviceIdOf(store!), 'fixed'));
  });

  it('keeps serving while the file is deleted, and reloads it when it comes back', async () => {
    writeFileSync(file, doc('good'));
    const { log, lines } = captureLog();
    store = await FileStore.open(file, log);
    rmSync(file);
    await eventually(async () => assert.ok(lines().some((l) => l.problem === 'does not exist')));
    assert.equal(await deviceIdOf(store), 'good');
    writeFileSync(file, doc('back'));
    await eventually(async () => assert.equal(await deviceIdOf(store!), 'back'));
  });

  it('answers unavailable, naming the problem but no secret, until a valid file appears', async () => {
    writeFileSync(file, JSON.stringify({ hubName: 'h', deviceId: 'd', credentials: { authType: 'symmetric-key', source: 'payload', key: `${KEY}!` } }));
    store = await FileStore.open(file, captureLog().log);
    const message = await unavailable(store);
    assert.equal(message, `no valid provisioning information: store ${file}: credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)`);
    assert.ok(!message.includes(KEY));
    writeFileSync(file, doc('now-valid'));
    await eventually(async () => assert.equal(await deviceIdOf(store!), 'now-valid'));
  });

  it('starts with a missing file and serves it once it is created', async () => {
    store = await FileStore.open(file, captureLog().log);
    assert.match(await unavailable(store), /provisioning\.json: does not exist$/);
    writeFileSync(file, doc('created'));
    await eventually(async () => assert.equal(await deviceIdOf(store!), 'created'));
  });

  it('refuses a directory and an oversized file without reading them', async () => {
    mkdirSync(file);
    store = await FileStore.open(file, captureLog().log);
    assert.match(await unavailable(store), /is a directory, not a file$|is not a regular file$/);
    await store.close();
    const big = path.join(dir, 'big.json');
    writeFileSync(big, Buffer.alloc(MAX_STORE_BYTES + 1, 0x20));
    store = await FileStore.open(big, captureLog().log);
    assert.match(await unavailable(store), new RegExp(`is larger than ${MAX_STORE_BYTES} bytes$`));
  });

  it('re-reads the file on reprovision, and rejects with the problem when it is invalid', async () => {
    writeFileSync(file, doc('before'));
    store = await FileStore.open(file, captureLog().log, { watch: false });
    writeFileSync(file, doc('after'));
    assert.equal(await deviceIdOf(store), 'before', 'without a watch, only reprovision reloads');
    await store.reprovision();
    assert.equal(await deviceIdOf(store), 'after');
    writeFileSync(file, '{');
    await assert.rejects(store.reprovision(), (err: unknown) => err instanceof StoreUnavailableError && /^reprovision: store .*: not valid YAML\/JSON/.test(err.message));
    assert.equal(await deviceIdOf(store), 'after', 'the last valid content is still served');
  });

  it('serves reads in order: the newest content wins when reloads overlap', async () => {
    writeFileSync(file, doc('v0'));
    store = await FileStore.open(file, captureLog().log, { watch: false });
    const reloads: Promise<unknown>[] = [];
    for (let i = 1; i <= 20; i++) {
      writeFileSync(file, doc(`v${i}`));
      reloads.push(store.reload('test'));
    }
    await Promise.all(reloads);
    assert.equal(await deviceIdOf(store), 'v20');
  });
});
