/**
 * `xprov store set`: writes a store file from what operators have: a device
 * connection string, a hub, device id and key, certificate and key PEM files, or HSM
 * references. The new content is written to a temporary file next to the store file
 * (owner-only), checked there exactly as `xprov serve` would load it, and only then
 * renamed into place (files/atomic-write.ts), with the previous file kept as
 * `NAME.bak` (unless --no-backup). A refused document replaces nothing. Temporary
 * files a killed `store set` left behind are removed first (atomic-write.ts says which).
 *
 * The new file is 0600; a file it replaces keeps its owner and group, and its group
 * read bit (so the shipped root:xprov 0640 keeps working). Secrets are best read from
 * files or stdin (`--key-file -`): arguments are visible to every user in `ps`.
 *
 * The flags choose one kind of credentials (store-set/credentials-input.ts), and each
 * kind builds its document (store-set/documents.ts). A `tpm:` store is written into its
 * NV index instead (store-set/tpm-write.ts), checked the same way first.
 */
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { formatNvIndex } from '../config/store-location.js';
import { RefusedError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { StoreFileSource } from '../store/file-store.js';
import { loadSource } from '../store/store-source.js';
import { tpmTargetOf } from '../store/tpm-store.js';
import { TpmFailure } from '../store/tpm-tools.js';
import { parseOrUsage } from './shared/parse-or-usage.js';
import { TARGET_USAGE, storeTarget } from './shared/store-target.js';
import { credentialsInput } from './store-set/credentials-input.js';
import { storeDocument } from './store-set/documents.js';
import { Inputs } from './store-set/inputs.js';
import { SET_OPTIONS } from './store-set/options.js';
import type { CliIo } from './shared/io.js';
import { writeTpmStore } from './store-set/tpm-write.js';

/** Usage of `xprov store set`. */
export const SET_USAGE = `usage: xprov store set [--store FILE|tpm:INDEX... | --config FILE] CREDENTIALS [--status S] [--substatus S] [--no-backup] [--tpm-nv-size N]

Writes the store file atomically (temporary file, fsync, rename; mode 0600; the
previous file kept as FILE.bak), after checking the new content as xprov serve would:
nothing is replaced when it would be refused (exit code 1). CREDENTIALS is one of:

  --connection-string-file FILE|-  or  --connection-string STRING
      a device connection string (HostName=...;DeviceId=...;SharedAccessKey=...)
  --hub HOST --device ID --key-file FILE|-  or  ... --key BASE64
      a symmetric key
  --hub HOST --device ID --hsm-key
      a symmetric key held by the device's HSM/TPM (nothing secret is stored)
  --hub HOST --device ID --cert FILE --private-key FILE|- [--by-path]
      an X.509 identity from PEM files (certificate chain, unencrypted key), stored
      inline as base64, or with --by-path as references to the files, which xprov then
      reads at every load (certificates rotated in place are served without a restart)
  --hub HOST --device ID --cert-ref REF --private-key-ref REF
      an X.509 identity held by the device's HSM (pkcs11: URIs or paths, for its library)

FILE - reads stdin: prefer it (or a file) to secrets on the command line, which every
user can see in the process list.

${TARGET_USAGE}
  --status S, --substatus S
      the registration status and substatus to report (optional)
  --no-backup
      do not keep the previous file as FILE.bak (an existing FILE.bak is left as it is)

With --store tpm:INDEX[?format=document|connection-string][&auth=FILE] the content
goes into that TPM NV index (through tpm2-tools; --tpm-tcti says which TPM), checked
first as serve will read it. A missing index is defined (authread|authwrite with the
auth file's value), of the content's size or:
  --tpm-nv-size N
      bytes to define the index with (e.g. 150, the C# sample's; 2048 often the most)
format=document frames the document with a checksum: a write cut short is refused by
serve, never half-served. format=connection-string holds a symmetric key only.`;

/**
 * In-process seams of storeSet, for tests only: the shipped command line passes none.
 * A test-only script (test/support/store-set-paused.ts) uses `beforeReplace` to stop
 * the writer with the new content on disk, so that the tests can kill it exactly there.
 */
export interface StoreSetSeams {
  /** Runs once the new content is in its temporary file and checked, before anything is replaced. */
  readonly beforeReplace?: (tempFile: string) => Promise<void>;
}

/** `--tpm-nv-size`: a whole number of bytes an NV index can have. */
function parseNvSize(text: string | undefined): number | undefined {
  if (text === undefined) {
    return undefined;
  }
  if (!/^\d{1,5}$/.test(text) || Number(text) === 0 || Number(text) > 65535) {
    throw new UsageError('--tpm-nv-size must be a whole number of bytes, 1 to 65535 (TPMs allow up to TPM2_PT_NV_INDEX_MAX, often 2048)');
  }
  return Number(text);
}

/** `store set` into a TPM NV index (store-set/tpm-write.ts); resolves with the exit code. */
async function storeSetTpm(io: CliIo, ...args: Parameters<typeof writeTpmStore>): Promise<number> {
  const label = `tpm:${formatNvIndex(args[0].index)}`;
  try {
    const written = await writeTpmStore(...args);
    for (const warning of written.warnings) {
      io.stderr.write(`xprov: warning: ${warning}\n`);
    }
    const defined = written.defined === undefined ? '' : ` (defined it: ${written.defined} bytes, authread|authwrite)`;
    io.stdout.write(`wrote ${label}: ${written.bytes} bytes, format=${args[0].format}${defined}\n`);
    return 0;
  } catch (err) {
    if (err instanceof RefusedError) {
      io.stderr.write(`xprov: store set: refused, nothing was written:\n${err.problems.map((p) => `  ${p}\n`).join('')}`);
      return 1;
    }
    if (err instanceof TpmFailure) {
      io.stderr.write(`xprov: store set: ${label}: TPM (${args[1].tcti}): ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Runs `xprov store set`; resolves with the exit code. */
export async function storeSet(argv: readonly string[], io: CliIo, seams: StoreSetSeams = {}): Promise<number> {
  const { values } = parseOrUsage(() => parseArgs({ args: [...argv], options: SET_OPTIONS, strict: true, allowPositionals: false }));
  const target = storeTarget(values, io);
  const { location } = target;
  if (location.kind !== 'file' && location.kind !== 'tpm') {
    throw new UsageError(`store set writes store files and tpm: stores; a ${location.kind}: store is written with its own tools`);
  }
  if (location.kind === 'tpm' && values['no-backup'] === true) {
    throw new UsageError('--no-backup is for store files: a TPM index keeps no previous content');
  }
  if (location.kind === 'file' && values['tpm-nv-size'] !== undefined) {
    throw new UsageError('--tpm-nv-size goes with a tpm: store');
  }
  const nvSize = parseNvSize(values['tpm-nv-size']);
  const doc = await storeDocument(credentialsInput(values), values, new Inputs(io));
  if (values.key !== undefined || values['connection-string'] !== undefined) {
    io.stderr.write('xprov: warning: a secret on the command line is visible to every user (ps) and in shell history; prefer a file or stdin (-)\n');
  }
  if (location.kind === 'tpm') {
    return storeSetTpm(io, location, tpmTargetOf(location, target.tpmTcti), doc, {
      insecurePermissions: target.insecurePermissions,
      ...(nvSize === undefined ? {} : { nvSize }),
    });
  }
  const file = location.path;
  const text = `# xprov store file, written by \`xprov store set\` (see \`xprov store show\`).\n${YAML.stringify(doc)}`;
  const previous = await stat(file).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  });
  let warnings: readonly string[] = [];
  try {
    const result = await writeFileAtomic(file, text, {
      // Group read survives a rewrite (root:xprov 0640); nothing else ever does.
      mode: 0o600 | ((previous?.mode ?? 0) & 0o040),
      backup: values['no-backup'] !== true,
      ...(previous === undefined ? {} : { owner: { uid: previous.uid, gid: previous.gid } }),
      beforeReplace: async (temp) => {
        // The bytes about to be put in place, loaded as xprov serve will load them.
        const outcome = await loadSource(new StoreFileSource(temp, target.insecurePermissions));
        if (!outcome.ok) {
          throw new RefusedError(outcome.problems);
        }
        warnings = outcome.warnings;
        await seams.beforeReplace?.(temp);
      },
    });
    for (const leftover of result.removedLeftovers ?? []) {
      io.stderr.write(`xprov: removed ${leftover}, a temporary file left by a store set that was killed\n`);
    }
    for (const warning of warnings) {
      io.stderr.write(`xprov: warning: ${warning}\n`);
    }
    io.stdout.write(`wrote ${result.file}${result.backup === undefined ? '' : ` (the previous content is in ${result.backup})`}\n`);
    return 0;
  } catch (err) {
    if (err instanceof RefusedError) {
      io.stderr.write(`xprov: store set: refused, nothing was written:\n${err.problems.map((p) => `  ${p}\n`).join('')}`);
      return 1;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) {
      throw err;
    }
    io.stderr.write(`xprov: store set: cannot write ${file} (${code}); nothing was replaced\n`);
    return 1;
  }
}
