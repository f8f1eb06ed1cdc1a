/**
 * What xprov accepts from DPS as an assignment, before it is saved or served: the
 * answer of a registration, and the state file that saved one (a file on disk is
 * outside input too). DPS is trusted to authenticate the device, not to send
 * well-formed text: a hub name with a `/` or a NUL would reach IoT Edge's URLs, its
 * config and the logs. Problems name the field and the rule, never the value.
 */
import { REGISTRATION_STATUSES, type RegistrationStatus, SUBSTATUSES, type Substatus } from '../../generated/enums.js';

/** True for one of the spec's registration statuses. */
export function isRegistrationStatus(value: unknown): value is RegistrationStatus {
  return typeof value === 'string' && (REGISTRATION_STATUSES as readonly string[]).includes(value);
}

/** True for one of the spec's substatuses. */
export function isSubstatus(value: unknown): value is Substatus {
  return typeof value === 'string' && (SUBSTATUSES as readonly string[]).includes(value);
}

/** Refused in both names whatever else their rules say (issue 8): they split lines and URLs. */
const FORBIDDEN = /[\r\n\0/@?#]/;
const FORBIDDEN_TEXT = 'CR, LF, NUL, /, @, ? or #';
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/**
 * IoT Hub's device id alphabet (ASCII letters, digits and `- : . + % _ # * ? ! ( ) , = @ ; $ '`)
 * without `#`, `?` and `@`: IoT Hub allows those, but the daemon builds URLs and the SAS
 * resource (`{hub}/devices/{deviceId}`) from the id, where they end the path or start a
 * user part, so such an id is refused rather than served broken (issue 8's choice).
 */
const DEVICE_ID = /^[A-Za-z0-9\-:.+%_*!(),=;$']{1,128}$/;

/** Why `value` is not an IoT hub host name (a DNS name, at most 253 characters), or undefined. */
export function hubNameProblem(value: unknown, field = 'assignedHub'): string | undefined {
  if (typeof value !== 'string' || value === '') return `${field} must be a non-empty string`;
  if (FORBIDDEN.test(value)) return `${field} must not contain ${FORBIDDEN_TEXT}`;
  if (value.length > 253) return `${field} must be at most 253 characters (a DNS host name)`;
  if (!value.split('.').every((label) => DNS_LABEL.test(label))) {
    return `${field} must be a DNS host name: dot-separated labels of 1-63 letters, digits and inner hyphens`;
  }
  return undefined;
}

/** Why `value` is not a device id xprov serves (IoT Hub's rules, see DEVICE_ID), or undefined. */
export function deviceIdProblem(value: unknown, field = 'deviceId'): string | undefined {
  if (typeof value !== 'string' || value === '') return `${field} must be a non-empty string`;
  if (FORBIDDEN.test(value)) return `${field} must not contain ${FORBIDDEN_TEXT}`;
  if (!DEVICE_ID.test(value)) {
    return `${field} must be 1-128 ASCII letters, digits or - : . + % _ * ! ( ) , = ; $ ' (IoT Hub's device id rules)`;
  }
  return undefined;
}

/** A validated assignment. */
export interface Assignment {
  readonly assignedHub: string;
  readonly deviceId: string;
  readonly status: 'assigned';
  readonly substatus?: Substatus;
  readonly lastUpdatedDateTimeUtc?: string;
}

/** What `checkAssignment` found. */
export type AssignmentCheck = { readonly ok: true; readonly assignment: Assignment } | { readonly ok: false; readonly problems: readonly string[] };

/** An ISO 8601 timestamp as DPS writes them (kept for the log only; bounded). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks the fields of an assigned registrationState (or of a saved one): hub, device
 * id, status `assigned`, substatus absent or one of the spec's. An unparseable
 * timestamp is dropped, not a problem: nothing is built from it.
 */
export function checkAssignment(state: Readonly<Record<string, unknown>>): AssignmentCheck {
  const problems = [hubNameProblem(state.assignedHub), deviceIdProblem(state.deviceId)].filter((p) => p !== undefined);
  if (state.status !== 'assigned') {
    problems.push(isRegistrationStatus(state.status) ? 'status must be assigned' : "status must be one of the spec's registration statuses");
  }
  if (state.substatus !== undefined && !isSubstatus(state.substatus)) {
    problems.push("substatus must be one of the spec's substatuses");
  }
  if (problems.length > 0) return { ok: false, problems };
  const { lastUpdatedDateTimeUtc: updated, substatus } = state;
  return {
    ok: true,
    assignment: {
      assignedHub: state.assignedHub as string,
      deviceId: state.deviceId as string,
      status: 'assigned',
      ...(isSubstatus(substatus) ? { substatus } : {}),
      ...(typeof updated === 'string' && updated.length <= 40 && TIMESTAMP.test(updated) ? { lastUpdatedDateTimeUtc: updated } : {}),
    },
  };
}
