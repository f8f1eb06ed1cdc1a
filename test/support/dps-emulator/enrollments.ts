/**
 * The DPS emulator's enrollments and how a request proves one: the individual
 * enrollment of the registration id, else the group enrollments of the credential's
 * kind. None → 404; some, but the credential proves none of them → 401.
 */
import { X509Certificate } from 'node:crypto';
import { registerSecret } from '../secrets.js';
import { checkSas, checkX509, deriveDeviceKey } from './credentials.js';
import { type Credential, DpsError } from './protocol.js';
import type { Assignment, Attestation, Enrollment } from './types.js';

function registerKeys(attestation: Attestation): void {
  if (attestation.type === 'symmetricKey') {
    for (const key of [attestation.primaryKey, attestation.secondaryKey]) {
      if (key !== undefined && key.length >= 16) registerSecret(key);
    }
  } else {
    new X509Certificate(attestation.caCertPem); // fail at enrollment, not at the first request
  }
}

/** The enrollments of one ID scope. */
export class Enrollments {
  readonly #idScope: string;
  readonly #individuals = new Map<string, Enrollment>();
  readonly #groups = new Map<string, Enrollment>();

  constructor(idScope: string) {
    this.#idScope = idScope;
  }

  /** Enrolls one device; its device id and hub come from `assignment`. */
  addIndividual(e: { registrationId: string; attestation: Attestation; assignment: Assignment }): void {
    if (this.#individuals.has(e.registrationId)) throw new Error(`${e.registrationId} is already enrolled`);
    registerKeys(e.attestation);
    const { hub, deviceId, substatus, payload } = e.assignment;
    this.#individuals.set(e.registrationId, {
      kind: 'individual',
      id: e.registrationId,
      attestation: e.attestation,
      hub,
      deviceId,
      substatus,
      payload,
      enabled: true,
    });
  }

  /** Enrolls a group (device id = registration id). */
  addGroup(e: { enrollmentGroupId: string; attestation: Attestation; hub: string; payload?: unknown }): void {
    if (this.#groups.has(e.enrollmentGroupId)) throw new Error(`group ${e.enrollmentGroupId} already exists`);
    registerKeys(e.attestation);
    this.#groups.set(e.enrollmentGroupId, {
      kind: 'group',
      id: e.enrollmentGroupId,
      attestation: e.attestation,
      hub: e.hub,
      payload: e.payload,
      enabled: true,
    });
  }

  /** Enables or disables an individual enrollment (by registration id) or a group (by id). */
  setStatus(id: string, status: 'enabled' | 'disabled'): void {
    const found = [this.#individuals.get(id), this.#groups.get(id)].filter((e) => e !== undefined);
    if (found.length === 0) throw new Error(`no enrollment ${id}`);
    for (const e of found) e.enabled = status === 'enabled';
  }

  /** The enrollment `credential` proves for `registrationId`; DpsError 404 or 401 otherwise. */
  authenticate(registrationId: string, credential: Credential): Enrollment {
    const individual = this.#individuals.get(registrationId);
    const candidates = individual
      ? [individual]
      : [...this.#groups.values()].filter((g) => credential.kind === 'none' || (g.attestation.type === 'x509') === (credential.kind === 'x509'));
    if (candidates.length === 0) {
      throw new DpsError(404, `no enrollment for ${registrationId}`);
    }
    let reason = '';
    for (const enrollment of candidates) {
      const refused = this.#verify(enrollment, registrationId, credential);
      if (refused === undefined) return enrollment;
      reason = refused;
    }
    throw new DpsError(401, reason);
  }

  /** Why `credential` does not prove `enrollment` for `registrationId`, or undefined when it does. */
  #verify(enrollment: Enrollment, registrationId: string, credential: Credential): string | undefined {
    const { attestation } = enrollment;
    if (credential.kind === 'none') return 'no Authorization header and no client certificate';
    if (attestation.type === 'x509') {
      return credential.kind === 'x509' ? checkX509(credential.peer, registrationId, attestation.caCertPem, new Date()) : 'the enrollment uses X.509';
    }
    if (credential.kind !== 'sas') return 'the enrollment uses symmetric keys';
    if (typeof credential.token === 'string') return credential.token;
    const keys = [attestation.primaryKey, attestation.secondaryKey].filter((k) => k !== undefined);
    const deviceKeys = enrollment.kind === 'group' ? keys.map((k) => deriveDeviceKey(k, registrationId)) : keys;
    const refused = checkSas(credential.token, `${this.#idScope}/registrations/${registrationId}`, deviceKeys, new Date());
    if (refused === undefined && enrollment.kind === 'group') {
      // The derived key is what the client under test holds: it must not print it either.
      deviceKeys.forEach(registerSecret);
    }
    return refused;
  }
}
