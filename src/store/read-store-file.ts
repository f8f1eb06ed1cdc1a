/**
 * Reads one file a store serves from (the store file, a PEM file it references, a file
 * of a credentials directory): a regular file, at most MAX_STORE_BYTES, trusted as
 * files/trust.ts says (owner, mode for its role, every directory and link on its
 * path). Never throws: problems are phrases that follow the file's name in messages
 * ("does not exist"), and never quote content. Nothing here can block: a FIFO or a
 * device is refused before it is opened, and opening never waits (O_NONBLOCK).
 */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { type FileRole, readTrustedFile } from '../files/trust.js';

/** Larger files are refused unread: a provisioning document or a PEM chain is a few KiB. */
export const MAX_STORE_BYTES = 1024 * 1024;

/** Options of readStoreFile. */
export interface ReadStoreFileOptions {
  /** The trust check to make; none when undefined (files the operator names on a command line). */
  readonly role?: FileRole;
  /** Serve a file that is not trusted, with a warning instead of a problem. */
  readonly insecurePermissions?: boolean;
}

/** The text of the file, or why it cannot be served from. */
export type StoreFileRead =
  | { readonly ok: true; readonly text: string; readonly permissionWarning?: string }
  | { readonly ok: false; readonly problem: string; readonly missing: boolean };

/** Reads `file` as UTF-8 text; see the module comment. */
export async function readStoreFile(file: string, options: ReadStoreFileOptions = {}): Promise<StoreFileRead> {
  if (options.role === undefined) {
    return readNamedFile(file);
  }
  const read = await readTrustedFile(file, { role: options.role, maxBytes: MAX_STORE_BYTES, insecure: options.insecurePermissions === true });
  if (!read.ok) {
    return { ok: false, problem: read.problem, missing: read.missing };
  }
  return read.untrusted === undefined
    ? { ok: true, text: read.text }
    : { ok: true, text: read.text, permissionWarning: `${read.untrusted}; served anyway (--insecure-permissions)` };
}

/** A file named on the command line: the operator's own choice, so only its kind and size are checked. */
async function readNamedFile(file: string): Promise<StoreFileRead> {
  let handle: FileHandle | undefined;
  try {
    // O_NONBLOCK: a FIFO with no writer must not hang the command in open(2).
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = await handle.stat();
    if (!stat.isFile()) {
      return { ok: false, problem: 'is not a regular file', missing: false };
    }
    if (stat.size > MAX_STORE_BYTES) {
      return { ok: false, problem: `is larger than ${MAX_STORE_BYTES} bytes`, missing: false };
    }
    const buffer = Buffer.alloc(MAX_STORE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_STORE_BYTES) {
      return { ok: false, problem: `is larger than ${MAX_STORE_BYTES} bytes`, missing: false };
    }
    return { ok: true, text: buffer.toString('utf8', 0, bytesRead) };
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
