/**
 * `xprov store set`: writes a store file from what operators have: a device
 * connection string, a hub, device id and key, certificate and key PEM files, or HSM
 * references. The new content is written to a temporary file next to the store file
 * (owner-only), checked there exactly as `xprov serve` would load it, and only then
 * renamed into place (store/atomic-write.ts), with the previous file kept as
 * `NAME.bak` (unless --no-backup). A refused document replaces nothing. Temporary
 * files a killed `store set` left behind are removed first (atomic-write.ts says which).
 *
 * The new file is 0600; a file it replaces keeps its owner and group, and its group
 * read bit (so the shipped root:xprov 0640 keeps working). Secrets are best read from
 * files or stdin (`--key-file -`): arguments are visible to every user in `ps`.
 *
 * Test seam: with XPROV_TEST_PAUSE_BEFORE_REPLACE=1 in its environment, `store set`
 * stops once the new content is on disk and checked, before anything is replaced,
 * says so on stderr and waits to be killed; the tests use it to show that a writer
 * killed there leaves the store intact. Nothing else reads that variable.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { writeFileAtomic } from '../store/atomic-write.js';
import { parseDeviceConnectionString } from '../store/connection-string.js';
import { StoreFileSource } from '../store/file-store.js';
import { MAX_STORE_BYTES, readStoreFile } from '../store/read-store-file.js';
import { loadSource } from '../store/store-source.js';
import { TARGET_OPTIONS, TARGET_USAGE, storeTarget } from './store-target.js';
import { UsageError, parseOrUsage } from './usage-error.js';
import type { CliIo } from './io.js';

/** Usage of `xprov store set`. */
export const SET_USAGE = `usage: xprov store set [--store FILE | --config FILE] CREDENTIALS [--status S] [--substatus S] [--no-backup]

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
      do not keep the previous file as FILE.bak (an existing FILE.bak is left as it is)`;

const SET_OPTIONS = {
  ...TARGET_OPTIONS,
  'connection-string': { type: 'string' },
  'connection-string-file': { type: 'string' },
  hub: { type: 'string' },
  device: { type: 'string' },
  key: { type: 'string' },
  'key-file': { type: 'string' },
  'hsm-key': { type: 'boolean' },
  cert: { type: 'string' },
  'private-key': { type: 'string' },
  'by-path': { type: 'boolean' },
  'cert-ref': { type: 'string' },
  'private-key-ref': { type: 'string' },
  status: { type: 'string' },
  substatus: { type: 'string' },
  'no-backup': { type: 'boolean' },
} as const;

type SetValues = { readonly [K in keyof typeof SET_OPTIONS]?: (typeof SET_OPTIONS)[K]['type'] extends 'string' ? string : boolean };

/** The new document was checked and would be refused. */
class RefusedError extends Error {
  constructor(readonly problems: readonly string[]) {
    super('refused');
  }
}

/** Reads the inputs named on the command line: files, or `-` for `io`'s stdin (once). */
class Inputs {
  #stdinTakenBy: string | undefined;

  constructor(private readonly io: CliIo) {}

