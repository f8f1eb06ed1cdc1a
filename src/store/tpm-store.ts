/**
 * The TPM store (`--store tpm:INDEX[?format=document|connection-string][&auth=FILE]`):
 * the provisioning document is in a TPM 2.0 NV index, read through tpm2-tools
 * (tpm-tools.ts: no secret on a command line). The index holds either a framed store
 * document (tpm-frame.ts: a torn or foreign content is refused) or, for devices
 * provisioned with the C# sample, its connection string (tpm-connection-string.ts).
 *
 * The index is read once at start and cached; an NV index cannot be watched, so it is
 * read again on reprovision and on SIGHUP (the reloading store's `reload`). A TPM
 * error (no TPM, no such index, wrong auth, lockout) is a problem of the load: the
 * store answers 503 with the TPM's reason, and what was served before stays served.
 *
 * The auth file is the index's auth value: a secret, so it must be trusted like one
 * (files/trust.ts) and is read by the tool itself, never put on its command line.
 */
import { type StoreLocation, type TpmFormat, formatNvIndex } from '../config/store-location.js';
import type { Logger } from '../log.js';
import { parseYamlStrict } from '../yaml-text.js';
import { readStoreFile } from './read-store-file.js';
import { type ReloadOptions, ReloadingStore } from './reloading-store.js';
import type { SourceRead, StoreSource } from './store-source.js';
import { readConnectionStringLayout } from './tpm-connection-string.js';
import { unframeDocument } from './tpm-frame.js';
import { type TpmAccess, TpmFailure, nvRead } from './tpm-tools.js';

/** Where a TPM store is: the index, its format and auth file, and the TCTI. */
export interface TpmTarget extends TpmAccess {
  readonly format: TpmFormat;
}

/** The TPM store of a tpm: location, reached by `tcti`. */
export function tpmTargetOf(location: Extract<StoreLocation, { kind: 'tpm' }>, tcti: string): TpmTarget {
  const { index, format, authFile } = location;
  return { tcti, index, format, ...(authFile === undefined ? {} : { authFile }) };
}

/** Options of TpmStore.open. */
export interface TpmStoreOptions extends ReloadOptions {
  /** Use an auth file that is not trusted, with a warning (default false). */
  readonly insecurePermissions?: boolean;
}

/** An auth file is a TPM auth value: at most a digest (64 bytes for SHA-512), or `hex:` and twice that. */
const MAX_AUTH_FILE_BYTES = 200;

/** Checks the auth file as a secret file (owner, mode, path); a problem, or the warning --insecure-permissions turns it into. */
export async function checkAuthFile(file: string, insecurePermissions: boolean): Promise<{ readonly problem?: string; readonly warning?: string }> {
  const read = await readStoreFile(file, { role: 'secret', insecurePermissions });
  if (!read.ok) {
    return { problem: `auth file ${file} ${read.problem}` };
  }
  if (Buffer.byteLength(read.text) > MAX_AUTH_FILE_BYTES) {
    return { problem: `auth file ${file} is larger than ${MAX_AUTH_FILE_BYTES} bytes: a TPM auth value is at most a digest` };
  }
  return read.permissionWarning === undefined ? {} : { warning: `auth file ${read.permissionWarning}` };
}

/** A TPM NV index as a StoreSource. */
export class TpmSource implements StoreSource {
  readonly label: string;
  /** File references in a TPM document are absolute (store set writes them so). */
  readonly baseDir = '/';

  constructor(
    readonly target: TpmTarget,
    readonly insecurePermissions: boolean,
  ) {
    this.label = `tpm:${formatNvIndex(target.index)}`;
  }

  async read(): Promise<SourceRead> {
    const watch: string[] = [];
    const warnings: string[] = [];
    if (this.target.authFile !== undefined) {
      const auth = await checkAuthFile(this.target.authFile, this.insecurePermissions);
      if (auth.problem !== undefined) {
        return { ok: false, problems: [auth.problem], watch };
      }
      if (auth.warning !== undefined) {
        warnings.push(auth.warning);
      }
    }
    let bytes: Buffer;
    try {
      bytes = await nvRead(this.target);
    } catch (err) {
      if (err instanceof TpmFailure) {
        return { ok: false, problems: [`TPM (${this.target.tcti}): ${err.message}`], watch };
      }
      throw err;
    }
    return decodeNvContent(bytes, this.target, warnings);
  }
}

/**
 * What the bytes of an NV index hold, as a source read: the one decoding of both
 * formats, used by the store and by `xprov store set` on the bytes it is about to write.
 */
export function decodeNvContent(bytes: Buffer, target: { readonly index: number; readonly format: TpmFormat }, warnings: readonly string[] = []): SourceRead {
  const index = `NV index ${formatNvIndex(target.index)}`;
  if (target.format === 'connection-string') {
    const layout = readConnectionStringLayout(bytes);
    return layout.ok ? { ok: true, value: layout.value, warnings, watch: [] } : { ok: false, problems: [`${index} ${layout.problem}`], watch: [] };
  }
  const framed = unframeDocument(bytes);
  if (!framed.ok) {
    return { ok: false, problems: [`${index} ${framed.problem}`], watch: [] };
  }
  const parsed = parseYamlStrict(framed.text);
  if (!parsed.ok) {
    return { ok: false, problems: parsed.problems, watch: [] };
  }
  return { ok: true, value: parsed.value, locate: parsed.locate, warnings, watch: [] };
}

/** Serves the document a TPM NV index holds, read at start, on reprovision and on SIGHUP. */
export class TpmStore extends ReloadingStore {
  private constructor(target: TpmTarget, options: TpmStoreOptions, log: Logger) {
    const source = new TpmSource(target, options.insecurePermissions === true);
    super(`tpm ${formatNvIndex(target.index)} (format ${target.format}, TCTI ${target.tcti})`, source, log);
  }

  /** Reads the index once. Never rejects for a TPM error: the store then answers StoreUnavailableError until a reload succeeds. */
  static async open(target: TpmTarget, log: Logger, options: TpmStoreOptions = {}): Promise<TpmStore> {
    const store = new TpmStore(target, options, log.child({ store: 'tpm', index: formatNvIndex(target.index) }));
    // Nothing to watch: an NV index changes only through the TPM.
    await store.start({ ...options, watch: false });
    return store;
  }
}
