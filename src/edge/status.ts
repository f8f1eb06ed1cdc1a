/**
 * `xprov edge status`: what aziot was given (the identityd drop-in) against what the
 * endpoint serves now, file by file, without showing any key: whether each file sync
 * would write is already current is enough to tell a device that needs a sync.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'smol-toml';
import type { ExternalProvisioningClient } from '../client/client.js';
import type { DeviceProvisioningInfo } from '../contract/types.js';
import { maskSecret } from '../contract/mask.js';
import { describeEndpoint } from '../endpoint/endpoint-url.js';
import { redactSecrets } from '../redact.js';
import { planState } from './apply.js';
import { dropInPath, planEdge } from './plan.js';
import { serviceOwners } from './users.js';

/** The identity as identityd's drop-in names it (no secret in it: key and cert ids only). */
export interface AppliedIdentity {
  readonly hubName?: string;
  readonly deviceId?: string;
  readonly method?: string;
  /** The key in the secrets dir, masked (`<masked: N chars, sha256 …>` of its base64, as served): compare with the served one. */
  readonly key?: string;
}

/** What status found. */
export type EdgeStatus =
  | {
      readonly ok: true;
      readonly inSync: boolean;
      readonly applied: AppliedIdentity | undefined;
      readonly served: {
        readonly hubName: string;
        readonly deviceId: string;
        readonly authType: string;
        readonly source: string;
        readonly status?: string;
        readonly substatus?: string;
        /** The served key, masked the same way as the applied one (payload credentials only). */
        readonly key?: string;
      };
      readonly files: readonly { readonly path: string; readonly state: 'current' | 'differs' | 'missing' }[];
      readonly unwanted: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

/** A drop-in is small; reading is bounded like everything from outside. */
const MAX_DROP_IN_BYTES = 64 * 1024;

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The identity in identityd's drop-in, or undefined when there is none (or it is not ours to read). */
async function appliedIdentity(aziotDir: string): Promise<AppliedIdentity | undefined> {
  try {
    const bytes = await readFile(dropInPath(aziotDir, 'identityd'));
    if (bytes.length > MAX_DROP_IN_BYTES) return undefined;
    const provisioning = (parse(bytes.toString('utf8')) as { provisioning?: Record<string, unknown> }).provisioning ?? {};
    const authentication = (provisioning.authentication ?? {}) as Record<string, unknown>;
    const hubName = text(provisioning.iothub_hostname);
    const deviceId = text(provisioning.device_id);
    const method = text(authentication.method);
    return { ...(hubName === undefined ? {} : { hubName }), ...(deviceId === undefined ? {} : { deviceId }), ...(method === undefined ? {} : { method }) };
  } catch {
    return undefined;
  }
}

/** The secret file sync writes for `info` (a payload key), and the served secret as base64: undefined for hsm. */
function payloadSecret(info: DeviceProvisioningInfo, secretsDir: string): { readonly file: string; readonly served: string } | undefined {
  const { credentials } = info;
  if (credentials.source !== 'payload') return undefined;
  if (credentials.authType === 'symmetric-key' && credentials.key !== undefined) return { file: path.join(secretsDir, 'device-id'), served: credentials.key };
  if (credentials.authType === 'x509' && credentials.identityPrivateKey !== undefined) {
    return { file: path.join(secretsDir, 'device-id.key.pem'), served: credentials.identityPrivateKey };
  }
  return undefined;
}

/** The applied secret file, masked as its base64 (the raw key bytes, or the PEM text, as served), or undefined when unreadable. */
async function appliedSecret(file: string): Promise<string | undefined> {
  try {
    const bytes = await readFile(file);
    return bytes.length > MAX_DROP_IN_BYTES ? undefined : maskSecret(bytes.toString('base64'));
  } catch {
    return undefined;
  }
}

/** Compares what is applied under `aziotDir`/`secretsDir` with what the endpoint serves; TransportError propagates. */
export async function edgeStatus(client: ExternalProvisioningClient, options: { readonly aziotDir: string; readonly secretsDir: string }): Promise<EdgeStatus> {
  const where = describeEndpoint(client.endpoint);
  const answer = await client.getDeviceProvisioningInformation();
  if (!answer.ok) {
    return { ok: false, reason: `${where} answered ${answer.status}: ${redactSecrets(answer.message)}` };
  }
  const planned = planEdge(answer.body, { ...options, owners: await serviceOwners() });
  if (!planned.ok) {
    return { ok: false, reason: `${where} answered something aziot cannot take: ${planned.problem}` };
  }
  const { files, unwanted } = await planState(planned.plan);
  const info = answer.body;
  const secret = payloadSecret(info, options.secretsDir);
  const identity = await appliedIdentity(options.aziotDir);
  const appliedKey = secret === undefined || identity === undefined ? undefined : await appliedSecret(secret.file);
  return {
    ok: true,
    inSync: files.every((f) => f.state === 'current') && unwanted.length === 0,
    applied: identity === undefined ? undefined : { ...identity, ...(appliedKey === undefined ? {} : { key: appliedKey }) },
    served: {
      hubName: info.hubName,
      deviceId: info.deviceId,
      authType: info.credentials.authType,
      source: info.credentials.source,
      ...(info.status === undefined ? {} : { status: info.status }),
      ...(info.substatus === undefined ? {} : { substatus: info.substatus }),
      ...(secret === undefined ? {} : { key: maskSecret(secret.served) }),
    },
    files,
    unwanted,
  };
}
