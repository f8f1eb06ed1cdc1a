/**
 * Reads one file a store serves from (the store file, a PEM file it references, a file
 * of a credentials directory): a regular file, at most MAX_STORE_BYTES, with the
 * permission bits its role allows (permissions.ts). Never throws: problems are phrases
 * that follow the file's name in messages ("does not exist"), and never quote content.
 */
import { open } from 'node:fs/promises';
import { type FileRole, permissionProblem } from '../files/trust.js';

/** Larger files are refused unread: a provisioning document or a PEM chain is a few KiB. */
export const MAX_STORE_BYTES = 1024 * 1024;

/** Options of readStoreFile. */
export interface ReadStoreFileOptions {
  /** The permission check to make; none when undefined (files the operator names on a command line). */
  readonly role?: FileRole;
  /** Serve a file whose permissions are too open, with a warning instead of a problem. */
  readonly insecurePermissions?: boolean;
}

/** The text of the file, or why it cannot be served from. */
export type StoreFileRead =
  | { readonly ok: true; readonly text: string; readonly permissionWarning?: string }
  | { readonly ok: false; readonly problem: string; readonly missing: boolean };

/** Reads `file` as UTF-8 text; see the module comment. */
export async function readStoreFile(file: string, options: ReadStoreFileOptions = {}): Promise<StoreFileRead> {
  let handle;
  try {
    handle = await open(file, 'r');
    // Everything is checked on the open handle (not by path again), so that a file
    // replaced meanwhile cannot pass the checks for another one's content.
    const stat = await handle.stat();
    if (!stat.isFile()) {
      return { ok: false, problem: 'is not a regular file', missing: false };
    }
    const loose = options.role === undefined ? undefined : permissionProblem(file, stat.mode, options.role);
    if (loose !== undefined && options.insecurePermissions !== true) {
      return { ok: false, problem: `${loose} (or run with --insecure-permissions)`, missing: false };
    }
    if (stat.size > MAX_STORE_BYTES) {
      return { ok: false, problem: `is larger than ${MAX_STORE_BYTES} bytes`, missing: false };
    }
    const buffer = Buffer.alloc(MAX_STORE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_STORE_BYTES) {
      return { ok: false, problem: `is larger than ${MAX_STORE_BYTES} bytes`, missing: false };
    }
    const text = buffer.toString('utf8', 0, bytesRead);
    return loose === undefined ? { ok: true, text } : { ok: true, text, permissionWarning: `${loose}; served anyway (--insecure-permissions)` };
  } catch (err) {
    return { ok: false, problem: describeReadError(err), missing: (err as NodeJS.ErrnoException).code === 'ENOENT' };
  } finally {
    await handle?.close();
  }
}

/** A read failure as a short phrase for the operator (no stack, no content). */
export function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'is not readable (permission denied)';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'does not exist (a parent is not a directory)';
    default:
      return `cannot be read (${code ?? (err instanceof Error ? err.message : String(err))})`;
  }
}
