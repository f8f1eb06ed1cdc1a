/**
 * End to end: xprov with the DPS store (the shipped bin where signals, a FIFO or a smoke
 * test need a process; in-process otherwise), the DPS emulator, and a client that
 * behaves like IoT Edge's daemon (boot, GET reprovision, boot again).
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { daemonRequest, API_VERSION_QUERY, provisionLikeDaemon } from '../support/daemon-client.js';
import { DpsEmulator } from '../support/dps-emulator.js';
import { registerSecret } from '../support/secrets.js';
import { assertConformsToSpec } from '../support/spec.js';
import { tempDir } from '../support/tmp.js';
import { makeFifo } from '../support/fifo.js';
import { runCommand, serveCommand } from '../support/cli-run.js';
import { exitsWithin, runXprov, serveXprov } from '../support/xprov-process.js';
import { eventually } from '../support/eventually.js';

const GROUP_KEY = Buffer.from('dps end-to-end group key, a throwaway').toString('base64');
registerSecret(GROUP_KEY);

describe('xprov with the DPS store (end to end)', () => {
  let dps: DpsEmulator;
  let dir: string;
  let settings: string;

  beforeEach(async () => {
    dps = await DpsEmulator.start({ retryAfterSeconds: 0 });
    dps.addGroupEnrollment({ enrollmentGroupId: 'edge-fleet', attestation: { type: 'symmetricKey', primaryKey: GROUP_KEY }, hub: 'hub-a.azure-devices.net' });
    dir = tempDir();
    settings = path.join(dir, 'dps.yaml');
    writeFileSync(
      settings,
      YAML.stringify({
        endpoint: dps.host,
        idScope: dps.idScope,
        registrationId: 'gateway-7',
        attestation: { type: 'symmetricKey', enrollment: 'group', key: GROUP_KEY },
        trustedCaFile: dps.caCertFile,
        stateDir: path.join(dir, 'state'),
        registrationTimeoutMs: 3000,
        retryInitialDelayMs: 10,
        retryMaxDelayMs: 50,
        // Most tests reprovision right after a registration; the rate limit has its own tests.
        minRegistrationIntervalMs: 0,
      }),
      // Holding the key inline: xprov refuses it readable by others.
      { mode: 0o600 },
    );
  });
  afterEach(() => dps.stop());

  it('boots the daemon, moves it to another hub on reprovision, and boots it again from the saved result', async () => {
    const endpoint = `unix://${path.join(dir, 'external.sock')}`;
    let xprov = await serveXprov(['--store', `dps:${settings}`, '--listen', endpoint]);
    const first = await eventually(() => provisionLikeDaemon(endpoint));
    assert.equal(first.hubName, 'hub-a.azure-devices.net');
    assert.equal(first.deviceId, 'gateway-7');
    assert.equal(first.substatus, 'initialAssignment');
    assert.equal(first.credentials.kind, 'symmetric-key-payload');

    dps.moveRegistration('gateway-7', { hub: 'hub-b.azure-devices.net', substatus: 'deviceDataMigrated' });
    const reprovision = await daemonRequest(endpoint, 'GET', `/device/reprovision${API_VERSION_QUERY}`);
    assert.equal(reprovision.status, 200);
    assertConformsToSpec('ReprovisionDeviceByGet', reprovision);
    const moved = await provisionLikeDaemon(endpoint);
    assert.equal(moved.hubName, 'hub-b.azure-devices.net');
    assert.equal(moved.substatus, 'deviceDataMigrated');

    assert.equal(await xprov.stop(), 0);
    const registrations = dps.registrationCount('gateway-7');
    xprov = await serveXprov(['--store', `dps:${settings}`, '--listen', endpoint]);
    assert.equal((await provisionLikeDaemon(endpoint)).hubName, 'hub-b.azure-devices.net', 'served at once from the saved result');
    assert.equal(dps.registrationCount('gateway-7'), registrations, 'no DPS call on the restart');

    await dps.setDown(true);
    const failed = await daemonRequest(endpoint, 'GET', `/device/reprovision${API_VERSION_QUERY}`);
    assert.equal(failed.status, 503);
    assertConformsToSpec('ReprovisionDeviceByGet', failed);
    assert.match(
      JSON.parse(failed.body.toString()).message as string,
      /^reprovision: DPS unavailable: .*; still serving gateway-7 on hub-b\.azure-devices\.net$/,
    );
    assert.equal((await provisionLikeDaemon(endpoint)).hubName, 'hub-b.azure-devices.net');
    assert.equal(await xprov.stop(), 0);
    assert.ok(xprov.logLines().some((l) => l.msg === 'DPS registration failed'));
  });

  it('registers from the command line and prints the result with the key masked', async () => {
    const first = runXprov(['dps', 'register', '--store', `dps:${settings}`]);
    assert.equal(await first.exited, 0, first.stderr());
    assert.match(first.stdout(), /^registered: new assignment\nhubName: +hub-a\.azure-devices\.net\ndeviceId: +gateway-7\n/);
    assert.match(first.stdout(), /\n {2}key: +<masked: 44 chars, sha256 [0-9a-f]{8}>\n/);

    // The first run was the shipped bin (the smoke test); the rest run in-process.
    const cached = await runCommand(['dps', 'register', '--store', `dps:${settings}`]);
    assert.equal(cached.code, 0);
    assert.match(cached.stdout, /^saved registration \(not repeated; use --force to register again\)\n/);
    assert.equal(dps.registrationCount('gateway-7'), 1);

    const forced = await runCommand(['dps', 'register', '--force', '--store', `dps:${settings}`]);
    assert.equal(forced.code, 0);
    assert.match(forced.stdout, /^registered: assignment unchanged\n/);
    assert.equal(dps.registrationCount('gateway-7'), 2);
  });

  it('exits 1 with the reason when DPS refuses, and 2 on bad settings', async () => {
    dps.failNext(1, { status: 401 });
    const refused = await runCommand(['dps', 'register', '--store', `dps:${settings}`]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^xprov: DPS registration failed: DPS refused the device's credentials \(401 /m,
      'the last line says why; retries and failures are logged above it',
    );

    writeFileSync(settings, 'idScope: x\n');
    const bad = await runCommand(['dps', 'register', '--store', `dps:${settings}`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^xprov: DPS settings .*dps\.yaml: registrationId must be a non-empty string\n$/);
    const serve = await runCommand(['serve', '--store', `dps:${settings}`, '--listen', `unix://${path.join(dir, 'x.sock')}`]);
    assert.equal(serve.code, 2);
  });
  it('refuses a FIFO as DPS settings at once, in serve and dps register (exit 2, never blocking)', async function () {
    this.timeout(15000);
    const fifo = makeFifo(path.join(dir, 'fifo.yaml'));
    for (const args of [
      ['serve', '--store', `dps:${fifo}`, '--listen', `unix://${path.join(dir, 'x.sock')}`],
      ['dps', 'register', '--store', `dps:${fifo}`],
    ]) {
      const xprov = runXprov(args);
      assert.equal(await exitsWithin(xprov, 5000), 2, args[0]);
      assert.equal(xprov.stderr(), `xprov: DPS settings ${fifo} is a FIFO (named pipe), not a regular file\n`);
    }
  });

  it('refuses settings holding the key inline that others can read; serve --insecure-permissions uses them, warning', async () => {
    chmodSync(settings, 0o644);
    const socket = `unix://${path.join(dir, 'x.sock')}`;
    const refused = await runCommand(['serve', '--store', `dps:${settings}`, '--listen', socket]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /^xprov: DPS settings .* holds attestation\.key inline but has mode 0644 \(readable by others\); fix: chmod o-r .*\(or run with --insecure-permissions\)\n$/,
    );
    const xprov = await serveCommand(['--store', `dps:${settings}`, '--listen', socket, '--insecure-permissions']);
    assert.match(
      String(xprov.logLines().find((l) => l.msg === 'store warning')?.warning),
      /holds attestation\.key inline.*read anyway \(--insecure-permissions\)$/,
    );
    assert.equal(await xprov.stop(), 0);
  });

  it('stops on SIGTERM within shutdownTimeoutMs while a registration with a DPS that never answers is in flight', async () => {
    // Before: the stop waited for the registration's deadline (here 60 s; 175 s measured with the defaults).
    dps.setHostile({ kind: 'silent' });
    const config = YAML.parse(readFileSync(settings, 'utf8')) as Record<string, unknown>;
    writeFileSync(settings, YAML.stringify({ ...config, registrationTimeoutMs: 60_000 }));
    const endpoint = `unix://${path.join(dir, 'stop.sock')}`;
    const xprov = await serveXprov(['--store', `dps:${settings}`, '--listen', endpoint, '--shutdown-timeout-ms', '3000']);
    const reprovision = daemonRequest(endpoint, 'GET', `/device/reprovision${API_VERSION_QUERY}`);
    await eventually(async () => assert.ok(dps.requests.length >= 1, 'the registration reached DPS'));
    const started = Date.now();
    assert.equal(await xprov.stop('SIGTERM'), 0, xprov.stderr());
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `stopped after ${elapsed} ms`);
    const answer = await reprovision;
    assert.equal(answer.status, 503, 'the waiting reprovision got an answer, not a cut connection');
    assert.match(JSON.parse(answer.body.toString()).message as string, /DPS registration abandoned: xprov is stopping/);
  });

  it('prints the usage of dps register --help and exits 0', async () => {
    for (const args of [
      ['dps', 'register', '--help'],
      ['dps', 'register', '-h'],
      ['dps', 'register', '--force', '--help'],
    ]) {
      const help = await runCommand(args);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /^usage: xprov dps register \[--force\]/);
      assert.equal(help.stderr, '');
    }
  });
});
