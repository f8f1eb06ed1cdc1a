/**
 * Where the store is, parsed from the configured store string. A plain path or a
 * `file:` URL selects the file store; other schemes are for other stores.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';

/** A parsed store location: a tagged union, one member per store. */
export type StoreLocation =
  | { readonly kind: 'file'; readonly path: string }
  /** Register with DPS; `path` is the DPS settings file. */
  | { readonly kind: 'dps'; readonly path: string }
  /** One file per field in a directory (systemd credentials, Kubernetes and Docker secrets). */
  | { readonly kind: 'credentials'; readonly dir: string }
  /** A TPM 2.0 NV index (store/tpm-store.ts); `authFile`: the index's auth value, else the empty auth. */
  | { readonly kind: 'tpm'; readonly index: number; readonly format: TpmFormat; readonly authFile?: string };

/** What a TPM NV index holds: a framed store document, or the C# sample's connection string. */
export type TpmFormat = 'document' | 'connection-string';

/** The TPM's default TCTI: the kernel's resource manager, which lets several clients share the TPM. */
export const DEFAULT_TPM_TCTI = 'device:/dev/tpmrm0';

/** The NV index range (TPM 2.0 Part 2, TPM_HT_NV_INDEX: 0x01xxxxxx). */
const NV_INDEX_FIRST = 0x01000000;
const NV_INDEX_LAST = 0x01ffffff;

/** Parses `tpm:INDEX[?format=document|connection-string][&auth=FILE]`. */
function parseTpmLocation(text: string, cwd: string): StoreLocation {
  const rest = text.slice('tpm:'.length);
  const [indexText = '', query, ...more] = rest.split('?');
  const example = 'e.g. tpm:0x01000bb9?format=connection-string&auth=/etc/xprov/tpm-auth';
  if (more.length > 0) {
    throw new ConfigError(`store tpm: has more than one "?" (${example})`);
  }
  if (!/^0x[0-9a-fA-F]{8}$/.test(indexText) || Number(indexText) < NV_INDEX_FIRST || Number(indexText) > NV_INDEX_LAST) {
    throw new ConfigError(`store tpm: needs an NV index in hex, 0x01000000 to 0x01ffffff (${example})`);
  }
  let format: TpmFormat = 'document';
  let authFile: string | undefined;
  const seen = new Set<string>();
  for (const pair of query === undefined || query === '' ? [] : query.split('&')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : decodeQueryValue(pair.slice(eq + 1));
    if (seen.has(name)) {
      throw new ConfigError(`store tpm: gives ${name} twice`);
    }
    seen.add(name);
    if (name === 'format' && (value === 'document' || value === 'connection-string')) {
      format = value;
    } else if (name === 'auth' && value !== '') {
      authFile = path.resolve(cwd, value);
    } else {
      throw new ConfigError(
        `store tpm: takes format=document|connection-string and auth=FILE, not ${JSON.stringify(name)}${name === 'auth' ? ' with no file' : name === 'format' ? ' with that value' : ''} (${example})`,
      );
    }
  }
  return { kind: 'tpm', index: Number(indexText), format, ...(authFile === undefined ? {} : { authFile }) };
}

/** A percent-decoded query value (a path with `&` in it is written %26). */
function decodeQueryValue(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ConfigError('store tpm: has a badly percent-encoded value');
  }
}

/** `0x01000bb9`: how an NV index is written in messages and on tpm2-tools' command lines. */
export function formatNvIndex(index: number): string {
  return `0x${index.toString(16).padStart(8, '0')}`;
}

/**
 * Parses `--store`: `/abs/path.yaml`, `relative/path.json` (resolved against `cwd`),
 * `file:///abs/path.yaml`, `dps:/etc/xprov/dps.yaml`, or `credentials:DIR` (a
 * credentials directory; `credentials:` alone is systemd's $CREDENTIALS_DIRECTORY, read
 * from `env`), or `tpm:INDEX[?format=...][&auth=FILE]` (a TPM NV index).
 */
export function parseStoreLocation(text: string, cwd: string, env: NodeJS.ProcessEnv = process.env): StoreLocation {
  if (text.trim() === '') {
    throw new ConfigError('store must not be empty');
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    return { kind: 'file', path: path.resolve(cwd, text) };
  }
  if (scheme === 'file') {
    try {
      return { kind: 'file', path: fileURLToPath(text) };
    } catch (err) {
      throw new ConfigError(`store ${JSON.stringify(text)} is not a valid file: URL (${(err as Error).message})`);
    }
  }
  if (scheme === 'dps') {
    const settings = text.slice('dps:'.length);
    if (settings.trim() === '') {
      throw new ConfigError('store dps: needs the path of its settings file (dps:/etc/xprov/dps.yaml)');
    }
    return { kind: 'dps', path: path.resolve(cwd, settings) };
  }
  if (scheme === 'credentials') {
    const dir = text.slice('credentials:'.length) || env.CREDENTIALS_DIRECTORY;
    if (dir === undefined || dir.trim() === '') {
      throw new ConfigError(
        'store credentials: names no directory and $CREDENTIALS_DIRECTORY is not set (systemd sets it for LoadCredential=); give one: credentials:/run/secrets/xprov',
      );
    }
    return { kind: 'credentials', dir: path.resolve(cwd, dir) };
  }
  if (scheme === 'tpm') {
    return parseTpmLocation(text, cwd);
  }
  throw new ConfigError(`store ${JSON.stringify(text)} has unknown scheme "${scheme}:" (supported: a path, file:, dps:, credentials:, tpm:)`);
}
