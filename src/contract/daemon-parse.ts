/**
 * Reads an answer's body the way IoT Edge's daemon does (serde into its structs; IoT
 * Edge 1.0.x-1.1, Azure/iotedge edgelet/): required fields must be strings, optional
 * ones may be absent or null, unknown fields are ignored, `status` must be one the daemon
 * knows (absent means assigned), `substatus` may be anything. What survives is then
 * judged by the daemon's own rules (daemon-rules.ts).
 *
 * Used on answers of endpoints xprov does not control, so problems and notes name
 * fields and rules, never values.
 */
import { AUTH_TYPES, CREDENTIAL_SOURCES, REGISTRATION_STATUSES, SUBSTATUSES } from '../../generated/enums.js';
import { daemonOwnRefusals, unneededSecrets } from './daemon-rules.js';
import type { Credentials, DeviceProvisioningInfo } from './types.js';

/** How the daemon reads a body: what it would provision with, or why it would refuse to start. */
export type DaemonReading =
  | {
      readonly ok: true;
      /** What the daemon takes from the body: known fields only, nulls as absent, substatus as it understands it. */
      readonly info: DeviceProvisioningInfo;
      /** Things the daemon accepts but that deserve a look (ignored fields, unneeded secrets). */
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly refusals: readonly string[] };

type Json = Record<string, unknown>;

/**
 * The substatus values the daemon acts on; it reads any other as initialAssignment.
 * The daemon's own list, not the spec's enum (generated/enums.ts).
 */
const DAEMON_SUBSTATUSES = new Set(['initialAssignment', 'deviceDataMigrated', 'deviceDataReset', 'reprovisionedToInitialAssignment']);
const ROOT_FIELDS = new Set(['hubName', 'deviceId', 'credentials', 'status', 'substatus']);
const CREDENTIAL_FIELDS = new Set(['authType', 'source', 'key', 'identityCert', 'identityPrivateKey']);

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function oneOf<T extends string>(allowed: readonly T[], value: string): value is T {
  return (allowed as readonly string[]).includes(value);
}

/** Collects refusals and notes while fields are read. */
class Reader {
  readonly refusals: string[] = [];
  readonly notes: string[] = [];

  required(obj: Json, name: string, prefix = ''): string | undefined {
    const value = obj[name];
    if (typeof value === 'string') {
      return value;
    }
    this.refusals.push(value === undefined || value === null ? `${prefix}${name} is missing` : `${prefix}${name} must be a string`);
    return undefined;
  }

  optional(obj: Json, name: string, prefix = ''): string | undefined {
    const value = obj[name];
    if (value === null) {
      this.notes.push(`${prefix}${name} is null: the daemon reads it as absent`);
      return undefined;
    }
    if (value !== undefined && typeof value !== 'string') {
      this.refusals.push(`${prefix}${name} must be a string when present`);
      return undefined;
    }
    return value;
  }

  ignored(obj: Json, known: ReadonlySet<string>, prefix = ''): void {
    const unknown = Object.keys(obj).filter((name) => !known.has(name));
    if (unknown.length > 0) {
      this.notes.push(`the daemon ignores unknown fields: ${unknown.map((name) => `${prefix}${name}`).join(', ')}`);
    }
  }
}

/** The substatus the daemon acts on, as the spec's type can carry it. */
function readSubstatus(reader: Reader, raw: string | undefined): DeviceProvisioningInfo['substatus'] {
  if (raw === undefined) {
    return undefined;
  }
  if (!DAEMON_SUBSTATUSES.has(raw)) {
    reader.notes.push(
      oneOf(SUBSTATUSES, raw)
        ? `substatus ${raw} is not one the daemon acts on: it reads it as initialAssignment`
        : 'substatus is not a value the daemon knows: it reads it as initialAssignment',
    );
  }
  // Outside the spec's enum, absent says the same to the daemon and keeps the type honest.
  return oneOf(SUBSTATUSES, raw) ? raw : undefined;
}

/** Reads the credentials object; undefined when the daemon would refuse it. */
function readCredentials(reader: Reader, root: Json): Credentials | undefined {
  const raw = root.credentials;
  if (!isObject(raw)) {
    reader.refusals.push(raw === undefined || raw === null ? 'credentials is missing' : 'credentials must be an object');
    return undefined;
  }
  const p = 'credentials.';
  const authType = reader.required(raw, 'authType', p);
  const source = reader.required(raw, 'source', p);
  const key = reader.optional(raw, 'key', p);
  const identityCert = reader.optional(raw, 'identityCert', p);
  const identityPrivateKey = reader.optional(raw, 'identityPrivateKey', p);
  reader.ignored(raw, CREDENTIAL_FIELDS, p);
  if (authType !== undefined && !oneOf(AUTH_TYPES, authType)) {
    reader.refusals.push(`credentials.authType must be one of: ${AUTH_TYPES.join(', ')}`);
  }
  if (source !== undefined && !oneOf(CREDENTIAL_SOURCES, source)) {
    reader.refusals.push(`credentials.source must be one of: ${CREDENTIAL_SOURCES.join(', ')}`);
  }
  if (authType === undefined || source === undefined || !oneOf(AUTH_TYPES, authType) || !oneOf(CREDENTIAL_SOURCES, source)) {
    return undefined;
  }
  return {
    authType,
    source,
    ...(key === undefined ? {} : { key }),
    ...(identityCert === undefined ? {} : { identityCert }),
    ...(identityPrivateKey === undefined ? {} : { identityPrivateKey }),
  };
}

/** Reads `body` (the bytes of a 2xx answer) the way the daemon would at start-up. */
export function readLikeDaemon(body: Buffer | string): DaemonReading {
  let root: unknown;
  try {
    root = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    // JSON.parse's message quotes the text, which may hold a secret.
    return { ok: false, refusals: ['the body is not JSON'] };
  }
  if (!isObject(root)) {
    return { ok: false, refusals: ['the body is not a JSON object'] };
  }
  const reader = new Reader();
  const hubName = reader.required(root, 'hubName');
  const deviceId = reader.required(root, 'deviceId');
  const credentials = readCredentials(reader, root);
  const status = reader.optional(root, 'status');
  if (status !== undefined && !oneOf(REGISTRATION_STATUSES, status)) {
    reader.refusals.push(`status must be one of: ${REGISTRATION_STATUSES.join(', ')} (absent means assigned)`);
  }
  const substatus = readSubstatus(reader, reader.optional(root, 'substatus'));
  reader.ignored(root, ROOT_FIELDS);
  if (hubName === undefined || deviceId === undefined || credentials === undefined || reader.refusals.length > 0) {
    return { ok: false, refusals: reader.refusals };
  }
  const info: DeviceProvisioningInfo = {
    hubName,
    deviceId,
    credentials,
    ...(status !== undefined && oneOf(REGISTRATION_STATUSES, status) ? { status } : {}),
    ...(substatus === undefined ? {} : { substatus }),
  };
  const refusals = daemonOwnRefusals(info);
  if (refusals.length > 0) {
    return { ok: false, refusals };
  }
  const unneeded = unneededSecrets(info).map((problem) => `${problem}: the daemon ignores it, but a secret is handed over for nothing`);
  return { ok: true, info, notes: [...reader.notes, ...unneeded] };
}
