/**
 * When the DPS store may start a registration: concurrent registrations are one
 * (single flight), and a new one starts at most once per `minIntervalMs`: calls within
 * it get the last outcome, so a client looping on reprovision cannot make xprov flood
 * DPS. Once stopped, no new registration starts (there would be nothing to abort it).
 */
import { DpsError } from '../errors.js';
import type { Logger } from '../log.js';

/** The outcome of one registration. */
export type Outcome =
  | { readonly ok: true; readonly changed: boolean; readonly hookFailures: readonly string[] }
  | { readonly ok: false; readonly error: DpsError };

/** Options of RegistrationGate. */
export interface RegistrationGateOptions {
  /** A new registration starts at most this often (0: whenever none is in flight). */
  readonly minIntervalMs: number;
  /** The clock of the rate limit (epoch ms). */
  readonly now: () => number;
  readonly log: Logger;
}

/** Single flight and rate limit over the registrations of one DPS store. */
export class RegistrationGate {
  readonly #options: RegistrationGateOptions;
  #inFlight: Promise<Outcome> | undefined;
  /** The last registration that ran to an outcome, and when it started. */
  #last: { outcome: Outcome; startedAt: number } | undefined;
  #stopped = false;

  constructor(options: RegistrationGateOptions) {
    this.#options = options;
  }

  /** True while a registration runs. */
  get busy(): boolean {
    return this.#inFlight !== undefined;
  }

  /**
   * The outcome of `register(reason)`, started now if allowed: else that of the
   * registration in flight, or the last one within the interval.
   */
  run(reason: string, register: (reason: string) => Promise<Outcome>): Promise<Outcome> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    if (this.#stopped) {
      // A request that arrives while stopping: no new registration to abort half-way.
      return Promise.resolve({ ok: false, error: new DpsError('aborted', 'DPS registration abandoned: xprov is stopping') });
    }
    const { minIntervalMs, now, log } = this.#options;
    const last = this.#last;
    const sinceMs = last === undefined ? undefined : now() - last.startedAt;
    if (last !== undefined && sinceMs !== undefined && sinceMs < minIntervalMs) {
      // Debug: a client looping on reprovision must not flood the log either.
      log.debug({ reason, sinceMs, minRegistrationIntervalMs: minIntervalMs }, 'DPS registration not repeated so soon; answering with the last outcome');
      return Promise.resolve(last.outcome);
    }
    const startedAt = now();
    const flight = register(reason).then((outcome) => {
      // An abandoned registration (stopping) says nothing about DPS: not an answer to reuse.
      if (outcome.ok || outcome.error.kind !== 'aborted') this.#last = { outcome, startedAt };
      return outcome;
    });
    this.#inFlight = flight.finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Starts nothing more; resolves once the registration in flight (if any) has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#inFlight;
  }
}
