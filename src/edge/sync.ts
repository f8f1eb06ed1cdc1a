/**
 * One sync: get the provisioning information exactly as IoT Edge 1.1's daemon did
 * (the client, judged by src/contract/daemon-parse.ts), map it onto aziot's drop-ins
 * (plan.ts) and apply what differs (apply.ts). Restarting is the caller's choice.
 */
import type { ExternalProvisioningClient } from '../client/client.js';
import type { DeviceProvisioningInfo } from '../contract/types.js';
import { describeEndpoint } from '../endpoint/endpoint-url.js';
import { redactSecrets } from '../redact.js';
import { type ApplyResult, applyPlan } from './apply.js';
import { planEdge } from './plan.js';
import { serviceOwners } from './users.js';

/** Where sync writes. */
export interface SyncOptions {
  readonly aziotDir: string;
  readonly secretsDir: string;
  /** The passwd file the service users' uids are read from (default /etc/passwd). */
  readonly passwdFile?: string;
}

/** What a sync did, or why it applied nothing. */
export type SyncOutcome =
  | ({ readonly ok: true; readonly info: DeviceProvisioningInfo; readonly changed: boolean } & ApplyResult)
  | { readonly ok: false; readonly reason: string };

/** Gets, judges, maps and applies; TransportError (no answer) propagates. */
export async function syncEdge(client: ExternalProvisioningClient, options: SyncOptions): Promise<SyncOutcome> {
  const where = describeEndpoint(client.endpoint);
  const answer = await client.getDeviceProvisioningInformation();
  if (!answer.ok) {
    // The endpoint's message is not xprov's: it may quote anything.
    return { ok: false, reason: `${where} answered ${answer.status}: ${redactSecrets(answer.message)}` };
  }
  const owners = await serviceOwners(options.passwdFile);
  const planned = planEdge(answer.body, { aziotDir: options.aziotDir, secretsDir: options.secretsDir, owners });
  if (!planned.ok) {
    return { ok: false, reason: `${where} answered something aziot cannot take: ${planned.problem}` };
  }
  const applied = await applyPlan(planned.plan, options.secretsDir);
  return { ok: true, info: answer.body, changed: applied.written.length > 0 || applied.removed.length > 0, ...applied };
}
