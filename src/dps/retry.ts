/**
 * Retry timing for DPS calls: exponential backoff with full jitter, never shorter than
 * what the service asked for (Retry-After), and never past the caller's deadline.
 */

/** Backoff settings. */
export interface BackoffPolicy {
  /** First delay's upper bound. */
  readonly initialMs: number;
  /** Upper bound of any delay. */
  readonly maxMs: number;
}

/** Defaults: 1 s growing to 30 s, as DPS's own guidance for throttling suggests. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30_000 };

/**
 * The delay before retry number `attempt` (0-based): a uniformly random share of
 * min(max, initial * 2^attempt) ("full jitter", so that a fleet restarted together does
 * not hammer DPS in lockstep), raised to `retryAfterMs` when the service sent one.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** Parses a Retry-After header given in seconds (DPS does not send HTTP dates); undefined if absent or malformed. */
export function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d{1,5}(\.\d+)?$/.test(value.trim())) {
    return undefined;
  }
  return Math.round(Number(value) * 1000);
}
