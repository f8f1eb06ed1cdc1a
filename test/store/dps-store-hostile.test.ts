/**
 * The DPS store against a hostile or broken DPS and a hostile disk: assignments that
 * are never saved or served, a forged state file, reprovision floods, a state write
 * that fails, and a stop during a registration that never ends.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SAVE_ATTEMPTS } from '../../src/dps/state-saver.js';
import { DpsStore, type DpsStoreOptions } from '../../src/store/dps-store.js';
import { DpsEmulator } from '../support/dps-emulator.js';
import { unavailable, writeDpsSettings } from '../support/dps-store-fixture.js';
import { eventually } from '../support/eventually.js';
import { type CapturedLog, captureLog } from '../support/log-capture.js';
import { registerSecret } from '../support/secrets.js';
import { tempDir } from '../support/tmp.js';

const DEVICE_KEY = Buffer.from('dps hostile test device key, not a secret').toString('base64');
registerSecret(DEVICE_KEY);

describe('DPS store against a hostile DPS or disk', () => {
  let dps: DpsEmulator;
  let dir: string;
  let stateDir: string;
  let logged: CapturedLog;
  const stores: DpsStore[] = [];

  async function open(settings: Record<string, unknown> = {}, options: DpsStoreOptions = {}): Promise<DpsStore> {
    const file = writeDpsSettings(dir, dps, { registrationId: 'dev-1', attestation: { type: 'symmetricKey', key: DEVICE_KEY }, stateDir, ...settings });
    logged = captureLog();
    const store = await DpsStore.open(file, logged.log, options);
    stores.push(store);
    return store;
  }
  const messages = (): string[] => logged.lines().map((l) => String(l.msg));
  const stateFile = (): string => path.join(stateDir, 'dps-registration.json');

  beforeEach(async () => {
    dps = await DpsEmulator.start({ retryAfterSeconds: 0 });
    dir = tempDir();
    stateDir = path.join(dir, 'state');
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

  it('neither saves nor serves a hub DPS should never send, and keeps serving the previous one', async () => {
    dps.tamperWithState((s) => ({ ...s, assignedHub: 'evil.example/devices?x=' }));
    const first = await open();
    const message = await eventually(async () => {
      const m = await unavailable(first.getProvisioningInfo());
      assert.notEqual(m, 'no DPS registration yet: registration in progress');
      return m;
    });
    assert.equal(
      message,
      'no DPS registration yet: DPS assigned a registration xprov refuses to save or serve: assignedHub must not contain CR, LF, NUL, /, @, ? or #',
    );
    assert.equal(existsSync(stateFile()), false, 'nothing saved');

    dps.tamperWithState(undefined);
    await first.reprovision();
    assert.equal((await first.getProvisioningInfo()).hubName, 'hub-a.azure-devices.net');
    dps.tamperWithState((s) => ({ ...s, assignedHub: 'hub-b.azure-devices.net\r\nx' }));
    assert.match(
      await unavailable(first.reprovision()),
      /^reprovision: DPS assigned a registration xprov refuses .*; still serving dev-1 on hub-a\.azure-devices\.net$/,
    );
    assert.equal((await first.getProvisioningInfo()).hubName, 'hub-a.azure-devices.net');
    assert.match(readFileSync(stateFile(), 'utf8'), /"assignedHub": "hub-a\.azure-devices\.net"/);
  });

  it('does not serve a forged state file with a NUL in the hub: logs why and registers again', async () => {
    mkdirSync(stateDir);
    const identity = { endpoint: dps.host, idScope: dps.idScope, registrationId: 'dev-1' };
    const result = { assignedHub: 'hub-a.azure-devices.net\u0000evil', deviceId: 'dev-1', status: 'assigned' };
    const registeredAt = '2026-11-30T00:00:00.000Z';
    const sha256 = createHash('sha256')
      .update(JSON.stringify([identity, result, registeredAt]))
      .digest('hex');
    writeFileSync(stateFile(), JSON.stringify({ format: 1, identity, result, registeredAt, sha256 }));
    const store = await open();
    const warning = logged.lines().find((l) => l.msg === 'DPS state file and its backup are corrupt or invalid; not serving them, registering again');
    assert.ok(warning, JSON.stringify(messages()));
    assert.match(String(warning.problem), /^dps-registration\.json: result breaks the assignment rules: assignedHub must not contain CR, LF, NUL/);
    assert.equal((await eventually(() => store.getProvisioningInfo())).hubName, 'hub-a.azure-devices.net');
    assert.equal(dps.registrationCount('dev-1'), 1);
  });

  it('coalesces concurrent reprovisions and starts a new registration at most once per minRegistrationIntervalMs', async () => {
    let now = 1_000_000;
    const store = await open({ minRegistrationIntervalMs: 30_000 }, { now: () => now });
    await eventually(() => store.getProvisioningInfo());
    assert.equal(dps.registrationCount('dev-1'), 1);
    now += 30_000;
    // Before: 50 reprovision calls made 50 registrations; now 50 at once share one...
    await Promise.all(Array.from({ length: 50 }, () => store.reprovision()));
    assert.equal(dps.registrationCount('dev-1'), 2);
    // ...and 50 in a row within the interval are answered from its outcome.
    dps.moveRegistration('dev-1', { hub: 'hub-b.azure-devices.net' });
    for (let i = 0; i < 50; i++) {
      now += 500;
      await store.reprovision();
    }
    assert.equal(dps.registrationCount('dev-1'), 2);
    assert.equal((await store.getProvisioningInfo()).hubName, 'hub-a.azure-devices.net', 'DPS not asked yet');
    assert.ok(messages().includes('DPS registration not repeated so soon; answering with the last outcome'));
    now += 30_000;
    await store.reprovision();
    assert.equal(dps.registrationCount('dev-1'), 3);
    assert.equal((await store.getProvisioningInfo()).hubName, 'hub-b.azure-devices.net');
  });

  it('answers a reprovision within the interval with the last failure too, without calling DPS', async () => {
    let now = 1_000_000;
    const store = await open({ minRegistrationIntervalMs: 30_000 }, { now: () => now });
    await eventually(() => store.getProvisioningInfo());
    now += 30_000;
    dps.failNext(1, { status: 401 });
    const first = await unavailable(store.reprovision());
    now += 1000;
    assert.equal(await unavailable(store.reprovision()), first);
    assert.equal(dps.requests.filter((r) => r.method === 'PUT').length, 2);
  });

  it('serves a new assignment it cannot save, says so, and retries the save until it succeeds', async () => {
    const store = await open();
    await eventually(() => store.getProvisioningInfo());
    // The state directory turns into a file: every write fails (as with ENOSPC or a read-only mount).
    renameSync(stateDir, `${stateDir}.away`);
    writeFileSync(stateDir, 'not a directory');
    dps.moveRegistration('dev-1', { hub: 'hub-b.azure-devices.net' });
    await store.reprovision();
    assert.equal((await store.getProvisioningInfo()).hubName, 'hub-b.azure-devices.net', 'the new assignment is the truth: served');
    const failed = logged.lines().find((l) => String(l.msg).startsWith('cannot save the DPS registration; serving it from memory and retrying the save'));
    assert.ok(failed, JSON.stringify(messages()));
    assert.equal(failed.hubName, 'hub-b.azure-devices.net');
    assert.match(
      String(failed.msg),
      /the next start serves the state file's previous assignment \(dev-1 on hub-a\.azure-devices\.net\) until the daemon asks to reprovision/,
    );
    assert.ok(!messages().some((m) => /at next start/.test(m)), 'no promise of a retry at next start');
    // The disk recovers: a retry saves it, without another registration.
    const registrations = dps.registrationCount('dev-1');
    rmSync(stateDir);
    renameSync(`${stateDir}.away`, stateDir);
    await eventually(async () => assert.ok(messages().includes('DPS registration saved after earlier failures')));
    assert.match(readFileSync(stateFile(), 'utf8'), /"assignedHub": "hub-b\.azure-devices\.net"/);
    assert.equal(dps.registrationCount('dev-1'), registrations);
  });

  it('gives up retrying the save after a bounded number of attempts, saying what the next start serves, and tries once more at stop', async () => {
    const store = await open();
    // A state directory that is not one is refused at open (files/trust.ts): it becomes a
    // file only now, while the first registration is on its way (it awaits DPS's answer).
    rmSync(stateDir, { recursive: true, force: true });
    writeFileSync(stateDir, 'not a directory');
    assert.equal((await eventually(() => store.getProvisioningInfo())).hubName, 'hub-a.azure-devices.net');
    const gaveUp = await eventually(async () => {
      const line = logged.lines().find((l) => String(l.msg).includes('gave up after'));
      assert.ok(line);
      return line;
    });
    assert.equal(gaveUp.attempt, SAVE_ATTEMPTS);
    assert.match(
      String(gaveUp.msg),
      /serving it from memory until xprov stops \(one more attempt then\); the next start finds no saved registration and registers again$/,
    );
    await store.close();
    assert.ok(messages().some((m) => m.startsWith('cannot save the DPS registration at stop')));
  });

  it('close() abandons a registration in flight at once (a DPS that never answers)', async () => {
    dps.setHostile({ kind: 'silent' });
    const store = await open({ registrationTimeoutMs: 60_000 });
    const reprovision = unavailable(store.reprovision());
    await eventually(async () => assert.ok(dps.requests.length >= 1));
    const started = Date.now();
    await store.close();
    assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
    assert.match(await reprovision, /^reprovision: DPS registration abandoned: xprov is stopping$/);
    // A reprovision arriving after close() starts no registration.
    const requests = dps.requests.length;
    assert.match(await unavailable(store.reprovision()), /^reprovision: DPS registration abandoned: xprov is stopping$/);
    assert.equal(dps.requests.length, requests);
  });
});
