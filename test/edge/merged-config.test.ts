/**
 * The configuration aziot's services end up with (config-common's merge of a manual
 * `config.toml` made by `iotedge config apply`, its `00-super.toml`, and xprov's
 * `50-xprov.toml`) equals what `iotedge config apply` produces for the equivalent
 * manual provisioning. The expectations are the facts of aziot's own apply test files
 * (Azure/iot-identity-service aziotctl/aziotctl-common/test-files/apply/
 * manual-symmetric-key/ and manual-x509/{identityd,keyd,certd}.toml): the same keys,
 * ids and principals, with the secret files where xprov puts them.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { stringify } from 'smol-toml';
import type { DeviceProvisioningInfo } from '../../src/contract/types.js';
import { applyPlan } from '../../src/edge/apply.js';
import { planEdge } from '../../src/edge/plan.js';
import { readAziotConfig } from '../support/aziot-merge.js';
import { registerSecret } from '../support/secrets.js';
import { tempDir } from '../support/tmp.js';

/** aziotid's uid in aziot's apply test files. */
const AZIOTID = { uid: 5556, gid: 5556 };

/** What apply wrote into 00-super.toml for an earlier manual device (apply test-files manual-symmetric-key/). */
const SUPER = {
  identityd: {
    hostname: 'my-device',
    homedir: '/var/lib/aziot/identityd',
    provisioning: {
      source: 'manual',
      iothub_hostname: 'example.azure-devices.net',
      device_id: 'my-device',
      authentication: { method: 'sas', device_id_pk: 'device-id' },
    },
  },
  keyd: {
    aziot_keys: { homedir_path: '/var/lib/aziot/keyd' },
    preloaded_keys: { 'device-id': 'file:///var/secrets/aziot/keyd/device-id' },
    principal: [{ uid: 5556, keys: ['aziot_identityd_master_id', 'device-id'] }],
  },
  certd: { homedir_path: '/var/lib/aziot/certd', cert_issuance: {}, preloaded_certs: {} },
};

/** A fake /etc/aziot: each service's config.toml (empty, as apply leaves them) and config.d/00-super.toml. */
function aziotTree(): string {
  const dir = path.join(tempDir(), 'aziot');
  for (const [service, document] of Object.entries(SUPER)) {
    mkdirSync(path.join(dir, service, 'config.d'), { recursive: true });
    writeFileSync(path.join(dir, service, 'config.toml'), '');
    writeFileSync(path.join(dir, service, 'config.d', '00-super.toml'), stringify(document));
  }
  return dir;
}

async function merged(info: DeviceProvisioningInfo): Promise<{ config: (service: string) => Record<string, unknown>; secretsDir: string }> {
  const aziotDir = aziotTree();
  const secretsDir = path.join(tempDir(), 'secrets');
  const plan = planEdge(info, { aziotDir, secretsDir, owners: { aziotid: AZIOTID } });
  assert.ok(plan.ok);
  await applyPlan(plan.plan, secretsDir);
  return { secretsDir, config: (service) => readAziotConfig(path.join(aziotDir, service, 'config.toml'), path.join(aziotDir, service, 'config.d')) };
}

/**
 * Principals as keyd's authorization sees them: the keys each uid may use. Arrays
 * concatenate, so the drop-in's principal repeats apply's; an identical repeat grants
 * nothing more.
 */
function principals(config: Record<string, unknown>): Record<string, string[]> {
  const byUid: Record<string, Set<string>> = {};
  for (const p of (config.principal ?? []) as { uid: number; keys: string[] }[]) {
    byUid[p.uid] ??= new Set();
    for (const key of p.keys) byUid[p.uid]?.add(key);
  }
  return Object.fromEntries(Object.entries(byUid).map(([uid, keys]) => [uid, [...keys].sort()]));
}

describe('xprov edge: the merged configuration equals what iotedge config apply produces', () => {
  it('symmetric key (apply test-files manual-symmetric-key/): another device, another hub', async () => {
    const key = randomBytes(32).toString('base64');
    registerSecret(key);
    const { config, secretsDir } = await merged({
      hubName: 'moved.azure-devices.net',
      deviceId: 'other-device',
      credentials: { authType: 'symmetric-key', source: 'payload', key },
    });
    assert.deepEqual(config('identityd'), {
      hostname: 'my-device',
      homedir: '/var/lib/aziot/identityd',
      provisioning: {
        source: 'manual',
        iothub_hostname: 'moved.azure-devices.net',
        device_id: 'other-device',
        authentication: { method: 'sas', device_id_pk: 'device-id' },
      },
    });
    const keyd = config('keyd');
    assert.deepEqual(
      { aziot_keys: keyd.aziot_keys, preloaded_keys: keyd.preloaded_keys },
      { aziot_keys: { homedir_path: '/var/lib/aziot/keyd' }, preloaded_keys: { 'device-id': `file://${path.join(secretsDir, 'device-id')}` } },
    );
    assert.deepEqual(principals(keyd), { 5556: ['aziot_identityd_master_id', 'device-id'] });
  });

  it('x509 (apply test-files manual-x509/): identity_cert and identity_pk, certd and keyd preloaded', async () => {
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake\n-----END PRIVATE KEY-----\n';
    registerSecret(b64(pem));
    const { config, secretsDir } = await merged({
      hubName: 'example.azure-devices.net',
      deviceId: 'my-device',
      credentials: {
        authType: 'x509',
        source: 'payload',
        identityCert: b64('-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n'),
        identityPrivateKey: b64(pem),
      },
    });
    const identityd = config('identityd');
    assert.deepEqual((identityd.provisioning as Record<string, unknown>).authentication, {
      // The method is what identityd reads; the older method's key id stays in the merged table, unread.
      method: 'x509',
      identity_cert: 'device-id',
      identity_pk: 'device-id',
      device_id_pk: 'device-id',
    });
    assert.equal((identityd.provisioning as Record<string, unknown>).iothub_hostname, 'example.azure-devices.net');
    assert.deepEqual(config('keyd').preloaded_keys, { 'device-id': `file://${path.join(secretsDir, 'device-id.key.pem')}` });
    assert.deepEqual(config('certd'), {
      homedir_path: '/var/lib/aziot/certd',
      cert_issuance: {},
      preloaded_certs: { 'device-id': `file://${path.join(secretsDir, 'device-id.cert.pem')}` },
    });
  });
});
