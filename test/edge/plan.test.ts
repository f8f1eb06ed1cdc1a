/**
 * The aziot mapping of `xprov edge` (src/edge/plan.ts, apply.ts, users.ts) without a
 * device: what each credential mode becomes, who owns what, and what is refused.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import type { DeviceProvisioningInfo } from '../../src/contract/types.js';
import { applyPlan } from '../../src/edge/apply.js';
import { type EdgePlan, planEdge } from '../../src/edge/plan.js';
import { serviceOwners } from '../../src/edge/users.js';
import { ConfigError } from '../../src/errors.js';
import { registerSecret } from '../support/secrets.js';
import { tempDir } from '../support/tmp.js';

const KEY = randomBytes(32).toString('base64');
registerSecret(KEY);
const SAS: DeviceProvisioningInfo = {
  hubName: 'hub.azure-devices.net',
  deviceId: 'dev1',
  credentials: { authType: 'symmetric-key', source: 'payload', key: KEY },
};
const NOBODY = { uid: 65534, gid: 65534 };

function dirs(): { aziotDir: string; secretsDir: string } {
  const root = tempDir();
  return { aziotDir: path.join(root, 'aziot'), secretsDir: path.join(root, 'secrets') };
}

function planned(info: DeviceProvisioningInfo, where = dirs(), owners = {}): EdgePlan {
  const result = planEdge(info, { ...where, owners });
  assert.ok(result.ok, result.ok ? '' : result.problem);
  return result.plan;
}

function tomlOf(plan: EdgePlan, suffix: string): Record<string, unknown> {
  const file = plan.files.find((f) => f.path.endsWith(suffix));
  assert.ok(file, `no ${suffix} in the plan`);
  return plain(parse(file.data.toString('utf8')));
}

function problemOf(info: DeviceProvisioningInfo): string {
  const result = planEdge(info, { ...dirs(), owners: {} });
  assert.ok(!result.ok, 'expected a refusal');
  return result.problem;
}

/** A TOML document as plain objects (smol-toml makes null-prototype ones). */
function plain(document: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(document)) as Record<string, unknown>;
}

