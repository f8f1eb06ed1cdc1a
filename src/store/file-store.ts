/**
 * The file store, the default secrets adapter: a YAML or JSON file shaped like
 * DeviceProvisioningInfo.
 *
 * The file is read once and cached; the directory holding it is watched so that edits
 * are picked up without a restart. The whole directory is watched, not the file,
 * because editors and secret managers replace files by rename (and Kubernetes swaps a
 * `..data` symlink), which a watch on the old inode would miss. When the file becomes
 * invalid or unreadable the last valid content keeps being served and a warning is
 * logged; with no valid content ever, getProvisioningInfo answers StoreUnavailableError
 * naming the problem. It recovers by itself when the file is fixed.
 */
import { type FSWatcher, type StatWatcher, watch, watchFile, unwatchFile } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { DeviceProvisioningInfo } from '../contract/types.js';
import { StoreUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SecretsAdapter } from './adapter.js';
import { checkStoreDocument } from './document.js';

/** Larger files are refused unread: a provisioning document is a few KiB at most. */
export const MAX_STORE_BYTES = 1024 * 1024;

/** Events arriving within this window are handled by one reload (editors write in bursts). */
const DEBOUNCE_MS = 50;
/** Poll interval when the directory cannot be watched (it was removed, or inotify failed). */
const POLL_MS = 1000;

/** The outcome of one read of the file. */
type LoadResult = { ok: true; info: DeviceProvisioningInfo } | { ok: false; problem: string };

/** Options of FileStore.open. */
export interface FileStoreOptions {
  /** Watch the file for changes (default true). Off for one-shot readers. */
  readonly watch?: boolean;
}

/** Serves a provisioning document from a file, reloading it when it changes. */
export class FileStore implements SecretsAdapter {
  readonly description: string;
  #current: DeviceProvisioningInfo | undefined;
  #currentText = '';
  #problem = 'not loaded yet';
  #queue: Promise<LoadResult> = Promise.resolve({ ok: false, problem: 'not loaded yet' });
  #debounce: NodeJS.Timeout | undefined;
  #watcher: FSWatcher | undefined;
  #poller: StatWatcher | undefined;
  #closed = false;

  private constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {
    this.description = `file ${path}`;
  }

  /**
   * Reads the file once and starts watching it. Never rejects for a missing or invalid
   * file: the store then answers StoreUnavailableError until the file is fixed.
   */
  static async open(filePath: string, log: Logger, options: FileStoreOptions = {}): Promise<FileStore> {
    const store = new FileStore(filePath, log.child({ store: 'file', path: filePath }));
    await store.reload('start');
    if (options.watch !== false) {
      store.#startWatching();
    }
    return store;
  }

  async getProvisioningInfo(): Promise<DeviceProvisioningInfo> {
    if (this.#current === undefined) {
      throw new StoreUnavailableError(`no valid provisioning information: store ${this.path}: ${this.#problem}`);
    }
    return this.#current;
  }

  /** Re-reads the file; rejects with the problem if it is not valid now. */
  async reprovision(): Promise<void> {
    const result = await this.reload('reprovision');
    if (!result.ok) {
      throw new StoreUnavailableError(`reprovision: store ${this.path}: ${result.problem}`);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    if (this.#poller) {
      unwatchFile(this.path);
    }
    await this.#queue;
  }

  /**
   * Reads and checks the file now, after any read already under way (reads never
   * interleave, so the newest content always wins), and updates what is served.
   */
  reload(reason: string): Promise<LoadResult> {
    const next = this.#queue.then(() => this.#load(reason));
    this.#queue = next;
    return next;
  }

  async #load(reason: string): Promise<LoadResult> {
    const read = await this.#read();
    const result: LoadResult = read.ok ? this.#check(read.text) : read;
    if (result.ok) {
      const changed = read.ok && read.text !== this.#currentText;
      this.#current = result.info;
      this.#currentText = read.ok ? read.text : '';
      this.#problem = '';
      if (changed) {
        const { hubName, deviceId, credentials } = result.info;
        this.log.info(
          { reason, hubName, deviceId, authType: credentials.authType, source: credentials.source },
          'store loaded',
        );
      } else {
        this.log.debug({ reason }, 'store unchanged');
      }
      return result;
    }
    this.#problem = result.problem;
    if (this.#current !== undefined) {
      this.log.warn({ reason, problem: result.problem }, 'store file is not valid now; still serving its last valid content');
    } else {
      this.log.warn({ reason, problem: result.problem }, 'store file is not valid; answering 503 until it is fixed');
    }
    return result;
  }

  #check(text: string): LoadResult {
    const checked = checkStoreDocument(text);
    return checked.ok ? checked : { ok: false, problem: checked.problems.join('; ') };
  }

  async #read(): Promise<{ ok: true; text: string } | { ok: false; problem: string }> {
    let handle;
    try {
      handle = await open(this.path, 'r');
      const stat = await handle.stat();
      if (!stat.isFile()) {
        return { ok: false, problem: 'is not a regular file' };
      }
      if (stat.size > MAX_STORE_BYTES) {
        return { ok: false, problem: `is larger than ${MAX_STORE_BYTES} bytes` };
      }
      // Read through the handle (not by path again) so that size check and content match.
      const buffer = Buffer.alloc(MAX_STORE_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_STORE_BYTES) {
        return { ok: false, problem: `is larger than ${MAX_STORE_BYTES} bytes` };
      }
      return { ok: true, text: buffer.toString('utf8', 0, bytesRead) };
    } catch (err) {
      return { ok: false, problem: describeReadError(err) };
    } finally {
      await handle?.close();
    }
  }

  #startWatching(): void {
    const dir = path.dirname(this.path);
    try {
      this.#watcher = watch(dir, { persistent: false }, () => this.#schedule());
      this.#watcher.on('error', (err) => {
        this.log.warn({ dir, error: describeReadError(err) }, 'cannot watch the store directory any more; polling the file instead');
        this.#watcher?.close();
        this.#watcher = undefined;
        this.#startPolling();
      });
    } catch (err) {
      this.log.warn({ dir, error: describeReadError(err) }, 'cannot watch the store directory; polling the file instead');
      this.#startPolling();
    }
  }

  #startPolling(): void {
    if (this.#closed || this.#poller) {
      return;
    }
    this.#poller = watchFile(this.path, { persistent: false, interval: POLL_MS }, () => this.#schedule());
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

/** A read failure as a short phrase for the operator (no stack, no content). */
function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'is not readable (permission denied)';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return `cannot be read (${code ?? (err instanceof Error ? err.message : String(err))})`;
  }
}
