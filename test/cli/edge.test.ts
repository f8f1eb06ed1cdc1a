/**
 * `xprov edge sync` in-process, against a fake aziot tree and a fake systemctl on
 * PATH, served by xprov itself (both transports) or by fake endpoints for the
 * failures: every credential mode, idempotency, a moved hub, a refusing or down
 * endpoint, the restart and --no-restart.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { type CommandRun, freePort, runCommand, serveCommand } from '../support/cli-run.js';
import { json, serveFake } from '../support/fake-endpoint.js';
import { makeDeviceCertificate } from '../support/pki.js';
import { registerSecret } from '../support/secrets.js';
import { tempDir } from '../support/tmp.js';

const KEY = randomBytes(32).toString('base64');
registerSecret(KEY);
const SAS = {
  hubName: 'hub.azure-devices.net',
  deviceId: 'dev1',
  credentials: { authType: 'symmetric-key', source: 'payload', key: KEY },
  status: 'assigned',
};
const UNITS = ['aziot-keyd.service', 'aziot-certd.service', 'aziot-identityd.service', 'aziot-edged.service'];
// aziot's own restart (aziotctl-common/src/system/restart.rs): stop the services, start the sockets, start the primary.
const RESTART_CALLS = [
  ...[...UNITS].reverse().map((u) => `stop ${u}`),
  ...['aziot-keyd.socket', 'aziot-certd.socket', 'aziot-identityd.socket', 'aziot-edged.mgmt.socket', 'aziot-edged.workload.socket'].map((u) => `start ${u}`),
  'start aziot-edged.service',
];

/** A fake aziot tree, secrets dir and systemctl (which logs its arguments, and fails while `fail` exists). */
interface Device {
  readonly aziotDir: string;
  readonly secretsDir: string;
  readonly fail: string;
  systemctlCalls(): string[];
  sync(endpoint: string, ...extra: string[]): Promise<CommandRun>;
  /** `xprov edge COMMAND` on this device. */
  run(command: string, endpoint: string, ...extra: string[]): Promise<CommandRun>;
  toml(service: string): Record<string, unknown>;
  dropIn(service: string): string;
}

function device(): Device {
  const root = tempDir();
  const bin = path.join(root, 'bin');
  const log = path.join(root, 'systemctl.log');
  const fail = path.join(root, 'systemctl-fails');
  const aziotDir = path.join(root, 'aziot');
  const secretsDir = path.join(root, 'run', 'xprov-edge');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> '${log}'\n[ -e '${fail}' ] && { echo 'Job failed' >&2; exit 3; }\nexit 0\n`);
  chmodSync(path.join(bin, 'systemctl'), 0o755);
  const run = (command: string, endpoint: string, ...extra: string[]): Promise<CommandRun> =>
    runCommand(['edge', command, '--endpoint', endpoint, '--aziot-dir', aziotDir, '--secrets-dir', secretsDir, ...extra], {
      env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
  const dropIn = (service: string): string => path.join(aziotDir, service, 'config.d', '50-xprov.toml');
  return {
    aziotDir,
    secretsDir,
    fail,
    dropIn,
    systemctlCalls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
    sync: (endpoint, ...extra) => run('sync', endpoint, ...extra),
    run,
    toml: (service) => plain(parse(readFileSync(dropIn(service), 'utf8'))),
  };
}

/** `xprov serve` over a store holding `info`, on a Unix socket or loopback TCP; its endpoint URL. */
async function serveXprov(info: unknown, transport: 'unix' | 'tcp'): Promise<string> {
  const dir = tempDir();
  const store = path.join(dir, 'store.json');
  writeFileSync(store, JSON.stringify(info), { mode: 0o600 });
  const endpoint = transport === 'unix' ? `unix://${path.join(dir, 'api.sock')}` : `http://127.0.0.1:${await freePort()}`;
  await serveCommand(['--store', store, '--listen', endpoint]);
  return endpoint;
}

