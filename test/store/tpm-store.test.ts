import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TpmStore, type TpmTarget } from '../../src/store/tpm-store.js';
import { frameDocument } from '../../src/store/tpm-frame.js';
import { daemonRequest, provisionLikeDaemon, API_VERSION_QUERY } from '../support/daemon-client.js';
import { type InProcessServer, serveInProcess } from '../support/in-process.js';
import { captureLog } from '../support/log-capture.js';
import { registerSecret } from '../support/secrets.js';
import { unavailable } from '../support/store-checks.js';
import { Swtpm, recordArgv } from '../support/swtpm.js';
import { tempDir } from '../support/tmp.js';

/** The C# sample's index and size (ksaye/IoTDemonstrations storestringinTPM). */
const SAMPLE_INDEX = 0x01000bb9;
const SAMPLE_SIZE = 150;
/** A key whose base64 ends in `=` (the sample drops the padding). */
const KEY = Buffer.from('tpm-store-test-key-not-a-secret!').toString('base64');
const AUTH = 'tpm-index-auth-value-for-tests';
const CONNECTION_STRING = `HostName=tpm-hub.azure-devices.net;DeviceId=tpm-device;SharedAccessKey=${KEY}`;
registerSecret(KEY);
registerSecret(AUTH);

function doc(deviceId: string): string {
  return JSON.stringify({ hubName: 'tpm-hub.azure-devices.net', deviceId, credentials: { authType: 'symmetric-key', source: 'payload', key: KEY } });
}

