/**
 * Replaces a file so that whoever reads it (xprov serving it, a reboot) sees either
 * the old content or the new, never a mix or nothing: the new content goes to a
 * temporary file in the same directory, is flushed to disk (fsync) and renamed over
 * the old file, and the directory is flushed so that the rename itself survives a
 * power cut. A process killed at any point leaves the old file intact (at worst a
 * stray temporary file next to it, created owner-only like the file).
 *
 * Temporary files are named `.NAME.xprov-PID-RANDOM.tmp` (and `.bak` for a backup
 * not renamed yet), so that the next write can tell its own leftovers: it removes
 * those whose writer (PID) is gone, and only when they are what this module creates
 * (regular files, owned by the writer or the file's owner, writable by nobody else).
 * Anything else with a similar name (a link or a file someone else planted, a live
 * writer's file) is left alone.
 *
 * The replaced file is kept as `NAME.bak`, by a hard link (no copy of the secret with
 * other permissions is made, and the link is atomic too).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, lstat, open, readdir, realpath, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Options of writeFileAtomic. */
export interface AtomicWriteOptions {
  /** Permission bits of the new file. */
  readonly mode: number;
  /** Owner and group to give the new file (e.g. those of the file it replaces). */
  readonly owner?: { readonly uid: number; readonly gid: number };
  /** Keep the replaced file as `NAME.bak` (default true). */
  readonly backup?: boolean;
  /**
   * Runs once the new content is safely on disk in its temporary file, before anything
   * is replaced: `xprov store set` checks the new content there (and tests stop the
   * writer there, through its in-process seam, to kill it exactly at that point).
   */
  readonly beforeReplace?: (tempFile: string) => Promise<void>;
}

/** Where things went: the file written (symlinks followed), the backup if one was kept, leftovers removed. */
export interface AtomicWriteResult {
  readonly file: string;
  readonly backup?: string;
  /** Temporary files of earlier writers that were killed, removed before writing. */
  readonly removedLeftovers?: readonly string[];
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** The infix that marks this module's temporary files, after `.NAME.`. */
const MARK = 'xprov-';

/** A fresh name for a temporary file next to `file`: `.NAME.xprov-PID-RANDOM.SUFFIX`. */
function siblingName(file: string, suffix: 'tmp' | 'bak'): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${MARK}${process.pid}-${randomBytes(6).toString('hex')}.${suffix}`);
}

/** The writer's PID when `name` is one of siblingName's names for `base`; undefined otherwise. */
export function leftoverWriter(name: string, base: string): number | undefined {
  const prefix = `.${base}.${MARK}`;
  if (!name.startsWith(prefix)) {
    return undefined;
  }
  const match = /^([1-9][0-9]{0,9})-[0-9a-f]{12}\.(?:tmp|bak)$/.exec(name.slice(prefix.length));
  return match === null ? undefined : Number(match[1]);
}

/** True when process `pid` exists (a writer still at work: its files are not leftovers). */
function isAlive(pid: number): boolean {
  if (pid === process.pid) {
    return true;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user.
    return errorCode(err) !== 'ESRCH';
  }
}

/**
 * Removes the temporary files that killed writers left next to `target` (see the
 * module comment for which ones count); returns their paths.
 */
export async function removeLeftovers(target: string, owners: readonly number[]): Promise<string[]> {
  const dir = path.dirname(target);
  const base = path.basename(target);
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const pid = leftoverWriter(name, base);
    if (pid === undefined || isAlive(pid)) {
      continue;
    }
    const file = path.join(dir, name);
    const stat = await lstat(file).catch(() => undefined);
    // lstat: a planted symlink is not followed, and not ours. Nor is a file of another
    // owner, or one that others may write: a writer creates them 0600 and chmods to at most group read.
    if (stat === undefined || !stat.isFile() || !owners.includes(stat.uid) || (stat.mode & 0o037) !== 0) {
      continue;
    }
    try {
      await unlink(file);
      removed.push(file);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
    }
  }
  return removed;
}

/** Flushes a directory's entries (a rename in it) to disk. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some file systems cannot fsync a directory; their renames are as durable as they get.
    if (errorCode(err) !== 'EINVAL') throw err;
  } finally {
    await handle.close();
  }
}

/** Links (or, where hard links are not supported, copies) `file` to `NAME.bak`; undefined when there is no file. */
async function keepBackup(file: string): Promise<string | undefined> {
  const temp = siblingName(file, 'bak');
  try {
    await link(file, temp);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') {
      return undefined;
    }
    if (!['EPERM', 'EXDEV', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'].includes(errorCode(err) ?? '')) {
      throw err;
    }
    // copyFile gives the copy the original's permission bits.
    await copyFile(file, temp, constants.COPYFILE_EXCL);
  }
  const backup = `${file}.bak`;
  await rename(temp, backup);
  return backup;
}

/**
 * Writes `data` (text as UTF-8, or bytes) to `file` atomically (see the module comment). A symlink is followed:
 * the file it points to is replaced, and the link stays. Rejects, leaving everything
 * as it was, when anything fails before the rename.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions): Promise<AtomicWriteResult> {
  const target = await realpath(file).catch((err: unknown) => {
    if (errorCode(err) === 'ENOENT') return path.resolve(file);
    throw err;
  });
  // Owned by whoever runs this (a killed writer like it) or by the file's owner (given to its temporary file).
  const owners = [process.getuid?.() ?? 0, ...(options.owner === undefined ? [] : [options.owner.uid])];
  const removedLeftovers = await removeLeftovers(target, owners);
  const temp = siblingName(target, 'tmp');
  // Created owner-only and exclusively: nobody else can open it, before or after the chmod below.
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    try {
      // Text as UTF-8; bytes as they are (`xprov edge sync` writes raw key bytes).
      await (typeof data === 'string' ? handle.writeFile(data, 'utf8') : handle.writeFile(data));
      if (options.owner !== undefined) {
        await handle.chown(options.owner.uid, options.owner.gid);
      }
      // After chown (which may clear bits) and regardless of the umask.
      await handle.chmod(options.mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.beforeReplace?.(temp);
    const backup = options.backup === false ? undefined : await keepBackup(target);
    await rename(temp, target);
    await syncDirectory(path.dirname(target));
    return {
      file: target,
      ...(backup === undefined ? {} : { backup }),
      ...(removedLeftovers.length === 0 ? {} : { removedLeftovers }),
    };
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