function report(run: CommandRun): Record<string, unknown> {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

/** A TOML document as plain objects (smol-toml makes null-prototype ones). */
function plain(document: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(document)) as Record<string, unknown>;
}

describe('xprov edge sync', () => {
  for (const transport of ['unix', 'tcp'] as const) {
    it(`symmetric-key from payload, served by xprov over ${transport}: drop-ins, the raw key, a restart in aziot's order; then nothing`, async () => {
      const edge = device();
      const endpoint = await serveXprov(SAS, transport);
      const first = report(await edge.sync(endpoint, '--json'));
      assert.equal(first.changed, true);
      assert.deepEqual(first.restart, UNITS);
      assert.equal(first.restarted, true);
      assert.deepEqual(edge.systemctlCalls(), RESTART_CALLS);
      const keyFile = path.join(edge.secretsDir, 'device-id');
      assert.deepEqual(readFileSync(keyFile), Buffer.from(KEY, 'base64'));
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.deepEqual(edge.toml('identityd'), {
        provisioning: {
          source: 'manual',
          iothub_hostname: 'hub.azure-devices.net',
          device_id: 'dev1',
          authentication: { method: 'sas', device_id_pk: 'device-id' },
        },
      });
      assert.deepEqual(edge.toml('keyd'), { preloaded_keys: { 'device-id': `file://${keyFile}` } });
      assert.equal(existsSync(edge.dropIn('certd')), false);
      const before = [keyFile, edge.dropIn('keyd'), edge.dropIn('identityd')].map((f) => statSync(f).mtimeMs);

      const second = report(await edge.sync(endpoint, '--json'));
      assert.deepEqual([second.changed, second.written, second.restart, second.restarted], [false, [], [], false]);
      assert.deepEqual(edge.systemctlCalls(), RESTART_CALLS, 'nothing changed: nothing restarted');
      assert.deepEqual(
        [keyFile, edge.dropIn('keyd'), edge.dropIn('identityd')].map((f) => statSync(f).mtimeMs),
        before,
        'nothing changed: nothing written',
      );
    });
  }

  for (const transport of ['unix', 'tcp'] as const) {
    it(`x509 from payload, served by xprov over ${transport}: the PEMs decoded into the secrets dir, certd and keyd preloaded with them`, async () => {
      const edge = device();
      const identity = makeDeviceCertificate('dev1');
      registerSecret(identity.keyPem);
      const b64 = (text: string): string => Buffer.from(text).toString('base64');
      registerSecret(b64(identity.keyPem));
      const endpoint = await serveXprov(
        { ...SAS, credentials: { authType: 'x509', source: 'payload', identityCert: b64(identity.certPem), identityPrivateKey: b64(identity.keyPem) } },
        transport,
      );
      const run = await edge.sync(endpoint);
      assert.equal(run.code, 0, run.stderr);
      const keyPem = path.join(edge.secretsDir, 'device-id.key.pem');
      const certPem = path.join(edge.secretsDir, 'device-id.cert.pem');
      assert.equal(readFileSync(keyPem, 'utf8'), identity.keyPem);
      assert.equal(readFileSync(certPem, 'utf8'), identity.certPem);
      assert.deepEqual(edge.toml('keyd'), { preloaded_keys: { 'device-id': `file://${keyPem}` } });
      assert.deepEqual(edge.toml('certd'), { preloaded_certs: { 'device-id': `file://${certPem}` } });
      assert.deepEqual((edge.toml('identityd').provisioning as Record<string, unknown>).authentication, {
        method: 'x509',
        identity_cert: 'device-id',
        identity_pk: 'device-id',
      });
      assert.match(run.stdout, /^applied dev1 on hub.azure-devices.net \(x509 from payload\)\n/);
      assert.match(run.stdout, /\nrestarted aziot-keyd.service aziot-certd.service aziot-identityd.service aziot-edged.service\n$/);
    });

    it(`x509 from hsm, served by xprov over ${transport}: the references as keyd and certd take them, no secret file`, async () => {
      const edge = device();
      const endpoint = await serveXprov(
        {
          ...SAS,
          credentials: {
            authType: 'x509',
            source: 'hsm',
            identityCert: '/var/lib/edge/device.pem',
            identityPrivateKey: 'pkcs11:token=edge;object=device-key;type=private',
          },
        },
        transport,
      );
      report(await edge.sync(endpoint, '--json'));
      assert.deepEqual(edge.toml('keyd'), { preloaded_keys: { 'device-id': 'pkcs11:token=edge;object=device-key;type=private' } });
      assert.deepEqual(edge.toml('certd'), { preloaded_certs: { 'device-id': 'file:///var/lib/edge/device.pem' } });
      assert.equal(existsSync(path.join(edge.secretsDir, 'device-id.key.pem')), false);
    });

    it(`symmetric-key from hsm, served by xprov over ${transport}: identityd's sas settings only, no key file, no preloaded key`, async () => {
      const edge = device();
      const endpoint = await serveXprov({ ...SAS, credentials: { authType: 'symmetric-key', source: 'hsm' } }, transport);
      const run = report(await edge.sync(endpoint, '--json'));
      assert.equal(run.changed, true);
      assert.deepEqual((edge.toml('identityd').provisioning as Record<string, unknown>).authentication, { method: 'sas', device_id_pk: 'device-id' });
      assert.deepEqual(edge.toml('keyd'), {}, 'the key stays in the HSM: keyd must know device-id from its own config');
      assert.equal(existsSync(path.join(edge.secretsDir, 'device-id')), false);
      assert.equal(existsSync(edge.dropIn('certd')), false);
    });
  }

  it('a moved hub and a switch to symmetric-key from hsm: identityd rewritten, the old key file removed, a restart', async () => {
    const edge = device();
    let answer: unknown = SAS;
    const fake = await serveFake((_req, res) => json(res, 200, answer));
    report(await edge.sync(fake.endpoint, '--json'));
    answer = { ...SAS, hubName: 'other-hub.azure-devices.net', credentials: { authType: 'symmetric-key', source: 'hsm' } };
    const moved = report(await edge.sync(fake.endpoint, '--json', '--no-restart'));
    assert.equal(moved.changed, true);
    assert.deepEqual(moved.removed, [path.join(edge.secretsDir, 'device-id')]);
    assert.equal((edge.toml('identityd').provisioning as Record<string, unknown>).iothub_hostname, 'other-hub.azure-devices.net');
    assert.deepEqual(edge.toml('keyd'), {}, 'the key stays in the HSM: keyd must know device-id from its own config');
    assert.equal(existsSync(path.join(edge.secretsDir, 'device-id')), false);
    assert.deepEqual([moved.restart, moved.restarted], [UNITS, false]);
    assert.deepEqual(edge.systemctlCalls(), RESTART_CALLS, '--no-restart: only the first sync restarted');
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.url}`),
      Array(2).fill('GET /device/provisioninginformation?api-version=2019-04-10'),
    );
  });

  it('--no-restart lists the units instead of restarting them', async () => {
    const edge = device();
    const fake = await serveFake((_req, res) => json(res, 200, SAS));
    const run = await edge.sync(fake.endpoint, '--no-restart');
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /\nnot restarted \(--no-restart\); restart: aziot-keyd.service aziot-certd.service aziot-identityd.service aziot-edged.service\n$/,
    );
    assert.deepEqual(edge.systemctlCalls(), []);
  });

  it('a refusing or down endpoint: exit 1 with the reason, what was applied stays', async () => {
    const edge = device();
    let answer: [number, unknown] = [200, SAS];
    const fake = await serveFake((_req, res) => json(res, ...answer));
    report(await edge.sync(fake.endpoint, '--json'));
    const applied = readFileSync(edge.dropIn('identityd'), 'utf8');

    answer = [503, { message: `store unavailable: key=${KEY}` }];
    const refused = await edge.sync(fake.endpoint, '--json');
    assert.deepEqual([refused.code, refused.stdout], [1, '']);
    assert.equal(refused.stderr, `xprov: ${fake.endpoint} answered 503: store unavailable: key=[redacted]; nothing applied\n`);

    answer = [200, { ...SAS, status: 'none' }];
    const judged = await edge.sync(fake.endpoint);
    assert.equal(judged.code, 1);
    assert.match(judged.stderr, /the daemon would refuse this answer: status must be one of/);

    await fake.close();
    const down = await edge.sync(fake.endpoint);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^xprov: cannot reach /);

    assert.equal(readFileSync(edge.dropIn('identityd'), 'utf8'), applied);
    assert.deepEqual(readFileSync(path.join(edge.secretsDir, 'device-id')), Buffer.from(KEY, 'base64'));
    assert.deepEqual(edge.systemctlCalls(), RESTART_CALLS, 'no restart after a failure');
  });

  it('an answer aziot cannot take: exit 1 naming the field, nothing applied', async () => {
    const edge = device();
    const fake = await serveFake((_req, res) =>
      json(res, 200, {
        ...SAS,
        credentials: { authType: 'x509', source: 'hsm', identityCert: 'pkcs11:object=c;type=cert', identityPrivateKey: 'pkcs11:object=k;type=private' },
      }),
    );
    const run = await edge.sync(fake.endpoint);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /answered something aziot cannot take: credentials.identityCert is a pkcs11: URI.*; nothing applied\n$/);
    assert.equal(existsSync(edge.aziotDir), false);
  });

  it('a failed restart: exit 1 naming the unit, the files applied', async () => {
    const edge = device();
    writeFileSync(edge.fail, '');
    const fake = await serveFake((_req, res) => json(res, 200, SAS));
    const run = await edge.sync(fake.endpoint);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'xprov: applied, but the restart failed: systemctl stop aziot-edged.service failed (exit code 3): Job failed\n');
    assert.ok(existsSync(edge.dropIn('identityd')));
  });

  it('refuses bad usage with exit code 2', async () => {
    const missing = await runCommand(['edge', 'sync']);
    assert.deepEqual([missing.code, missing.stderr], [2, 'xprov: xprov edge sync needs --endpoint URL (unix:///path.sock or http://host:port)\n']);
    const positional = await runCommand(['edge', 'sync', 'unix:///x.sock']);
    assert.equal(positional.code, 2);
    const unknown = await runCommand(['edge', 'frobnicate']);
    assert.equal(unknown.code, 2);
    const help = await runCommand(['edge', 'sync', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: xprov edge sync --endpoint URL/);
  });
});

describe('xprov edge reprovision (aziot-edged exited 154)', () => {
  it('sends the notice as GET, as the 1.1 daemon did, then syncs what the endpoint now serves', async () => {
    const edge = device();
    let answer: unknown = SAS;
    const fake = await serveFake((req, res) => {
      if (req.url?.startsWith('/device/reprovision') === true) {
        // The endpoint found the device moved (e.g. re-registered with DPS).
        answer = { ...SAS, hubName: 'moved-hub.azure-devices.net', substatus: 'reprovisionedToInitialAssignment' };
        res.writeHead(200).end();
        return;
      }
      json(res, 200, answer);
    });
    report(await edge.sync(fake.endpoint, '--json'));
    const moved = report(await edge.run('reprovision', fake.endpoint, '--json'));
    assert.deepEqual(
      [moved.changed, moved.hubName, moved.substatus, moved.restarted],
      [true, 'moved-hub.azure-devices.net', 'reprovisionedToInitialAssignment', true],
    );
    assert.equal((edge.toml('identityd').provisioning as Record<string, unknown>).iothub_hostname, 'moved-hub.azure-devices.net');
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.url}`),
      [
        'GET /device/provisioninginformation?api-version=2019-04-10',
        'GET /device/reprovision?api-version=2019-04-10',
        'GET /device/provisioninginformation?api-version=2019-04-10',
      ],
    );
    assert.deepEqual(edge.systemctlCalls(), [...RESTART_CALLS, ...RESTART_CALLS]);
  });

  it('served by xprov: the notice is accepted and an unchanged answer restarts nothing', async () => {
    const edge = device();
    const endpoint = await serveXprov(SAS, 'unix');
    report(await edge.sync(endpoint, '--json'));
    const again = report(await edge.run('reprovision', endpoint, '--json'));
    assert.equal(again.changed, false);
    assert.deepEqual(edge.systemctlCalls(), RESTART_CALLS);
  });

  it('a refused notice: exit 1, nothing synced', async () => {
    const edge = device();
    const fake = await serveFake((_req, res) => json(res, 500, { message: 'DPS unreachable' }));
    const run = await edge.run('reprovision', fake.endpoint);
    assert.deepEqual([run.code, run.stderr], [1, `xprov: ${fake.endpoint} answered 500 to GET reprovision: DPS unreachable; nothing synced\n`]);
    assert.equal(fake.requests.length, 1);
    assert.equal(existsSync(edge.aziotDir), false);
  });
});