describe('TPM store (swtpm)', function () {
  this.timeout(30_000);
  let tpm: Swtpm;
  let authFile: string;
  let store: TpmStore | undefined;
  let server: InProcessServer | undefined;
  let nextIndex = 0x01000100;

  before(async () => {
    tpm = await Swtpm.start();
    authFile = path.join(tempDir(), 'tpm-auth');
    writeFileSync(authFile, AUTH, { mode: 0o600 });
  });
  afterEach(async () => {
    await server?.close();
    await store?.close();
    server = undefined;
    store = undefined;
  });

  /** Defines a fresh index with the auth file's auth and writes `bytes` to it with tpm2-tools. */
  async function provision(bytes: Buffer | string, size = 1024, index = nextIndex++): Promise<number> {
    await tpm.tool('tpm2_nvdefine', [`0x${index.toString(16)}`, '-C', 'o', '-s', String(size), '-a', 'authread|authwrite', '-p', `file:${authFile}`]);
    await tpm.tool('tpm2_nvwrite', [`0x${index.toString(16)}`, '-P', `file:${authFile}`, '-i', '-'], bytes);
    return index;
  }

  function target(index: number, format: TpmTarget['format'] = 'document', auth: string | undefined = authFile): TpmTarget {
    return { tcti: tpm.tcti, index, format, ...(auth === undefined ? {} : { authFile: auth }) };
  }

  it('serves a framed document through the app, as the daemon reads it', async () => {
    const index = await provision(frameDocument(doc('framed')));
    store = await TpmStore.open(target(index), captureLog().log);
    server = await serveInProcess(store);
    const answer = await provisionLikeDaemon(server.endpoint);
    assert.equal(answer.deviceId, 'framed');
    assert.deepEqual(answer.credentials, { kind: 'symmetric-key-payload', key: Buffer.from(KEY, 'base64') });
  });

  it("serves the C# sample's exact layout: 0x01000BB9, 150 bytes, an auth value, the key's = padding kept", async () => {
    assert.ok(KEY.endsWith('='));
    // Exactly what the sample writes: the ASCII string, the rest of the 150 bytes never written.
    await provision(CONNECTION_STRING, SAMPLE_SIZE, SAMPLE_INDEX);
    const raw = await tpm.tool('tpm2_nvread', ['0x01000bb9', '-P', `file:${authFile}`]);
    assert.equal(raw.length, SAMPLE_SIZE);
    assert.equal(raw[raw.length - 1], 0xff);
    store = await TpmStore.open(target(SAMPLE_INDEX, 'connection-string'), captureLog().log);
    server = await serveInProcess(store);
    const answer = await provisionLikeDaemon(server.endpoint);
    assert.equal(answer.hubName, 'tpm-hub.azure-devices.net');
    assert.equal(answer.deviceId, 'tpm-device');
    assert.equal(answer.status, 'assigned');
    const info = await store.getProvisioningInfo();
    assert.equal(info.credentials.authType === 'symmetric-key' && info.credentials.source === 'payload' ? info.credentials.key : '', KEY);
  });

  it("answers 503 with the TPM's reason for a wrong auth value, naming no value", async () => {
    const index = await provision(frameDocument(doc('wrong-auth')));
    const wrong = path.join(tempDir(), 'wrong-auth');
    writeFileSync(wrong, 'not-the-auth-value', { mode: 0o600 });
    const { log, lines } = captureLog();
    store = await TpmStore.open(target(index, 'document', wrong), log);
    server = await serveInProcess(store);
    const res = await daemonRequest(server.endpoint, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
    assert.equal(res.status, 503);
    assert.match(
      res.body.toString('utf8'),
      /tpm:0x01000[0-9a-f]{3}: TPM \(swtpm:[^)]*\): tpm2_nvread: Esys_NV_Read answered 0x98E: .*authorization HMAC check failed.*\(wrong auth value/,
    );
    assert.ok(!JSON.stringify(lines()).includes('not-the-auth-value'));
  });

  it('answers 503 saying the TPM is in dictionary-attack lockout, even with the right auth value', async () => {
    const strict = await Swtpm.start();
    await strict.tool('tpm2_dictionarylockout', ['--setup-parameters', '--max-tries=1', '--recovery-time=1000', '--lockout-recovery-time=1000']);
    const index = 0x01000bb9;
    await strict.tool('tpm2_nvdefine', ['0x01000bb9', '-C', 'o', '-s', '1024', '-a', 'authread|authwrite', '-p', `file:${authFile}`]);
    await strict.tool('tpm2_nvwrite', ['0x01000bb9', '-P', `file:${authFile}`, '-i', '-'], frameDocument(doc('locked')));
    await assert.rejects(strict.tool('tpm2_nvread', ['0x01000bb9', '-P', 'file:/dev/null']), /0x98E/);
    store = await TpmStore.open({ tcti: strict.tcti, index, format: 'document', authFile }, captureLog().log);
    assert.match(
      await unavailable(store),
      /0x921.*\(the TPM is in dictionary-attack lockout after wrong auth values: wait for its recovery time or tpm2_dictionarylockout --clear-lockout\)/,
    );
    await strict.stop();
  });

  it('answers 503 naming a missing index, and that store set defines it', async () => {
    store = await TpmStore.open(target(0x01000fff), captureLog().log);
    assert.match(await unavailable(store), /tpm:0x01000fff: TPM .*0x18B.*the NV index is not defined \(xprov store set defines it\)/);
  });

  it('refuses an auth file others can read, before the TPM is asked', async () => {
    const index = await provision(frameDocument(doc('open-auth')));
    const open = path.join(tempDir(), 'open-auth');
    writeFileSync(open, AUTH);
    chmodSync(open, 0o644);
    const argv = recordArgv();
    try {
      store = await TpmStore.open(target(index, 'document', open), captureLog().log);
      assert.match(await unavailable(store), /auth file .*open-auth has owner root and mode 0644 \(readable by others\)/);
      assert.deepEqual(argv.runs(), []);
    } finally {
      argv.restore();
    }
  });

  it('refuses a torn write (new header, old or partial body) and keeps serving the last valid document', async () => {
    const index = await provision(frameDocument(doc('before')));
    store = await TpmStore.open(target(index), captureLog().log);
    // A longer document cut in the middle: its header and part of its body reached the index.
    const next = frameDocument(doc(`after-${'x'.repeat(100)}`));
    await tpm.tool('tpm2_nvwrite', [`0x${index.toString(16)}`, '-P', `file:${authFile}`, '-i', '-'], next.subarray(0, next.length - 40));
    await assert.rejects(store.reprovision(), /checksum does not match \(a torn write\?\)/);
    assert.equal((await store.getProvisioningInfo()).deviceId, 'before');
  });

  it('refuses foreign content in format=document and points to the right format', async () => {
    const index = await provision(CONNECTION_STRING, 200);
    store = await TpmStore.open(target(index), captureLog().log);
    assert.match(await unavailable(store), /holds a connection string, not an xprov document: use \?format=connection-string/);
  });

  it('keeps serving while the TPM goes away, answers 503 with the reason to a reprovision, and reads it again when it is back', async () => {
    const index = await provision(frameDocument(doc('steady')));
    store = await TpmStore.open(target(index), captureLog().log);
    server = await serveInProcess(store);
    await tpm.stop();
    try {
      assert.equal((await provisionLikeDaemon(server.endpoint)).deviceId, 'steady');
      const res = await daemonRequest(server.endpoint, 'POST', `/device/reprovision${API_VERSION_QUERY}`);
      assert.equal(res.status, 503);
      assert.match(
        res.body.toString('utf8'),
        /TPM \(swtpm:host=127\.0\.0\.1,port=\d+\): tpm2_nvread: cannot reach the TPM \(Cannot connect to swtpm TPM socket: Connection refused\)/,
      );
      assert.equal((await provisionLikeDaemon(server.endpoint)).deviceId, 'steady');
    } finally {
      await tpm.resume();
    }
    await tpm.tool('tpm2_nvwrite', [`0x${index.toString(16)}`, '-P', `file:${authFile}`, '-i', '-'], frameDocument(doc('back')));
    const res = await daemonRequest(server.endpoint, 'POST', `/device/reprovision${API_VERSION_QUERY}`);
    assert.equal(res.status, 200);
    assert.equal((await provisionLikeDaemon(server.endpoint)).deviceId, 'back');
  });

  it('never puts the key or the auth value on a tpm2 command line, nor passes on its own environment', async () => {
    const index = await provision(frameDocument(doc('argv')));
    process.env.XPROV_TEST_MARKER = 'must-not-reach-the-tools';
    const argv = recordArgv();
    try {
      store = await TpmStore.open(target(index), captureLog().log);
      await store.reprovision();
    } finally {
      argv.restore();
      delete process.env.XPROV_TEST_MARKER;
    }
    const runs = argv.runs();
    assert.equal(runs.length, 2);
    for (const run of runs) {
      assert.match(run, new RegExp(`tpm2_nvread 0x${index.toString(16).padStart(8, '0')} -P file:${authFile} ENV:`));
      assert.ok(!run.includes(KEY) && !run.includes(AUTH));
      assert.ok(!run.includes('XPROV_TEST_MARKER'));
    }
  });
});