describe('xprov edge: the aziot mapping', () => {
  it('maps x509 hsm references: pkcs11: and file:// as they are, an absolute path as a file:// URI', () => {
    const plan = planned({
      ...SAS,
      credentials: {
        authType: 'x509',
        source: 'hsm',
        identityCert: '/var/lib/certs/device id.pem',
        identityPrivateKey: 'pkcs11:token=edge;object=device-key;type=private',
      },
    });
    assert.deepEqual(tomlOf(plan, 'keyd/config.d/50-xprov.toml').preloaded_keys, { 'device-id': 'pkcs11:token=edge;object=device-key;type=private' });
    assert.deepEqual(tomlOf(plan, 'certd/config.d/50-xprov.toml').preloaded_certs, { 'device-id': 'file:///var/lib/certs/device%20id.pem' });
    assert.deepEqual(
      plan.files.filter((f) => f.secret),
      [],
      'hsm: no key material leaves the HSM',
    );
  });

  it('refuses hsm references aziot cannot load, naming the field and never the value', () => {
    const x509 = (identityCert: string, identityPrivateKey: string): DeviceProvisioningInfo => ({
      ...SAS,
      credentials: { authType: 'x509', source: 'hsm', identityCert, identityPrivateKey },
    });
    assert.match(problemOf(x509('/c.pem', 'my-old-handle')), /^credentials.identityPrivateKey \(source hsm\) is neither a pkcs11: URI/);
    assert.match(
      problemOf(x509('pkcs11:object=cert;type=cert', '/k.pem')),
      /^credentials.identityCert is a pkcs11: URI, but aziot-certd's preloaded_certs take only file:\/\/ URIs/,
    );
    assert.match(problemOf(x509('file://otherhost/c.pem', '/k.pem')), /^credentials.identityCert is not a file:\/\/ URI of a local absolute path/);
    const badPin = problemOf(x509('/c.pem', 'pkcs11:object=k;pin-value=12%'));
    assert.match(badPin, /^credentials.identityPrivateKey is not a valid pkcs11: URI/);
    assert.doesNotMatch(badPin, /pin-value=12/);
  });

  it('symmetric-key from hsm: no key file and no preloaded key, only the principal identityd needs', () => {
    const plan = planned({ ...SAS, credentials: { authType: 'symmetric-key', source: 'hsm' } }, dirs(), { aziotid: { uid: 5556, gid: 5556 } });
    assert.deepEqual(tomlOf(plan, 'keyd/config.d/50-xprov.toml'), { principal: [{ uid: 5556, keys: ['aziot_identityd_master_id', 'device-id'] }] });
    assert.deepEqual(tomlOf(plan, 'identityd/config.d/50-xprov.toml').provisioning, {
      source: 'manual',
      iothub_hostname: 'hub.azure-devices.net',
      device_id: 'dev1',
      authentication: { method: 'sas', device_id_pk: 'device-id' },
    });
    assert.deepEqual(
      plan.files.filter((f) => f.secret),
      [],
    );
  });

  it('reads the service users from the passwd file', async () => {
    const passwd = path.join(tempDir(), 'passwd');
    writeFileSync(
      passwd,
      'root:x:0:0::/root:/bin/sh\naziotks:x:990:991::/:/usr/sbin/nologin\naziotid:x:992:993::/:/bin/false\naziotcs:x:bad:1::/:/bin/false\n',
    );
    assert.deepEqual(await serviceOwners(passwd), { aziotks: { uid: 990, gid: 991 }, aziotid: { uid: 992, gid: 993 } });
    assert.deepEqual(await serviceOwners(path.join(tempDir(), 'none')), {});
  });

  it('writes each file 0600, owned by the service user that reads it, the secrets dir 0711', async () => {
    const where = dirs();
    const owners = { aziotks: NOBODY, aziotcs: { uid: 65533, gid: 65533 }, aziotid: { uid: 65532, gid: 65532 } };
    const plan = planned(SAS, where, owners);
    const result = await applyPlan(plan, where.secretsDir);
    assert.equal(result.written.length, 3);
    const stat = (file: string) => lstatSync(file);
    assert.equal(stat(where.secretsDir).mode & 0o777, 0o711);
    const key = stat(path.join(where.secretsDir, 'device-id'));
    assert.deepEqual([key.mode & 0o777, key.uid, key.gid], [0o600, 65534, 65534]);
    assert.deepEqual(readFileSync(path.join(where.secretsDir, 'device-id')), Buffer.from(KEY, 'base64'));
    const keyd = stat(path.join(where.aziotDir, 'keyd/config.d/50-xprov.toml'));
    assert.deepEqual([keyd.mode & 0o777, keyd.uid], [0o600, 65534]);
    const identityd = stat(path.join(where.aziotDir, 'identityd/config.d/50-xprov.toml'));
    assert.deepEqual([identityd.mode & 0o777, identityd.uid], [0o600, 65532]);
    // Same plan again: nothing to do.
    assert.deepEqual(await applyPlan(plan, where.secretsDir), { written: [], removed: [] });
  });

  it('refuses a secrets dir another user can write to, and writes nothing', async () => {
    const where = dirs();
    mkdirSync(where.secretsDir, { mode: 0o700 });
    chmodSync(where.secretsDir, 0o777);
    await assert.rejects(applyPlan(planned(SAS, where), where.secretsDir), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /writable by others/);
      return true;
    });
    assert.throws(() => lstatSync(path.join(where.secretsDir, 'device-id')), { code: 'ENOENT' });
    assert.throws(() => lstatSync(path.join(where.aziotDir, 'identityd')), { code: 'ENOENT' });
  });

  it('refuses a symbolic link where a file goes, instead of replacing what it points to', async () => {
    const where = dirs();
    mkdirSync(where.secretsDir, { mode: 0o711 });
    const victim = path.join(tempDir(), 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, path.join(where.secretsDir, 'device-id'));
    await assert.rejects(applyPlan(planned(SAS, where), where.secretsDir), /device-id exists and is not a regular file/);
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
  });
});
