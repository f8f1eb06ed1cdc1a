/**
 * The DPS store against the protocol-faithful DPS emulator (test/support/dps-emulator):
 * first boot, restart from the saved result, reprovisioning to another hub with each
 * substatus, DPS down, throttling, bad credentials, group key derivation (the
 * documented test vector) and X.509.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { DeviceProvisioningInfo } from '../../src/contract/types.js';
import { ConfigError } from '../../src/errors.js';
import { DpsStore, type DpsStoreOptions } from '../../src/store/dps-store.js';
import { parseLikeDaemon } from '../support/daemon-client.js';
import { TestCa } from '../support/pki.js';
import { DpsEmulator, makeCertificateAuthority, makeDeviceCertificate } from '../support/dps-emulator.js';
import { unavailable, writeDpsSettings } from '../support/dps-store-fixture.js';
import { eventually } from '../support/eventually.js';
import { captureLog } from '../support/log-capture.js';
import { registerSecret } from '../support/secrets.js';
import { tempDir } from '../support/tmp.js';

const DEVICE_KEY = Buffer.from('dps-store-test device key, not a secret').toString('base64');
const VECTOR_GROUP_KEY = '8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==';
const VECTOR_REGISTRATION_ID = 'sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6';
const VECTOR_DEVICE_KEY = 'Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=';
registerSecret(DEVICE_KEY);
registerSecret(VECTOR_GROUP_KEY);

/** A state file as another local user can forge it: the format and its checksum are no secret. */
function forgedState(endpoint: string, idScope: string): string {
  const identity = { endpoint, idScope, registrationId: 'dev-1' };
  const result = { assignedHub: 'evil.azure-devices.net', deviceId: 'dev-1', status: 'assigned' };
  const registeredAt = new Date().toISOString();
  const sha256 = createHash('sha256')
    .update(JSON.stringify([identity, result, registeredAt]))
    .digest('hex');
  return JSON.stringify({ format: 1, identity, result, registeredAt, sha256 });
}

