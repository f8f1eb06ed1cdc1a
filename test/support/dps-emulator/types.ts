/** The DPS emulator's types: what tests hand it, what it records, what it keeps. */

/**
 * How an enrollment attests its devices. Symmetric keys are base64. For X.509,
 * `caCertPem` is a CA the device certificate chains up to (through intermediates the
 * device sends), or, for an individual enrollment, may be the device certificate itself
 * (thumbprint match). Either way the certificate's subject CN must be the registration id.
 */
export type Attestation = { type: 'symmetricKey'; primaryKey: string; secondaryKey?: string } | { type: 'x509'; caCertPem: string };

/** A registration's substatus: why it got the hub it got. */
export type Substatus = 'initialAssignment' | 'deviceDataMigrated' | 'deviceDataReset' | 'reprovisionedToInitialAssignment';

/** Where an individual enrollment's device goes. */
export interface Assignment {
  hub: string;
  deviceId: string;
  /** The first registration's substatus (default initialAssignment). */
  substatus?: Substatus;
  /** Returned as registrationState.payload, as a custom allocation policy would. */
  payload?: unknown;
}

/** One request the emulator answered; never holds keys or signatures. */
export interface RecordedRequest {
  readonly method: string;
  /** The URL path, without the query. */
  readonly path: string;
  readonly apiVersion: string | null;
  /** `sas`: an Authorization header was sent; `x509`: none, but a client certificate was. */
  readonly auth: 'sas' | 'x509' | 'none';
  /** For a parsable SAS token: whether `sr` was URL-encoded. */
  readonly sasResourceEncoded?: boolean;
  /** Arrival, ms since the epoch. */
  readonly at: number;
  readonly status: number;
  /** Why the emulator refused the request (not part of the answer, which stays DPS's). */
  readonly rejection?: string;
}

/** Options of DpsEmulator.start. */
export interface DpsEmulatorOptions {
  /** Polls answered 202 after the PUT's 202 before the 200 (default 1). */
  pollsBeforeAssigned?: number;
  /** Retry-After of 202s and of injected 429/503s, whole seconds (default 1; 0 allowed). */
  retryAfterSeconds?: number;
  /** Answer the PUT with the final 200 at once, no operation to poll (dps.md allows both). */
  assignImmediately?: boolean;
}

/** An injected failure: DPS's error body, with Retry-After when given (429/503: the default too). */
export interface Failure {
  status: 401 | 404 | 429 | 500 | 503;
  retryAfterSeconds?: number;
}

/** An enrollment as the emulator keeps it (individual or group). */
export interface Enrollment {
  readonly kind: 'individual' | 'group';
  readonly id: string;
  readonly attestation: Attestation;
  readonly hub: string;
  /** Individual only: a group's devices take their registration id. */
  readonly deviceId?: string;
  readonly substatus?: Substatus;
  readonly payload?: unknown;
  enabled: boolean;
}

/** registrationState as answered: DPS fields, undefined ones left out by JSON. */
export type RegistrationState = Record<string, unknown> & { status: string };
