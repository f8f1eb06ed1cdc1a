/**
 * Watches the files a store depends on and calls back, debounced, when one of them
 * changes. Directories are watched, not files, because editors and secret managers
 * replace files by rename (and Kubernetes swaps a `..data` symlink), which a watch on
 * the old inode would miss; but only events for the entries the files depend on
 * (watch-targets.ts) count: a log file or an editor's swap file beside the store
 * never causes a reload. The debounce has a maximum wait (debounce.ts), so that even
 * a steady stream of relevant events gets a reload at least every MAX_WAIT_MS.
 *
 * A directory that cannot be watched (it does not exist, inotify is exhausted) is
 * polled instead: its files are stat'ed every POLL_MS.
 */
import { type FSWatcher, unwatchFile, watch, watchFile } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { Debouncer, type Timers } from './debounce.js';
import { describeReadError } from './read-store-file.js';
import { type WatchTargets, watchTargets } from './watch-targets.js';

/** Events arriving within this window are handled by one reload (editors write in bursts). */
export const QUIET_MS = 50;
/** ...but a reload comes at latest this long after the first event, whatever follows. */
export const MAX_WAIT_MS = 500;
/** Poll interval when a directory cannot be watched. */
const POLL_MS = 1000;

/** Calls `onChange` (debounced) when a file it was told about changes. */
export class SourceWatcher {
  readonly #log: Logger;
  readonly #debouncer: Debouncer;
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #polled = new Set<string>();
  /** Directories that could not be watched: polled instead, and not tried again. */
  readonly #unwatchable = new Set<string>();
  #targets: WatchTargets = new Map();
  #closed = false;

  constructor(onChange: () => void, log: Logger, timers: Timers) {
    this.#log = log;
    this.#debouncer = new Debouncer(onChange, { quietMs: QUIET_MS, maxWaitMs: MAX_WAIT_MS, timers });
  }

  /**
   * Watches what `files` depend on now (after a load: a swapped symlink may point
   * elsewhere), and stops watching directories no longer needed.
   */
  async update(files: readonly string[]): Promise<void> {
    const targets = await watchTargets(files);
    if (this.#closed) {
      return;
    }
    const first = this.#watchers.size === 0 && this.#polled.size === 0;
    this.#targets = targets;
    for (const [dir, watcher] of this.#watchers) {
      if (!targets.has(dir)) {
        watcher.close();
        this.#watchers.delete(dir);
      }
    }
    let added = false;
    for (const dir of targets.keys()) {
      if (this.#unwatchable.has(dir)) {
        this.#poll(files);
      } else if (!this.#watchers.has(dir)) {
        added = this.#watchDir(dir, files) || added;
      }
    }
    if (added && !first) {
      // A directory watched only now (a new ..data version, a store directory created)
      // may have changed between the load that named it and its watch: look once more.
      this.#changed();
    }
  }

  /** Stops watching; a pending call is dropped. */
  close(): void {
    this.#closed = true;
    this.#debouncer.cancel();
    for (const watcher of this.#watchers.values()) {
      watcher.close();
    }
    this.#watchers.clear();
    for (const file of this.#polled) {
      unwatchFile(file);
    }
    this.#polled.clear();
    this.#unwatchable.clear();
  }

  /** True when an event for `name` in `dir` may change what is read. */
  #relevant(dir: string, name: string | Buffer | null): boolean {
    // Without a name (some platforms) the event may be about anything; with the
    // directory's own name, it is about the directory itself (removed or moved away).
    return name === null || this.#targets.get(dir)?.has(name.toString()) === true || name.toString() === path.basename(dir);
  }

  /** Watches `dir`, or polls `files` when it cannot be watched; true when the watch is set. */
  #watchDir(dir: string, files: readonly string[]): boolean {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (this.#relevant(dir, name)) {
          this.#changed();
        }
      });
      watcher.on('error', (err) => {
        this.#log.warn({ dir, error: describeReadError(err) }, 'cannot watch a store directory any more; polling its files instead');
        watcher.close();
        if (this.#watchers.get(dir) === watcher) {
          this.#watchers.delete(dir);
        }
        this.#unwatchable.add(dir);
        this.#poll(files);
      });
      this.#watchers.set(dir, watcher);
      return true;
    } catch (err) {
      this.#log.warn({ dir, error: describeReadError(err) }, 'cannot watch a store directory; polling its files instead');
      this.#unwatchable.add(dir);
      this.#poll(files);
      return false;
    }
  }

  #poll(files: readonly string[]): void {
    for (const file of files) {
      const absolute = path.resolve(file);
      if (!this.#closed && !this.#polled.has(absolute)) {
        this.#polled.add(absolute);
        watchFile(absolute, { persistent: false, interval: POLL_MS }, () => this.#changed());
      }
    }
  }

  #changed(): void {
    if (!this.#closed) {
      this.#debouncer.trigger();
    }
  }
}
