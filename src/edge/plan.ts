/**
 * What `xprov edge sync` writes for one answer of an external provisioning endpoint:
 * aziot-identity-service's drop-ins (identityd, keyd, certd) and the secret files they
 * point to. A pure mapping, so that the tests can check it without a device.
 *
 * The drop-ins say what `iotedge config apply` would write into `00-super.toml` for the
 * equivalent manual provisioning (Azure/iot-identity-service
 * aziotctl/aziotctl-common/src/config/apply.rs and its expected outputs in
 * aziotctl/aziotctl-common/test-files/apply/manual-symmetric-key/ and manual-x509/),
 * named `50-xprov.toml` so that they win over `00-super.toml` in config-common's merge
 * (config-common/src/lib.rs: config.toml, then config.d/*.toml in name order, tables
 * merged recursively, arrays concatenated, later files win) and survive a later apply.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'smol-toml';
import { parsePkcs11Uri } from '../contract/pkcs11-uri.js';
import type { DeviceProvisioningInfo } from '../contract/types.js';
import type { Owner, ServiceUser } from './users.js';

/**
 * The key and cert id apply gives the device identity (`DEVICE_ID_ID` in
 * aziotctl/aziotctl-common/src/config/mod.rs): using the same id makes the drop-in
 * replace apply's preloaded key or cert rather than add a second one.
 */
export const DEVICE_ID_ID = 'device-id';

/** The key identityd's principal must also reach (apply's keyd principal for aziotid). */
const IDENTITYD_MASTER_KEY = 'aziot_identityd_master_id';

/** The name of every drop-in xprov writes, in each service's config.d. */
export const DROP_IN_NAME = '50-xprov.toml';

/** The secret files xprov manages under the secrets dir (a file of this set not in a plan is removed). */
export const SECRET_NAMES = ['device-id', 'device-id.key.pem', 'device-id.cert.pem'] as const;

/** The services xprov writes a drop-in for. */
export const DROP_IN_SERVICES = ['keyd', 'certd', 'identityd'] as const;

/** The user that reads each service's files. */
export const SERVICE_OWNER: Readonly<Record<(typeof DROP_IN_SERVICES)[number], ServiceUser>> = {
  keyd: 'aziotks',
  certd: 'aziotcs',
  identityd: 'aziotid',
};

/** One file of a plan. */
export interface PlannedFile {
  readonly path: string;
  readonly data: Buffer;
  /** Who reads it; absent when that user does not exist (the file stays root's). */
  readonly owner?: Owner;
  /** True for key material (never shown, never logged). */
  readonly secret: boolean;
}

/** What to write, and which managed files must not exist. */
export interface EdgePlan {
  readonly files: readonly PlannedFile[];
  readonly absent: readonly string[];
}

/** Where the files go and who owns them. */
export interface PlanOptions {
  readonly aziotDir: string;
  readonly secretsDir: string;
  readonly owners: Partial<Record<ServiceUser, Owner>>;
}

/** A plan, or why the answer cannot be handed to aziot (naming fields, never values). */
export type PlanResult = { readonly ok: true; readonly plan: EdgePlan } | { readonly ok: false; readonly problem: string };

/** The path of a service's drop-in under the aziot dir. */
export function dropInPath(aziotDir: string, service: (typeof DROP_IN_SERVICES)[number]): string {
  return path.join(aziotDir, service, 'config.d', DROP_IN_NAME);
}

/**
 * An `hsm` reference as keyd (`preloaded_keys`) or certd (`preloaded_certs`) takes it.
 * The 1.1 daemon passed these as-is to its HSM library; aziot's services take URIs:
 * a `pkcs11:` URI (keys only: certd has no PKCS#11 store) stays as it is, a `file://`
 * URI too, an absolute path becomes a `file://` URI. Anything else (a relative path,
 * a handle only the old HSM library knew) has no meaning to aziot: refused, so that
 * nothing half-provisioned is applied.
 */
function hsmReference(field: string, value: string, pkcs11Allowed: boolean): { ok: true; uri: string } | { ok: false; problem: string } {
  if (value.startsWith('pkcs11:')) {
    if (!pkcs11Allowed) {
      return { ok: false, problem: `${field} is a pkcs11: URI, but aziot-certd's preloaded_certs take only file:// URIs: serve a path to the PEM instead` };
    }
    const parsed = parsePkcs11Uri(value);
    return parsed.ok ? { ok: true, uri: value } : { ok: false, problem: `${field} is not a valid pkcs11: URI: ${parsed.problem}` };
  }
  if (value.startsWith('file://')) {
    try {
      const url = new URL(value);
      if (url.host === '' && url.search === '' && url.hash === '' && url.pathname.startsWith('/')) {
        return { ok: true, uri: url.href };
      }
    } catch {
      // Described below.
    }
    return { ok: false, problem: `${field} is not a file:// URI of a local absolute path` };
  }
  if (path.isAbsolute(value) && !value.includes('\0')) {
    return { ok: true, uri: pathToFileURL(value).href };
  }
  return {
    ok: false,
    problem: `${field} (source hsm) is neither a pkcs11: URI, a file:// URI nor an absolute path: aziot cannot load it; serve one of those`,
  };
}