describe('xprov edge status', () => {
  it('applied against served: in sync after a sync (exit 0), the differing files after a move (exit 1), no key shown', async () => {
    const edge = device();
    let answer: unknown = SAS;
    const fake = await serveFake((_req, res) => json(res, 200, answer));
    const status = (...extra: string[]): Promise<CommandRun> =>
      runCommand(['edge', 'status', '--endpoint', fake.endpoint, '--aziot-dir', edge.aziotDir, '--secrets-dir', edge.secretsDir, ...extra]);

    const before = await status();
    assert.equal(before.code, 1);
    assert.match(before.stdout, /^served: {2}dev1 on hub.azure-devices.net \(symmetric-key from payload\)\napplied: nothing\n/);

    report(await edge.sync(fake.endpoint, '--json'));
    const synced = await status('--json');
    assert.equal(synced.code, 0, synced.stderr);
    const current = JSON.parse(synced.stdout) as { inSync: boolean; applied: unknown; served: { key?: string }; files: { state: string }[] };
    assert.equal(current.inSync, true);
    assert.match(String(current.served.key), /^<masked: 44 chars, sha256 [0-9a-f]{8}>$/);
    assert.deepEqual(current.applied, { hubName: 'hub.azure-devices.net', deviceId: 'dev1', method: 'sas', key: current.served.key });
    assert.deepEqual(
      current.files.map((f) => f.state),
      ['current', 'current', 'current'],
    );

    // Not 9, 7, ...: other tests show those keys on purpose (--show-secrets), unregistered.
    const rotatedKey = Buffer.alloc(32, 0x2a).toString('base64');
    registerSecret(rotatedKey);
    answer = { ...SAS, hubName: 'moved.azure-devices.net', credentials: { ...SAS.credentials, key: rotatedKey } };
    const moved = await status();
    const keyLine = /\nkey: {5}served (<masked: [^>]+>), applied (<masked: [^>]+>)\n/.exec(moved.stdout);
    assert.ok(keyLine, moved.stdout);
    assert.notEqual(keyLine[1], keyLine[2], 'a rotated key: the served and applied fingerprints differ');
    assert.equal(moved.code, 1);
    assert.match(moved.stdout, /\napplied: dev1 on hub.azure-devices.net \(sas\)\n/);
    assert.match(moved.stdout, new RegExp(`\\n  differs ${edge.dropIn('identityd').replace(/[.]/g, '\\.')}\\n`));
    assert.match(moved.stdout, /\nnot in sync: xprov edge sync would change it\n$/);
    assert.doesNotMatch(`${before.stdout}${synced.stdout}${moved.stdout}`, new RegExp(KEY.replace(/[+/]/g, '.')));
  });
});
