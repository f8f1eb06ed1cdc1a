/**
 * Saving a registration that DPS has already made: the new assignment is the truth
 * (DPS has moved the device; the old hub may no longer know it), so it is served from
 * memory even when it cannot be written (ENOSPC, a read-only or broken state
 * directory). The write is retried with backoff, a bounded number of times, once more
 * at stop, and every log line says what is served now and what the next start will
 * serve, which is whatever the state file still holds.
 */
import type { Logger } from '../log.js';
import { causeChain } from '../log.js';
import { type BackoffPolicy, backoffDelay } from './retry.js';
import type { RegistrationState, SavedRegistration } from './state.js';

/** Attempts of one save, the first included, before it waits for the next registration or the stop. */
export const SAVE_ATTEMPTS = 8;

/** Writes registrations to the state, retrying failed writes in the background. */
export class StateSaver {
  readonly #state: RegistrationState;
  readonly #log: Logger;
  readonly #backoff: BackoffPolicy;
  /** What the state file holds (what the next start would serve). */
  #onDisk: SavedRegistration | undefined;
  /** A registration served but not yet written. */
  #pending: SavedRegistration | undefined;
  #attempts = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #closed = false;

  constructor(state: RegistrationState, log: Logger, backoff: BackoffPolicy, onDisk: SavedRegistration | undefined) {
    this.#state = state;
    this.#log = log;
    this.#backoff = backoff;
    this.#onDisk = onDisk;
  }

  /** True while a registration is served that the state file does not hold. */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /** Saves `saved` (superseding an unsaved one); resolves after the first attempt, never rejects. */
  async save(saved: SavedRegistration): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    this.#pending = saved;
    this.#attempts = 0;
    await this.#attempt(true);
  }

  /** At stop: no more background retries; one last attempt if something is unsaved. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    if (this.#pending !== undefined) {
      await this.#attempt(false);
    }
  }

  /** What the next start serves, for the log (hub names are not secrets). */
  #nextStart(): string {
    return this.#onDisk === undefined
      ? 'the next start finds no saved registration and registers again'
      : `the next start serves the state file's previous assignment (${this.#onDisk.result.deviceId} on ${this.#onDisk.result.assignedHub}) until the daemon asks to reprovision`;
  }

  #attempt(retryLater: boolean): Promise<void> {
    const saved = this.#pending;
    if (saved === undefined) return Promise.resolve();
    this.#attempts += 1;
    const attempt = this.#attempts;
    this.#writing = this.#state.save(saved).then(
      () => {
        if (this.#pending === saved) this.#pending = undefined;
        this.#onDisk = saved;
        if (attempt > 1) this.#log.info({ attempt, file: this.#state.file }, 'DPS registration saved after earlier failures');
      },
      (err: unknown) => {
        const served = { hubName: saved.result.assignedHub, deviceId: saved.result.deviceId };
        const fields = { ...served, attempt, cause: causeChain(err), file: this.#state.file };
        if (retryLater && this.#closed) {
          return; // under way when the stop came: close() makes the last attempt, and logs it
        }
        if (!retryLater) {
          this.#log.error(fields, `cannot save the DPS registration at stop; ${this.#nextStart()}`);
          return;
        }
        if (attempt >= SAVE_ATTEMPTS) {
          this.#log.error(
            fields,
            `cannot save the DPS registration; gave up after ${attempt} attempts: serving it from memory until xprov stops (one more attempt then); ${this.#nextStart()}`,
          );
          return;
        }
        const retryInMs = backoffDelay(this.#backoff, attempt - 1, undefined);
        this.#log.error(
          { ...fields, retryInMs },
          `cannot save the DPS registration; serving it from memory and retrying the save (${this.#nextStart()} if none succeeds)`,
        );
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          void this.#attempt(true);
        }, retryInMs);
      },
    );
    return this.#writing;
  }
}
