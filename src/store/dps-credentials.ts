/**
 * What the DPS store serves and proves, fixed by the DPS settings: the credentials
 * IoT Edge receives (the per-device key or identity, never a group key or, for hsm
 * references, the registration certificate's key), the credentials xprov presents to
 * DPS, and the answer made of a saved registration.
 */
import type { DeviceProvisioningInfo } from '../contract/types.js';
import type { DpsCredentials } from '../dps/client.js';
import { deriveDeviceKey } from '../dps/sas.js';
import type { DpsSettings } from '../dps/settings.js';
import type { SavedRegistration } from '../dps/state.js';

/** The credentials IoT Edge gets, fixed by the settings. */
export function servedCredentials(settings: DpsSettings): DeviceProvisioningInfo['credentials'] {
  const { attestation } = settings;
  if (attestation.type === 'symmetric-key') {
    const key = attestation.enrollment === 'group' ? deriveDeviceKey(attestation.keyBase64, settings.registrationId) : attestation.keyBase64;
    return { authType: 'symmetric-key', source: 'payload', key };
  }
  if (attestation.serveAs.kind === 'hsm') {
    return { authType: 'x509', source: 'hsm', identityCert: attestation.serveAs.identityCert, identityPrivateKey: attestation.serveAs.identityPrivateKey };
  }
  return {
    authType: 'x509',
    source: 'payload',
    identityCert: Buffer.from(attestation.certChainPem).toString('base64'),
    identityPrivateKey: Buffer.from(attestation.privateKeyPem).toString('base64'),
  };
}

/** What the device proves itself with to DPS. */
export function dpsCredentials(settings: DpsSettings): DpsCredentials {
  const { attestation } = settings;
  if (attestation.type === 'symmetric-key') {
    const deviceKeyBase64 = attestation.enrollment === 'group' ? deriveDeviceKey(attestation.keyBase64, settings.registrationId) : attestation.keyBase64;
    return { kind: 'symmetric-key', deviceKeyBase64 };
  }
  return { kind: 'x509', certChainPem: attestation.certChainPem, privateKeyPem: attestation.privateKeyPem };
}

/** The answer for a saved registration: DPS's hub, device id and substatus, with the served credentials. */
export function servedInfo(saved: SavedRegistration, credentials: DeviceProvisioningInfo['credentials']): DeviceProvisioningInfo {
  const substatus = saved.result.substatus;
  return {
    hubName: saved.result.assignedHub,
    deviceId: saved.result.deviceId,
    credentials,
    status: 'assigned',
    ...(substatus !== undefined ? { substatus } : {}),
  };
}
