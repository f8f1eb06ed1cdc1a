/**
 * A store over a StoreSource (a store file, a credentials directory) that
 * caches what it last loaded and reloads when the source changes.
 *
 * The source is read once and cached; the files it depended on (the store file, PEM
 * files it references, the credential files, and every symlink on their way) are
 * watched (source-watcher.ts), so that edits are picked up without a restart, and
 * only those: other files in the same directories never cause a reload. When the
 * source becomes invalid or unreadable the last valid content keeps being served and
 * a warning is logged, once per distinct problem; with no valid content ever,
 * getProvisioningInfo answers StoreUnavailableError naming the problem. It recovers
 * by itself when fixed.
 *
 * An X.509 identity is checked against the clock at every answer, not only at load: a
 * certificate that expires while served is refused from then on, and one that enters
 * its last EXPIRY_WARNING_DAYS is warned about once.
 */
import { createHash } from 'node:crypto';
import type { DeviceProvisioningInfo } from '../contract/types.js';
import { type ValidityWindow, validityFindings } from '../contract/x509-checks.js';
import { StoreUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { SYSTEM_TIMERS, type Timers } from './debounce.js';
import { SourceWatcher } from './source-watcher.js';
import { type LoadOutcome, type StoreSource, loadSource } from './store-source.js';
import type { Store } from './store.js';

/** At most this many different problems are logged while a store stays invalid (one rewritten without end has ever new ones). */
const MAX_LOGGED_PROBLEMS = 16;

/** Options of a reloading store. */
export interface ReloadOptions {
  /** Watch the source for changes (default true). Off for one-shot readers. */
  readonly watch?: boolean;
  /** The clock (certificate validity) and timers (the watch's debounce); the system's by default. */
  readonly timers?: Timers;
}

/** Serves what a StoreSource holds, reloading it when it changes. */
export class ReloadingStore implements Store {
  readonly #source: StoreSource;
  readonly #log: Logger;
  #current: DeviceProvisioningInfo | undefined;
  #fingerprint = '';
  #validity: ValidityWindow | undefined;
  #expiryWarned = false;
  #problem = 'not loaded yet';
  /** The problems logged since the store was last valid: each is logged once, not at every reload. */
  readonly #loggedProblems = new Set<string>();
  #queue: Promise<LoadOutcome> = Promise.resolve({ ok: false, problems: ['not loaded yet'], watch: [] });
  #timers: Timers = SYSTEM_TIMERS;
  #watcher: SourceWatcher | undefined;
  #closed = false;

  /** Subclasses open it with `start`. */
  protected constructor(
    readonly description: string,
    source: StoreSource,
    log: Logger,
  ) {
    this.#source = source;
    this.#log = log;
  }

  /**
   * Loads the source once and starts watching it. Never rejects for a missing or
   * invalid source: the store then answers StoreUnavailableError until it is fixed.
   */
  protected async start(options: ReloadOptions): Promise<void> {
    this.#timers = options.timers ?? SYSTEM_TIMERS;
    if (options.watch !== false) {
      this.#watcher = new SourceWatcher(() => void this.reload('change'), this.#log, this.#timers);
    }
    await this.reload('start');
  }

  async getProvisioningInfo(): Promise<DeviceProvisioningInfo> {
    if (this.#current === undefined) {
      throw new StoreUnavailableError(`no valid provisioning information: store ${this.#source.label}: ${this.#problem}`);
    }
    if (this.#validity !== undefined) {
      this.#checkValidity(this.#validity);
    }
    return this.#current;
  }

  /** Re-reads the source; rejects with the problem if it is not valid now. */
  async reprovision(): Promise<void> {
    const result = await this.reload('reprovision');
    if (!result.ok) {
      throw new StoreUnavailableError(`reprovision: store ${this.#source.label}: ${result.problems.join('; ')}`);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    await this.#queue;
  }

  /**
   * Loads the source now, after any load already under way (loads never interleave,
   * so the newest content always wins), and updates what is served.
   */
  reload(reason: string): Promise<LoadOutcome> {
    const next = this.#queue.then(() => this.#load(reason));
    this.#queue = next;
    return next;
  }

  async #load(reason: string): Promise<LoadOutcome> {
    const outcome = await loadSource(this.#source, { now: this.#timers.now() });
    if (this.#watcher !== undefined && !this.#closed) {
      await this.#watcher.update(outcome.watch);
    }
    if (outcome.ok) {
      this.#loggedProblems.clear();
      this.#serve(outcome, reason);
      return outcome;
    }
    this.#problem = outcome.problems.join('; ');
    this.#warnOnce(reason);
    return outcome;
  }

  /** Logs the current problem unless it was logged already since the store was last valid. */
  #warnOnce(reason: string): void {
    if (this.#loggedProblems.has(this.#problem) || this.#loggedProblems.size > MAX_LOGGED_PROBLEMS) {
      // Said already (or said enough); whatever made us look again changed nothing new.
      this.#log.debug({ reason, problem: this.#problem }, 'store still not valid');
      return;
    }
    this.#loggedProblems.add(this.#problem);
    if (this.#loggedProblems.size > MAX_LOGGED_PROBLEMS) {
      this.#log.warn(
        { reason },
        `store is still not valid, with more than ${MAX_LOGGED_PROBLEMS} different problems; further ones are logged at debug level until it is valid`,
      );
      return;
    }
    if (this.#current !== undefined) {
      this.#log.warn({ reason, problem: this.#problem }, 'store is not valid now; still serving its last valid content');
    } else {
      this.#log.warn({ reason, problem: this.#problem }, 'store is not valid; answering 503 until it is fixed');
    }
  }

  #serve(outcome: Extract<LoadOutcome, { ok: true }>, reason: string): void {
    // A digest of what is served, so that unrelated events in a watched directory do
    // not log the store (and its warnings) as loaded again.
    const fingerprint = createHash('sha256').update(JSON.stringify(outcome.info)).digest('hex');
    const changed = fingerprint !== this.#fingerprint;
    this.#current = outcome.info;
    this.#fingerprint = fingerprint;
    this.#validity = outcome.validity;
    this.#problem = '';
    if (!changed) {
      this.#log.debug({ reason }, 'store unchanged');
      return;
    }
    const { hubName, deviceId, credentials } = outcome.info;
    this.#log.info({ reason, hubName, deviceId, authType: credentials.authType, source: credentials.source }, 'store loaded');
    for (const warning of outcome.warnings) {
      this.#log.warn({ reason, warning }, 'store warning');
    }
    // The load's warnings already say when the certificate expires soon.
    this.#expiryWarned = outcome.validity !== undefined && validityFindings(outcome.validity, this.#timers.now()).warning !== undefined;
  }

  #checkValidity(validity: ValidityWindow): void {
    const { problem, warning } = validityFindings(validity, this.#timers.now());
    if (problem !== undefined) {
      throw new StoreUnavailableError(`no valid provisioning information: store ${this.#source.label}: ${problem}`);
    }
    if (warning !== undefined && !this.#expiryWarned) {
      this.#expiryWarned = true;
      this.#log.warn({ warning }, 'store warning');
    }
  }
}
