/**
 * Where a reloading store (reloading-store.ts) reads its document from, and the one
 * way every such document becomes servable: read the source into a value, check it as
 * a store document (document.ts), resolve its file references and judge the result
 * (resolve-document.ts). The file store and the credentials-directory store differ
 * only in `read`; `xprov store validate` and `show` use the very same path.
 */
import type { Locate } from '../contract/schema-messages.js';
import { checkStoreValue } from './document.js';
import { type Servable, resolveStoreDocument } from './resolve-document.js';

/**
 * What a source read, not checked yet, and the files it depends on; `locate` finds a
 * field in the text the value was parsed from (for messages), when there is one.
 */
export type SourceRead =
  | {
      readonly ok: true;
      readonly value: unknown;
      readonly warnings: readonly string[];
      readonly watch: readonly string[];
      readonly locate?: Locate;
    }
  | { readonly ok: false; readonly problems: readonly string[]; readonly watch: readonly string[] };

/** A place a store document is read from. */
export interface StoreSource {
  /** What is read, for messages (`store LABEL: problem`): a file or directory path. */
  readonly label: string;
  /** The directory relative file references are resolved against. */
  readonly baseDir: string;
  /** Serve files whose permissions are too open, with a warning instead of a refusal. */
  readonly insecurePermissions: boolean;
  /** Reads the document as one value; never throws. */
  read(): Promise<SourceRead>;
}

/**
 * The outcome of one load: what to serve, or why nothing can be. `watch` lists the
 * files it depended on (the store file or directory entries, referenced PEM files),
 * so that a change to any of them triggers a reload.
 */
export type LoadOutcome =
  | ({ readonly ok: true; readonly watch: readonly string[] } & Servable)
  | { readonly ok: false; readonly problems: readonly string[]; readonly watch: readonly string[] };

/** Options of loadSource. */
export interface LoadOptions {
  /** The time certificates are checked against (epoch ms); now by default. */
  readonly now?: number;
}

/** Reads `source` and decides what it would serve now; never throws. */
export async function loadSource(source: StoreSource, options: LoadOptions = {}): Promise<LoadOutcome> {
  const read = await source.read();
  if (!read.ok) {
    return read;
  }
  const checked = checkStoreValue(read.value, read.locate);
  if (!checked.ok) {
    return { ok: false, problems: checked.problems, watch: read.watch };
  }
  const resolved = await resolveStoreDocument(checked.doc, {
    baseDir: source.baseDir,
    insecurePermissions: source.insecurePermissions,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const watch = [...read.watch, ...resolved.files];
  if (!resolved.ok) {
    return { ok: false, problems: resolved.problems, watch };
  }
  return {
    ok: true,
    info: resolved.info,
    warnings: [...read.warnings, ...resolved.warnings],
    notes: resolved.notes,
    ...(resolved.validity === undefined ? {} : { validity: resolved.validity }),
    watch,
  };
}
