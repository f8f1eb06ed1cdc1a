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
  | { readonly kind: 'credentials'; readonly dir: string };

/**
 * Parses `--store`: `/abs/path.yaml`, `relative/path.json` (resolved against `cwd`),
 * `file:///abs/path.yaml`, `dps:/etc/xprov/dps.yaml`, or `credentials:DIR` (a
 * credentials directory; `credentials:` alone is systemd's $CREDENTIALS_DIRECTORY, read
 * from `env`).
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
  throw new ConfigError(`store ${JSON.stringify(text)} has unknown scheme "${scheme}:" (supported: a path, file:, dps:, credentials:)`);
}
