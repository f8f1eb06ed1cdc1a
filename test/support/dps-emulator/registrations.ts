/**
 * The DPS emulator's state: what each device registered to (its hub stays across
 * registrations until moved), its pending move, and the registration operations
 * being polled. Assignment is decided when the PUT is accepted; the lookup sees it
 * once an answer has reported it as done (assigning is not "done").
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type Credential, DpsError, attestationResult, timestamp } from './protocol.js';
import type { Enrollment, RegistrationState, Substatus } from './types.js';

interface Device {
  registrations: number;
  assignedHub?: string;
  pendingMove?: { hub: string; substatus: Substatus };
  created?: string;
  state?: RegistrationState;
  lastPayload?: unknown;
}

/** One accepted register PUT, polled until done. */
export interface Operation {
  readonly id: string;
  readonly registrationId: string;
  pollsLeft: number;
  readonly state: RegistrationState;
}

/** Devices and operations of one emulator. */
export class Registrations {
  readonly #devices = new Map<string, Device>();
  readonly #operations = new Map<string, Operation>();

  /** Makes the device's next successful registration land on `to.hub` with `to.substatus`. */
  move(registrationId: string, to: { hub: string; substatus: Substatus }): void {
    this.#device(registrationId).pendingMove = to;
  }

  /** Register PUTs that passed authentication. */
  count(registrationId: string): number {
    return this.#devices.get(registrationId)?.registrations ?? 0;
  }

  /** The `payload` of the device's last authenticated register PUT. */
  lastPayload(registrationId: string): unknown {
    return this.#devices.get(registrationId)?.lastPayload;
  }

  /** Accepts an authenticated register PUT: decides its outcome and opens its operation. */
  register(enrollment: Enrollment, registrationId: string, credential: Credential, payload: unknown, pollsBeforeAssigned: number): Operation {
    const device = this.#device(registrationId);
    device.registrations += 1;
    device.lastPayload = payload;
    const operation: Operation = {
      // The shape of DPS's operation ids: "4.<16 hex>.<uuid>".
      id: `4.${randomBytes(8).toString('hex')}.${randomUUID()}`,
      registrationId,
      pollsLeft: pollsBeforeAssigned,
      state: this.#assign(enrollment, device, registrationId, credential),
    };
    this.#operations.set(operation.id, operation);
    return operation;
  }

  /** The operation `operationId` of `registrationId`; DpsError 404 otherwise. */
  operation(registrationId: string, operationId: string): Operation {
    const operation = this.#operations.get(operationId);
    if (operation?.registrationId !== registrationId) {
      throw new DpsError(404, 'unknown operation id', 404203, 'The operation was not found.');
    }
    return operation;
  }

  /** Records that an answer reported `operation` as done: the lookup sees its state from now on. */
  done(operation: Operation): void {
    this.#device(operation.registrationId).state = operation.state;
  }

  /** The device's registration state as last reported done; DpsError 404 when never. */
  lookup(registrationId: string): RegistrationState {
    const state = this.#device(registrationId).state;
    if (!state) throw new DpsError(404, 'never registered', 404202, 'The registration was not found.');
    return state;
  }

  #device(registrationId: string): Device {
    let device = this.#devices.get(registrationId);
    if (!device) {
      device = { registrations: 0 };
      this.#devices.set(registrationId, device);
    }
    return device;
  }

  /** Decides the outcome of an accepted PUT: disabled, or a hub and substatus. */
  #assign(enrollment: Enrollment, device: Device, registrationId: string, credential: Credential): RegistrationState {
    const now = timestamp();
    device.created ??= now;
    const common = { registrationId, createdDateTimeUtc: device.created };
    const trailer = { lastUpdatedDateTimeUtc: now, etag: Buffer.from(`"${randomUUID()}"`).toString('base64'), ...attestationResult(enrollment, credential) };
    if (!enrollment.enabled) {
      // The move (if any) waits for a registration that succeeds.
      return { ...common, status: 'disabled', errorCode: 401003, errorMessage: 'The enrollment is disabled.', ...trailer };
    }
    const move = device.pendingMove;
    device.pendingMove = undefined;
    // A move wins; else a known device keeps its hub; else the enrollment's hub.
    const substatus = move?.substatus ?? (device.assignedHub === undefined ? enrollment.substatus : undefined) ?? 'initialAssignment';
    device.assignedHub = move?.hub ?? device.assignedHub ?? enrollment.hub;
    const deviceId = enrollment.deviceId ?? registrationId;
    return { ...common, assignedHub: device.assignedHub, deviceId, status: 'assigned', substatus, ...trailer, payload: enrollment.payload };
  }
}
