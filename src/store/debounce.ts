/**
 * A debounce with a maximum wait, over injectable timers: events arriving close
 * together are handled by one call, made once they have been quiet for `quietMs`,
 * but never later than `maxWaitMs` after the first of them. Without the maximum, a
 * steady stream of events (a file rewritten every 20 ms) would postpone the call for
 * as long as the stream lasts; with it, a rotation is picked up within `maxWaitMs`
 * whatever else happens.
 */

/** The clock and timers a debounce (and a reloading store) uses; tests pass manual ones. */
export interface Timers {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms`; must not keep the process alive. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels what setTimeout returned. */
  clearTimeout(handle: unknown): void;
}

/** The real clock and timers (unref'd: a pending reload never keeps xprov running). */
export const SYSTEM_TIMERS: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Options of a Debouncer. */
export interface DebounceOptions {
  /** Call once events have been quiet this long. */
  readonly quietMs: number;
  /** ...but at latest this long after the first event not yet handled. */
  readonly maxWaitMs: number;
  readonly timers: Timers;
}

/** Coalesces `trigger` calls into calls of `fire` (see the module comment). */
export class Debouncer {
  readonly #fire: () => void;
  readonly #options: DebounceOptions;
  /** When the first event not yet handled arrived; undefined when none is pending. */
  #first: number | undefined;
  #timer: unknown;

  constructor(fire: () => void, options: DebounceOptions) {
    this.#fire = fire;
    this.#options = options;
  }

  /** An event: `fire` runs after the quiet time, or at the maximum wait. */
  trigger(): void {
    const { quietMs, maxWaitMs, timers } = this.#options;
    const now = timers.now();
    this.#first ??= now;
    if (this.#timer !== undefined) {
      timers.clearTimeout(this.#timer);
    }
    const delay = Math.max(0, Math.min(quietMs, this.#first + maxWaitMs - now));
    this.#timer = timers.setTimeout(() => {
      this.#timer = undefined;
      this.#first = undefined;
      this.#fire();
    }, delay);
  }

  /** Drops a pending call. */
  cancel(): void {
    if (this.#timer !== undefined) {
      this.#options.timers.clearTimeout(this.#timer);
    }
    this.#timer = undefined;
    this.#first = undefined;
  }
}
