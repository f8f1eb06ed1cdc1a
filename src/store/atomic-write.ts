/**
 * Replaces a file so that whoever reads it (xprov serving it, a reboot) sees either
 * the old content or the new, never a mix or nothing: the new content goes to a
 * temporary file in the same directory, is flushed to disk (fsync) and renamed over
 * the old file, and the directory is flushed so that the rename itself survives a
 * power cut. A process killed at any point leaves the old file intact (at worst a
 * stray `.NAME.*.tmp` next to it, created owner-only like the file).
 *
 * The replaced file is kept as `NAME.bak`, by a hard link (no copy of the secret with
 * other permissions is made, and the link is atomic too).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, open, realpath, rename, unlink } from 'node:fs/promises';
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
   * is replaced. A test seam: `xprov store set` sets it only when told to by its
   * documented test variable, so that tests can kill the writer exactly there.
   */
  readonly beforeReplace?: (tempFile: string) => Promise<void>;
}

/** Where things went: the file written (symlinks followed) and the backup, if one was kept. */
export interface AtomicWriteResult {
  readonly file: string;
  readonly backup?: string;
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** A fresh name for a temporary file next to `file`. */
function siblingName(file: string, suffix: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.${suffix}`);
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
 * Writes `data` to `file` atomically (see the module comment). A symlink is followed:
 * the file it points to is replaced, and the link stays. Rejects, leaving everything
 * as it was, when anything fails before the rename.
 */
export async function writeFileAtomic(file: string, data: string, options: AtomicWriteOptions): Promise<AtomicWriteResult> {
  const target = await realpath(file).catch((err: unknown) => {
    if (errorCode(err) === 'ENOENT') return path.resolve(file);
    throw err;
  });
  const temp = siblingName(target, 'tmp');
  // Created owner-only and exclusively: nobody else can open it, before or after the chmod below.
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    try {
      await handle.writeFile(data, 'utf8');
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
    return backup === undefined ? { file: target } : { file: target, backup };
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