describe('DPS store', () => {
  let dps: DpsEmulator;
  let dir: string;
  const stores: DpsStore[] = [];

  /** Writes DPS settings for the emulator and opens a store on them. */
  async function open(settings: Record<string, unknown>, options: DpsStoreOptions = {}): Promise<DpsStore> {
    const store = await DpsStore.open(writeDpsSettings(dir, dps, settings), captureLog().log, options);
    stores.push(store);
    return store;
  }

  const individual = { registrationId: 'dev-1', attestation: { type: 'symmetricKey', enrollment: 'individual', key: DEVICE_KEY } };

  beforeEach(async () => {
    dps = await DpsEmulator.start({ retryAfterSeconds: 0 });
    dir = tempDir();
    dps.addIndividualEnrollment({
      registrationId: 'dev-1',
      attestation: { type: 'symmetricKey', primaryKey: DEVICE_KEY },
      assignment: { hub: 'hub-a.azure-devices.net', deviceId: 'dev-1' },
    });
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await dps.stop();
  });

  it('registers at first boot in the background, answering 503 until DPS has assigned', async () => {
    const store = await open(individual);
    assert.match(await unavailable(store.getProvisioningInfo()), /^no DPS registration yet: registration in progress$/);
    const info = await eventually(() => store.getProvisioningInfo());
    assert.deepEqual(info, {
      hubName: 'hub-a.azure-devices.net',
      deviceId: 'dev-1',
      credentials: { authType: 'symmetric-key', source: 'payload', key: DEVICE_KEY },
      status: 'assigned',
      substatus: 'initialAssignment',
    } satisfies DeviceProvisioningInfo);
    assert.equal(dps.registrationCount('dev-1'), 1);
    const puts = dps.requests.filter((r) => r.method === 'PUT');
    assert.equal(puts[0]?.apiVersion, '2021-10-01');
    assert.equal(puts[0]?.sasResourceEncoded, true, 'the documented, URL-encoded sr');
  });

  it('reuses the saved result after a restart without calling DPS', async () => {
    const first = await open(individual);
    await eventually(() => first.getProvisioningInfo());
    await first.close();
    const requestsBefore = dps.requests.length;
    const second = await open(individual);
    assert.equal((await second.getProvisioningInfo()).hubName, 'hub-a.azure-devices.net');
    assert.equal(dps.requests.length, requestsBefore);
    const state = readFileSync(path.join(dir, 'state', 'dps-registration.json'), 'utf8');
    assert.ok(!state.includes(DEVICE_KEY), 'the state file holds no key');
  });

  it('registers again when the settings name another registration than the saved one', async () => {
    const first = await open(individual);
    await eventually(() => first.getProvisioningInfo());
    await first.close();
    dps.addIndividualEnrollment({
      registrationId: 'dev-2',
      attestation: { type: 'symmetricKey', primaryKey: DEVICE_KEY },
      assignment: { hub: 'hub-b.azure-devices.net', deviceId: 'dev-2' },
    });
    const second = await open({ ...individual, registrationId: 'dev-2' });
    assert.equal((await eventually(() => second.getProvisioningInfo())).deviceId, 'dev-2');
  });

  for (const substatus of ['deviceDataMigrated', 'deviceDataReset', 'reprovisionedToInitialAssignment'] as const) {
    it(`serves the new hub with substatus ${substatus} after a reprovision, and runs the hooks`, async () => {
      const hookOutput = path.join(dir, 'hook.json');
      const script = `require('fs').writeFileSync(${JSON.stringify(hookOutput)}, JSON.stringify({old: process.env.XPROV_OLD_HUB, new: process.env.XPROV_NEW_HUB, device: process.env.XPROV_NEW_DEVICE_ID, substatus: process.env.XPROV_SUBSTATUS}))`;
      const store = await open({ ...individual, reprovisionHooks: [{ argv: [process.execPath, '-e', script] }] });
      await eventually(() => store.getProvisioningInfo());
      dps.moveRegistration('dev-1', { hub: 'hub-b.azure-devices.net', substatus });
      await store.reprovision();
      const info = await store.getProvisioningInfo();
      assert.equal(info.hubName, 'hub-b.azure-devices.net');
      assert.equal(info.substatus, substatus);
      assert.deepEqual(JSON.parse(readFileSync(hookOutput, 'utf8')), {
        old: 'hub-a.azure-devices.net',
        new: 'hub-b.azure-devices.net',
        device: 'dev-1',
        substatus,
      });
    });
  }

  it('keeps the hub and runs no hook when DPS confirms the assignment', async () => {
    const hookOutput = path.join(dir, 'hook-ran');
    const store = await open({
      ...individual,
      reprovisionHooks: [{ argv: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(hookOutput)}, '')`] }],
    });
    await eventually(() => store.getProvisioningInfo());
    await store.reprovision();
    assert.equal((await store.getProvisioningInfo()).hubName, 'hub-a.azure-devices.net');
    assert.equal(dps.registrationCount('dev-1'), 2);
    assert.throws(() => readFileSync(hookOutput), /ENOENT/);
  });

  it('answers an error naming a failed hook, while serving the new assignment', async () => {
    const store = await open({ ...individual, reprovisionHooks: [{ argv: [process.execPath, '-e', 'process.exit(4)'] }] });
    await eventually(() => store.getProvisioningInfo());
    dps.moveRegistration('dev-1', { hub: 'hub-b.azure-devices.net', substatus: 'deviceDataReset' });
    assert.match(await unavailable(store.reprovision()), /^reprovision: the new assignment is served, but a reprovision hook failed: .* exited with 4$/);
    assert.equal((await store.getProvisioningInfo()).hubName, 'hub-b.azure-devices.net');
  });

  it('keeps serving the previous result when DPS is down during a reprovision', async () => {
    // The deadline ends the outage's retries; it must also leave the registrations before
    // and after (a PUT and two polls, each a TLS handshake with the in-process emulator)
    // room on a loaded machine: 300 ms did not, and the recovery gave up "still assigning".
    const store = await open({ ...individual, registrationTimeoutMs: 1000 });
    await eventually(() => store.getProvisioningInfo());
    dps.moveRegistration('dev-1', { hub: 'hub-b.azure-devices.net', substatus: 'deviceDataMigrated' });
    await dps.setDown(true);
    assert.match(
      await unavailable(store.reprovision()),
      /^reprovision: DPS unavailable: network error: ECONNREFUSED .*; still serving dev-1 on hub-a\.azure-devices\.net$/,
    );
    assert.equal((await store.getProvisioningInfo()).hubName, 'hub-a.azure-devices.net');
    await dps.setDown(false);
    await store.reprovision();
    assert.equal((await store.getProvisioningInfo()).hubName, 'hub-b.azure-devices.net');
  });

  it('retries throttling (429) and server errors with backoff, honouring Retry-After', async () => {
    dps.failNext(2, { status: 429, retryAfterSeconds: 1 });
    dps.failNext(1, { status: 503 });
    // The waits are recorded, not slept: the two Retry-After seconds cost no time.
    const waits: number[] = [];
    const store = await open(individual, { sleep: async (ms) => void waits.push(ms) });
    assert.equal((await eventually(() => store.getProvisioningInfo())).hubName, 'hub-a.azure-devices.net');
    assert.ok(waits.length >= 2 && waits.slice(0, 2).every((ms) => ms >= 1000), `waited at least Retry-After (1 s) after each 429: ${waits.join(', ')} ms`);
    assert.deepEqual(
      dps.requests.filter((r) => r.method === 'PUT').map((r) => r.status),
      [429, 429, 503, 202],
    );
  });

  it('gives up on throttling at the deadline and reports it', async () => {
    dps.failNext(1000, { status: 429, retryAfterSeconds: 0 });
    const store = await open({ ...individual, registrationTimeoutMs: 300 });
    const message = await eventually(async () => {
      const m = await unavailable(store.getProvisioningInfo());
      assert.notEqual(m, 'no DPS registration yet: registration in progress');
      return m;
    });
    assert.match(message, /^no DPS registration yet: DPS unavailable: 429 429001: .*\(gave up after \d+ attempts within 300 ms\)$/);
  });

  it('stops at once on bad credentials (401) and says so', async () => {
    const wrongKey = Buffer.from('not the enrolled key, for the 401 test').toString('base64');
    registerSecret(wrongKey);
    const store = await open({ ...individual, attestation: { type: 'symmetricKey', key: wrongKey } });
    const message = await eventually(async () => {
      const m = await unavailable(store.getProvisioningInfo());
      assert.match(m, /401/);
      return m;
    });
    assert.match(message, /^no DPS registration yet: DPS refused the device's credentials \(401 401002: /);
    assert.equal(dps.requests.filter((r) => r.method === 'PUT').length, 1, 'a 401 is final: no retry');
    assert.ok(!message.includes(wrongKey));
  });

  it('reports an unknown registration (404) as final', async () => {
    const store = await open({ ...individual, registrationId: 'nobody' });
    const message = await eventually(async () => {
      const m = await unavailable(store.getProvisioningInfo());
      assert.match(m, /404/);
      return m;
    });
    assert.match(message, /^no DPS registration yet: DPS has no enrollment for this registration \(404 404201/);
  });

  it('reports a disabled enrollment as refused', async () => {
    dps.setEnrollmentStatus('dev-1', 'disabled');
    const store = await open(individual);
    const message = await eventually(async () => {
      const m = await unavailable(store.getProvisioningInfo());
      assert.match(m, /disabled/);
      return m;
    });
    assert.match(message, /^no DPS registration yet: DPS registration disabled/);
  });

  it('runs one registration for concurrent reprovision calls', async () => {
    const store = await open(individual);
    await eventually(() => store.getProvisioningInfo());
    await Promise.all(Array.from({ length: 8 }, () => store.reprovision()));
    assert.equal(dps.registrationCount('dev-1'), 2);
  });

  it('never serves a corrupt state file: uses the backup and registers again', async () => {
    const first = await open(individual);
    await eventually(() => first.getProvisioningInfo());
    dps.moveRegistration('dev-1', { hub: 'hub-b.azure-devices.net', substatus: 'deviceDataMigrated' });
    await first.reprovision();
    await first.close();
    const stateFile = path.join(dir, 'state', 'dps-registration.json');
    writeFileSync(stateFile, readFileSync(stateFile, 'utf8').slice(0, 60));
    const second = await open(individual);
    assert.equal((await second.getProvisioningInfo()).hubName, 'hub-a.azure-devices.net', 'the backup (previous good result) is served');
    await eventually(async () => assert.equal(dps.registrationCount('dev-1'), 3));
    await eventually(async () => assert.equal((await second.getProvisioningInfo()).hubName, 'hub-b.azure-devices.net'));
  });

  it('never serves a state forged in a stateDir others can write with the real key: refuses to open', async () => {
    const stateDir = path.join(dir, 'state');
    mkdirSync(stateDir, { mode: 0o777 });
    chmodSync(stateDir, 0o777);
    // What another local user can write there: a state for their hub, checksum and all.
    writeFileSync(path.join(stateDir, 'dps-registration.json'), forgedState(dps.host, dps.idScope), { mode: 0o600 });
    await assert.rejects(
      open(individual),
      (err: unknown) => err instanceof ConfigError && err.message.startsWith(`DPS state directory ${stateDir} has owner root and mode 0777`),
    );
    assert.equal(dps.registrationCount('dev-1'), 0);
  });

  it('derives the group device key as documented and serves only the derived key', async () => {
    dps.addGroupEnrollment({
      enrollmentGroupId: 'vector-group',
      attestation: { type: 'symmetricKey', primaryKey: VECTOR_GROUP_KEY },
      hub: 'hub-g.azure-devices.net',
    });
    const store = await open({ registrationId: VECTOR_REGISTRATION_ID, attestation: { type: 'symmetricKey', enrollment: 'group', key: VECTOR_GROUP_KEY } });
    const info = await eventually(() => store.getProvisioningInfo());
    assert.equal(info.credentials.key, VECTOR_DEVICE_KEY);
    assert.equal(info.hubName, 'hub-g.azure-devices.net');
    assert.equal(info.deviceId, VECTOR_REGISTRATION_ID);
  });

  it('registers with an X.509 certificate chain and serves it as base64 PEM or as HSM references', async () => {
    const root = makeCertificateAuthority('xprov test root');
    const intermediate = makeCertificateAuthority('xprov test intermediate', root);
    const device = makeDeviceCertificate('x509-dev', intermediate);
    dps.addGroupEnrollment({ enrollmentGroupId: 'x509-group', attestation: { type: 'x509', caCertPem: root.certPem }, hub: 'hub-x.azure-devices.net' });
    const certFile = path.join(dir, 'device-chain.pem');
    const keyFile = path.join(dir, 'device.key.pem');
    writeFileSync(certFile, device.certPem + (device.chainPem ?? ''));
    writeFileSync(keyFile, device.keyPem, { mode: 0o600 });
    const store = await open({ registrationId: 'x509-dev', attestation: { type: 'x509', certFile, keyFile } });
    const info = await eventually(() => store.getProvisioningInfo());
    const daemon = parseLikeDaemon(Buffer.from(JSON.stringify(info)));
    assert.equal(daemon.hubName, 'hub-x.azure-devices.net');
    assert.equal(daemon.credentials.kind, 'x509-payload');
    assert.equal(dps.requests.find((r) => r.method === 'PUT')?.auth, 'x509');
    await store.close();

    const hsm = await open({
      registrationId: 'x509-dev',
      attestation: { type: 'x509', certFile, keyFile, serveAs: 'hsm', hsm: { identityCert: 'pkcs11:object=c', identityPrivateKey: 'pkcs11:object=k' } },
    });
    assert.deepEqual((await hsm.getProvisioningInfo()).credentials, {
      authType: 'x509',
      source: 'hsm',
      identityCert: 'pkcs11:object=c',
      identityPrivateKey: 'pkcs11:object=k',
    });
  });

  it('checks an X.509 identity like the file stores: a certificate expired since registration is not served', async () => {
    const ca = TestCa.create({ cn: 'xprov dps test CA' });
    dps.addGroupEnrollment({ enrollmentGroupId: 'expiry-group', attestation: { type: 'x509', caCertPem: ca.certPem }, hub: 'hub-e.azure-devices.net' });
    const certFile = path.join(dir, 'device.pem');
    const keyFile = path.join(dir, 'device.key');
    const valid = ca.issue({ cn: 'expiry-dev', fromDays: -1, toDays: 10 });
    writeFileSync(certFile, valid.certPem);
    writeFileSync(keyFile, valid.keyPem, { mode: 0o600 });
    const settings = { registrationId: 'expiry-dev', attestation: { type: 'x509', certFile, keyFile } };
    const first = await open(settings);
    assert.equal((await eventually(() => first.getProvisioningInfo())).hubName, 'hub-e.azure-devices.net');
    await first.close();
    // Later the certificate on disk has expired; the saved assignment must not be served with it.
    const expired = ca.issue({ cn: 'expiry-dev', fromDays: -30, toDays: -2 });
    writeFileSync(certFile, expired.certPem);
    writeFileSync(keyFile, expired.keyPem, { mode: 0o600 });
    const second = await open(settings);
    assert.match(await unavailable(second.getProvisioningInfo()), /^DPS store expiry-dev: .*expired on /);
  });

  it('sends the registration payload and uses the configured api-version', async () => {
    const store = await open({ ...individual, apiVersion: '2019-03-31', payload: { site: 'lab-7' } });
    await eventually(() => store.getProvisioningInfo());
    assert.deepEqual(dps.lastRegistrationPayload('dev-1'), { site: 'lab-7' });
    assert.equal(dps.requests[0]?.apiVersion, '2019-03-31');
  });
});