  async read(option: string, file: string): Promise<string> {
    if (file !== '-') {
      const read = await readStoreFile(path.resolve(file));
      if (!read.ok) {
        throw new UsageError(`--${option} ${file} ${read.problem}`);
      }
      return read.text;
    }
    if (this.#stdinTakenBy !== undefined) {
      throw new UsageError(`--${option} and --${this.#stdinTakenBy} cannot both read stdin`);
    }
    this.#stdinTakenBy = option;
    if (this.io.stdin.isTTY === true) {
      this.io.stderr.write(`xprov: reading --${option} from the terminal; end with Ctrl-D\n`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const read of this.io.stdin) {
      const chunk = typeof read === 'string' ? Buffer.from(read) : read;
      size += chunk.length;
      if (size > MAX_STORE_BYTES) {
        throw new UsageError(`--${option} -: stdin holds more than ${MAX_STORE_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

/** Which kinds of credentials the options ask for. */
function credentialKinds(values: SetValues): string[] {
  const kinds: Record<string, boolean> = {
    'a connection string': values['connection-string'] !== undefined || values['connection-string-file'] !== undefined,
    'a symmetric key': values.key !== undefined || values['key-file'] !== undefined,
    'an HSM-held key': values['hsm-key'] === true,
    'certificate files': values.cert !== undefined || values['private-key'] !== undefined,
    'HSM references': values['cert-ref'] !== undefined || values['private-key-ref'] !== undefined,
  };
  return Object.keys(kinds).filter((kind) => kinds[kind]);
}

/** `--a` and `--b` are both required together, or exactly one of them is (`oneOf`). */
function pair(values: SetValues, a: keyof SetValues, b: keyof SetValues, oneOf: boolean): void {
  const given = [a, b].filter((k) => values[k] !== undefined);
  if (oneOf ? given.length !== 1 : given.length === 1) {
    throw new UsageError(oneOf ? `give one of --${a} and --${b}` : `--${a} and --${b} go together`);
  }
}

/** The hub and device options, required by every kind but a connection string. */
function hubAndDevice(values: SetValues): { hubName: string; deviceId: string } {
  if (values.hub === undefined || values.device === undefined) {
    throw new UsageError('--hub and --device are required (or give a connection string); see xprov store set --help');
  }
  return { hubName: values.hub, deviceId: values.device };
}

/** The store document the options describe (not checked yet: that is done on the written file). */
async function documentFrom(values: SetValues, inputs: Inputs): Promise<Record<string, unknown>> {
  const kinds = credentialKinds(values);
  if (kinds.length !== 1) {
    throw new UsageError(
      kinds.length === 0 ? 'store set needs credentials; see xprov store set --help' : `store set takes one kind of credentials, not ${kinds.join(' and ')}`,
    );
  }
  if (values['by-path'] === true && values.cert === undefined) {
    throw new UsageError('--by-path goes with --cert and --private-key');
  }
  const status = {
    ...(values.status === undefined ? {} : { status: values.status }),
    ...(values.substatus === undefined ? {} : { substatus: values.substatus }),
  };
  switch (kinds[0]) {
    case 'a connection string': {
      pair(values, 'connection-string', 'connection-string-file', true);
      if (values.hub !== undefined || values.device !== undefined) {
        throw new UsageError('a connection string names the hub and the device: drop --hub and --device');
      }
      const text = values['connection-string'] ?? (await inputs.read('connection-string-file', values['connection-string-file'] ?? '-'));
      const parsed = parseDeviceConnectionString(text);
      if (!parsed.ok) {
        throw new UsageError(parsed.problem);
      }
      const { hubName, deviceId, key } = parsed.value;
      return { hubName, deviceId, credentials: { authType: 'symmetric-key', source: 'payload', key }, ...status };
    }
    case 'a symmetric key': {
      pair(values, 'key', 'key-file', true);
      const ids = hubAndDevice(values);
      const key = values.key ?? (await inputs.read('key-file', values['key-file'] ?? '-'));
      return { ...ids, credentials: { authType: 'symmetric-key', source: 'payload', key: key.trim() }, ...status };
    }
    case 'an HSM-held key':
      return { ...hubAndDevice(values), credentials: { authType: 'symmetric-key', source: 'hsm' }, ...status };
    case 'certificate files': {
      pair(values, 'cert', 'private-key', false);
      const ids = hubAndDevice(values);
      const [certFile, keyFile] = [values.cert ?? '', values['private-key'] ?? ''];
      if (values['by-path'] === true) {
        if (keyFile === '-') {
          throw new UsageError('--by-path needs --private-key to name a file, not stdin');
        }
        const files = { identityCertFile: path.resolve(certFile), identityPrivateKeyFile: path.resolve(keyFile) };
        return { ...ids, credentials: { authType: 'x509', source: 'payload', ...files }, ...status };
      }
      const certPem = await inputs.read('cert', certFile);
      const keyPem = await inputs.read('private-key', keyFile);
      const inline = { identityCert: Buffer.from(certPem).toString('base64'), identityPrivateKey: Buffer.from(keyPem).toString('base64') };
      return { ...ids, credentials: { authType: 'x509', source: 'payload', ...inline }, ...status };
    }
    default: {
      pair(values, 'cert-ref', 'private-key-ref', false);
      const references = { identityCert: values['cert-ref'], identityPrivateKey: values['private-key-ref'] };
      return { ...hubAndDevice(values), credentials: { authType: 'x509', source: 'hsm', ...references }, ...status };
    }
  }
}

/** Waits forever (until killed): see the test seam in the module comment. */
async function pauseForTests(file: string, io: CliIo): Promise<void> {
  io.stderr.write(`xprov: XPROV_TEST_PAUSE_BEFORE_REPLACE: paused before replacing ${file}\n`);
  await new Promise<never>(() => {
    setInterval(() => undefined, 60_000);
  });
}

/** Runs `xprov store set`; resolves with the exit code. */
export async function storeSet(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseOrUsage(() => parseArgs({ args: [...argv], options: SET_OPTIONS, strict: true, allowPositionals: false }));
  const target = storeTarget(values, io);
  if (target.location.kind !== 'file') {
    throw new UsageError(`store set writes store files; a ${target.location.kind}: store is written with its own tools`);
  }
  const file = target.location.path;
  const doc = await documentFrom(values, new Inputs(io));
  if (values.key !== undefined || values['connection-string'] !== undefined) {
    io.stderr.write('xprov: warning: a secret on the command line is visible to every user (ps) and in shell history; prefer a file or stdin (-)\n');
  }
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
        if (io.env.XPROV_TEST_PAUSE_BEFORE_REPLACE === '1') {
          await pauseForTests(file, io);
        }
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
