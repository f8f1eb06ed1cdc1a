/**
 * A secrets adapter over a StoreSource (a store file, a credentials directory) that
 * caches what it last loaded and reloads when the source changes.
 *
 * The source is read once and cached; the directories holding every file it depended
 * on (the store file, PEM files it references, the credential files) are watched so
 * that edits are picked up without a restart. Directories are watched, not files,
 * because editors and secret managers replace files by rename (and Kubernetes swaps a
 * `..data` symlink), which a watch on the old inode would miss. When the source
 * becomes invalid or unreadable the last valid content keeps being served and a
 * warning is logged; with no valid content ever, getProvisioningInfo answers
 * StoreUnavailableError naming the problem. It recovers by itself when fixed.
 *
 * An X.509 identity is checked against the clock at every answer, not only at load: a
 * certificate that expires while served is refused from then on, and one that enters
 * its last EXPIRY_WARNING_DAYS is warned about once.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, unwatchFile, watch, watchFile } from 'node:fs';
import path from 'node:path';
import type { DeviceProvisioningInfo } from '../contract/types.js';
import { type ValidityWindow, validityFindings } from '../contract/x509-checks.js';
import { StoreUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SecretsAdapter } from './adapter.js';
import { describeReadError } from './read-store-file.js';
import { type LoadOutcome, type StoreSource, loadSource } from './store-source.js';

/** Events arriving within this window are handled by one reload (editors write in bursts). */
const DEBOUNCE_MS = 50;
/** Poll interval when a directory cannot be watched (it was removed, or inotify failed). */
const POLL_MS = 1000;

/** Options of a reloading store. */
export interface ReloadOptions {
  /** Watch the source for changes (default true). Off for one-shot readers. */
  readonly watch?: boolean;
}

/** Serves what a StoreSource holds, reloading it when it changes. */
export class ReloadingStore implements SecretsAdapter {
  readonly #source: StoreSource;
  readonly #log: Logger;
  #current: DeviceProvisioningInfo | undefined;
  #fingerprint = '';
  #validity: ValidityWindow | undefined;
  #expiryWarned = false;
  #problem = 'not loaded yet';
  #queue: Promise<LoadOutcome> = Promise.resolve({ ok: false, problems: ['not loaded yet'], watch: [] });
  #debounce: NodeJS.Timeout | undefined;
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #polled = new Set<string>();
  #watching = false;
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
    this.#watching = options.watch !== false;
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
    clearTimeout(this.#debounce);
    for (const watcher of this.#watchers.values()) {
      watcher.close();
    }
    this.#watchers.clear();
    for (const file of this.#polled) {
      unwatchFile(file);
    }
    this.#polled.clear();
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
    const outcome = await loadSource(this.#source);
    if (this.#watching && !this.#closed) {
      this.#watch(outcome.watch);
    }
    if (outcome.ok) {
      this.#serve(outcome, reason);
      return outcome;
    }
    this.#problem = outcome.problems.join('; ');
    if (this.#current !== undefined) {
      this.#log.warn({ reason, problem: this.#problem }, 'store is not valid now; still serving its last valid content');
    } else {
      this.#log.warn({ reason, problem: this.#problem }, 'store is not valid; answering 503 until it is fixed');
    }
    return outcome;
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
    this.#expiryWarned = outcome.validity !== undefined && validityFindings(outcome.validity, Date.now()).warning !== undefined;
  }

  #checkValidity(validity: ValidityWindow): void {
    const { problem, warning } = validityFindings(validity, Date.now());
    if (problem !== undefined) {
      throw new StoreUnavailableError(`no valid provisioning information: store ${this.#source.label}: ${problem}`);
    }
    if (warning !== undefined && !this.#expiryWarned) {
      this.#expiryWarned = true;
      this.#log.warn({ warning }, 'store warning');
    }
  }

  /** Watches the directories of `files` (and stops watching those no longer needed). */
  #watch(files: readonly string[]): void {
    const wanted = new Map<string, string[]>();
    for (const file of files) {
      const dir = path.dirname(file);
      wanted.set(dir, [...(wanted.get(dir) ?? []), file]);
    }
    for (const [dir, watcher] of this.#watchers) {
      if (!wanted.has(dir)) {
        watcher.close();
        this.#watchers.delete(dir);
      }
    }
    for (const [dir, dirFiles] of wanted) {
      if (!this.#watchers.has(dir)) {
        this.#watchDir(dir, dirFiles);
      }
    }
  }

  #watchDir(dir: string, files: readonly string[]): void {
    try {
      const watcher = watch(dir, { persistent: false }, () => this.#schedule());
      watcher.on('error', (err) => {
        this.#log.warn({ dir, error: describeReadError(err) }, 'cannot watch a store directory any more; polling its files instead');
        watcher.close();
        this.#watchers.delete(dir);
        this.#poll(files);
      });
      this.#watchers.set(dir, watcher);
    } catch (err) {
      this.#log.warn({ dir, error: describeReadError(err) }, 'cannot watch a store directory; polling its files instead');
      this.#poll(files);
    }
  }

  #poll(files: readonly string[]): void {
    for (const file of files) {
      if (!this.#closed && !this.#polled.has(file)) {
        this.#polled.add(file);
        watchFile(file, { persistent: false, interval: POLL_MS }, () => this.#schedule());
      }
    }
  }

  #schedule(): void {
    if (this.#closed) {
      return;
    }
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      void this.reload('change');
    }, DEBOUNCE_MS);
    this.#debounce.unref();
  }
}
