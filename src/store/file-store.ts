/**
 * The file store, the default store: a YAML or JSON file in the store file
 * format (openapi/store.schema.yaml), which may reference the X.509 identity as PEM
 * files. Caching, watching (the file's directory and those of the PEM files) and
 * keeping the last valid content are the reloading store's (reloading-store.ts).
 *
 * The file must not be writable by group or others nor readable by others (see
 * permissions.ts) unless the operator accepts it with --insecure-permissions.
 */
import path from 'node:path';
import type { Logger } from '../log.js';
import { parseYamlStrict } from '../yaml-text.js';
import { readStoreFile } from './read-store-file.js';
import { type ReloadOptions, ReloadingStore } from './reloading-store.js';
import type { SourceRead, StoreSource } from './store-source.js';

export { MAX_STORE_BYTES } from './read-store-file.js';

/** Options of FileStore.open. */
export interface FileStoreOptions extends ReloadOptions {
  /** Serve a file whose permissions are too open, with a warning (default false). */
  readonly insecurePermissions?: boolean;
}

/** A store file as a StoreSource: its parsed YAML/JSON. */
export class StoreFileSource implements StoreSource {
  readonly baseDir: string;

  constructor(
    readonly label: string,
    readonly insecurePermissions: boolean,
  ) {
    // PEM file references are relative to the store file, wherever xprov was started.
    this.baseDir = path.dirname(label);
  }

  async read(): Promise<SourceRead> {
    const watch = [this.label];
    const read = await readStoreFile(this.label, { role: 'secret', insecurePermissions: this.insecurePermissions });
    if (!read.ok) {
      // A missing store is the state of a fresh install (the package ships none): the
      // 503 and the log say how to make one, not only what is wrong.
      const problem = read.missing ? `${read.problem}; the next step is \`${storeSetHint(this.label)}\`, which writes it` : read.problem;
      return { ok: false, problems: [problem], watch };
    }
    const parsed = parseYamlStrict(read.text);
    if (!parsed.ok) {
      return { ok: false, problems: parsed.problems, watch };
    }
    const warnings = read.permissionWarning === undefined ? [] : [`store file ${read.permissionWarning}`];
    return { ok: true, value: parsed.value, locate: parsed.locate, warnings, watch };
  }
}

/** The command that writes the store file `file` (its CREDENTIALS left to the operator: `xprov store set --help`). */
function storeSetHint(file: string): string {
  return `xprov store set --store ${file} ...`;
}

/** Serves a provisioning document from a file, reloading it when it (or a PEM file it names) changes. */
export class FileStore extends ReloadingStore {
  /** The store file. */
  readonly path: string;

  private constructor(filePath: string, options: FileStoreOptions, log: Logger) {
    super(`file ${filePath}`, new StoreFileSource(filePath, options.insecurePermissions === true), log);
    this.path = filePath;
  }

  /**
   * Reads the file once and starts watching it. Never rejects for a missing or invalid
   * file: the store then answers StoreUnavailableError until the file is fixed.
   */
  static async open(filePath: string, log: Logger, options: FileStoreOptions = {}): Promise<FileStore> {
    const store = new FileStore(filePath, options, log.child({ store: 'file', path: filePath }));
    await store.start(options);
    return store;
  }
}
