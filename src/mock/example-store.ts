/**
 * The store of `xprov mock`: serves the example answer of the spec (taken
 * with openapi-backend's mock support) instead of a device's secrets, so that client
 * developers on another partition can work against the real HTTP layer without any.
 */
import { readLikeDaemon } from '../contract/daemon-parse.js';
import { loadSpecBackend } from '../shims/openapi-backend.js';
import type { Store } from '../store/store.js';

/**
 * Opens the store. The example must conform to the spec and be what the daemon
 * provisions with, without notes (no ignored fields, no unneeded secrets), so that a
 * spec edit that breaks it fails here rather than in a client's tests.
 */
export async function openExampleStore(): Promise<Store> {
  const spec = await loadSpecBackend();
  const body = Buffer.from(JSON.stringify(spec.example('GetDeviceProvisioningInformation') ?? null));
  const reading = readLikeDaemon(body);
  const problems = [
    ...spec.answerProblems('GetDeviceProvisioningInformation', { status: 200, contentType: 'application/json', body }),
    ...(reading.ok ? reading.notes : reading.refusals),
  ];
  if (!reading.ok || problems.length > 0) {
    throw new Error(`the spec's example of GetDeviceProvisioningInformation cannot be served: ${problems.join('; ')}`);
  }
  const { info } = reading;
  return {
    description: "the spec's examples (xprov mock)",
    getProvisioningInfo: () => Promise.resolve(info),
    // Nothing to find out: the example never moves to another hub.
    reprovision: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