function toml(document: Record<string, unknown>): Buffer {
  return Buffer.from(`# Written by xprov edge sync from the external provisioning endpoint: do not edit, it is rewritten.\n${stringify(document)}\n`);
}

/** Decodes standard base64 strictly (the daemon's rule, already checked by daemon-parse; again here, cheaply). */
function base64(value: string): Buffer | undefined {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0 ? Buffer.from(value, 'base64') : undefined;
}

/** The files for `info` (as daemon-parse.ts read it), or why aziot cannot take it. */
export function planEdge(info: DeviceProvisioningInfo, options: PlanOptions): PlanResult {
  const { aziotDir, secretsDir, owners } = options;
  const secret = (name: (typeof SECRET_NAMES)[number]): string => path.join(secretsDir, name);
  const files: PlannedFile[] = [];
  const add = (file: string, data: Buffer, user: ServiceUser, isSecret: boolean): void => {
    const owner = owners[user];
    files.push({ path: file, data, secret: isSecret, ...(owner === undefined ? {} : { owner }) });
  };
  const { credentials } = info;
  let authentication: Record<string, string>;
  let keyUri: string | undefined;
  let certUri: string | undefined;
  if (credentials.authType === 'symmetric-key') {
    authentication = { method: 'sas', device_id_pk: DEVICE_ID_ID };
    if (credentials.source === 'payload') {
      const key = credentials.key === undefined ? undefined : base64(credentials.key);
      if (key === undefined || key.length === 0) {
        return { ok: false, problem: 'credentials.key must be standard base64 of the device key' };
      }
      // Raw bytes, as apply writes an inline device_id_pk (apply.rs: base64-decoded into keyd's secrets).
      add(secret('device-id'), key, 'aziotks', true);
      keyUri = pathToFileURL(secret('device-id')).href;
    }
    // symmetric-key from hsm: the key never leaves the HSM, and the answer holds no reference
    // to it. keyd must already know `device-id` (e.g. [preloaded_keys] device-id = "pkcs11:..."
    // in /etc/aziot/config.toml); only the principal is added.
  } else {
    authentication = { method: 'x509', identity_cert: DEVICE_ID_ID, identity_pk: DEVICE_ID_ID };
    const cert = credentials.identityCert;
    const privateKey = credentials.identityPrivateKey;
    if (cert === undefined || privateKey === undefined) {
      return { ok: false, problem: 'credentials.identityCert and credentials.identityPrivateKey are both required for x509' };
    }
    if (credentials.source === 'payload') {
      // Base64 of the PEM text (iotedged-client.md): decoded into PEM files keyd and certd load.
      const certPem = base64(cert);
      const keyPem = base64(privateKey);
      if (certPem === undefined || keyPem === undefined) {
        return { ok: false, problem: 'credentials.identityCert and credentials.identityPrivateKey must be standard base64 of PEM text' };
      }
      add(secret('device-id.key.pem'), keyPem, 'aziotks', true);
      add(secret('device-id.cert.pem'), certPem, 'aziotcs', false);
      keyUri = pathToFileURL(secret('device-id.key.pem')).href;
      certUri = pathToFileURL(secret('device-id.cert.pem')).href;
    } else {
      const key = hsmReference('credentials.identityPrivateKey', privateKey, true);
      if (!key.ok) return key;
      const certificate = hsmReference('credentials.identityCert', cert, false);
      if (!certificate.ok) return certificate;
      keyUri = key.uri;
      certUri = certificate.uri;
    }
  }
  // identityd: apply's manual provisioning (apply test-files manual-*/identityd.toml).
  // `method` is always written: merging is recursive, so an older method's keys stay beside it.
  add(
    dropInPath(aziotDir, 'identityd'),
    toml({ provisioning: { source: 'manual', iothub_hostname: info.hubName, device_id: info.deviceId, authentication } }),
    'aziotid',
    false,
  );
  // keyd: the key and the principal that lets identityd use it (apply test-files manual-*/keyd.toml).
  // A principal is written only when aziotid exists: its uid is what it names.
  const identityd = owners.aziotid;
  add(
    dropInPath(aziotDir, 'keyd'),
    toml({
      ...(keyUri === undefined ? {} : { preloaded_keys: { [DEVICE_ID_ID]: keyUri } }),
      ...(identityd === undefined ? {} : { principal: [{ uid: identityd.uid, keys: [IDENTITYD_MASTER_KEY, DEVICE_ID_ID] }] }),
    }),
    'aziotks',
    false,
  );
  if (certUri !== undefined) {
    add(dropInPath(aziotDir, 'certd'), toml({ preloaded_certs: { [DEVICE_ID_ID]: certUri } }), 'aziotcs', false);
  }
  const planned = new Set(files.map((f) => f.path));
  const managed = [...SECRET_NAMES.map((name) => secret(name)), ...DROP_IN_SERVICES.map((service) => dropInPath(aziotDir, service))];
  return { ok: true, plan: { files, absent: managed.filter((file) => !planned.has(file)) } };
}
