/**
 * Which files and directories xprov trusts, on OpenSSH's StrictModes model. A file
 * xprov serves secrets from or takes its settings from is trusted when it is a regular
 * file owned by root or by xprov's own uid, not writable by group or others (and, for
 * a secret, not readable by others), and every directory on its path up to `/` is
 * owned by root or xprov's uid and not writable by group or others. A root-owned
 * sticky directory (like /tmp, 1777) is the exception: anyone may create entries in
 * it but only their owner can rename or remove them, so it is trusted and only its
 * entries owned by root or xprov's uid are. Symbolic links are resolved here, one
 * component at a time, so that every link and every target along the way is judged
 * (the kernel's resolution would hide a trusted link to an untrusted file).
 *
 * Anything else could be swapped or edited by another local user: they would pick the
 * hub the device connects to, or read its key. Problems are phrases that follow the
 * name of the path that was asked about (`has owner root and mode 0644 (readable by
 * others); fix: chmod o-r /etc/xprov/p.yaml`); they name the offending path, its
 * owner and mode, and the exact command that fixes it.
 *
 * Reading (readTrustedFile): the path is checked first, so that a FIFO or a device is
 * refused before it is opened; it is opened with O_NONBLOCK, so that open(2) can never
 * block even if one is swapped in meanwhile; and everything after is done on the open
 * handle, whose device and inode must be those that were checked.
 *
 * The path walk uses synchronous lstat(2)/readlink(2): a handful of metadata calls on
 * local directories, made when a file is (re)loaded, never per request; it keeps one
 * implementation for the synchronous loaders (config, DPS settings) and the others.
 */
import { type Stats, closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import path from 'node:path';
import { type EntryKind, type FileRole, entryProblem, kindOf, readAllSync } from './entry-problems.js';

export { type FileRole, permissionProblem, shellWord } from './entry-problems.js';

/** Options of the trust checks. */
export interface TrustOptions {
  /** The non-root uid trusted besides root; default process.geteuid(). */
  readonly uid?: number;
}

/** Options of readTrustedFile. */
export interface ReadTrustedOptions extends TrustOptions {
  readonly role: FileRole;
  /** Larger files are refused. */
  readonly maxBytes: number;
  /** Read an untrusted file anyway, reporting the problem as `untrusted` (--insecure-permissions). */
  readonly insecure?: boolean;
}

/** A file's text, or why it was not read. */
export type TrustedRead =
  /** `mode`: the file's mode bits as read; `untrusted`: why the file is not trusted, when it was read anyway (insecure). */
  | { readonly ok: true; readonly text: string; readonly mode: number; readonly untrusted?: string }
  /** `untrusted`: it was refused only because it is not trusted (the problem then ends with the --insecure-permissions hint). */
  | { readonly ok: false; readonly problem: string; readonly missing: boolean; readonly untrusted: boolean };

/** Appended to a refusal that --insecure-permissions would turn into a warning. */
export const INSECURE_HINT = ' (or run with --insecure-permissions)';

/** Linux's limit (MAXSYMLINKS) on links followed while resolving one path. */
const MAX_SYMLINKS = 40;

/** The outcome of resolving a path: where it leads, and what along the way is not trusted. */
type Walk =
  | { readonly ok: true; readonly resolved: string; readonly stats: Stats; readonly problems: string[] }
  | { readonly ok: false; readonly problem: string; readonly missing: boolean };

/** A failed lstat/readlink of `entry` while resolving `named`, as a phrase following `named`. */
function walkError(err: unknown, entry: string, named: string): Extract<Walk, { ok: false }> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const at = entry === named ? '' : ` (at ${entry})`;
  switch (code) {
    case 'ENOENT':
      return { ok: false, problem: 'does not exist', missing: true };
    case 'EACCES':
    case 'EPERM':
      return { ok: false, problem: `cannot be checked (permission denied${at})`, missing: false };
    default:
      return { ok: false, problem: `cannot be checked (${code ?? (err instanceof Error ? err.message : String(err))}${at})`, missing: false };
  }
}

/**
 * Resolves `named` (absolute, normalized) one component at a time from `/`, judging
 * every directory and symbolic link met, and the final entry as `expect` (a file of
 * `role`, or a directory) once it is known to be one. Problems about `named` itself
 * are bare phrases; those about another entry (a directory above, a link, where links
 * lead) name it.
 */
function walk(named: string, expect: 'file' | 'directory', role: FileRole, uid: number): Walk {
  const problems = new Map<string, string>();
  const judge = (entry: string, stats: Stats, kind: EntryKind): void => {
    const problem = entryProblem(entry, stats, kind, role, uid);
    if (problem !== undefined && !problems.has(entry)) {
      problems.set(entry, entry === named && kind !== 'symbolic link' ? problem : `is not trusted: ${kind} ${entry} ${problem}`);
    }
  };
  const seen = new Map<string, Stats>();
  let current = '/';
  try {
    const root = lstatSync('/');
    seen.set('/', root);
    judge('/', root, 'directory');
  } catch (err) {
    return walkError(err, '/', named);
  }
  let pending = named.split('/').filter((c) => c !== '');
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (name === '.') continue;
    if (name === '..') {
      // `current` has no link in it (links are expanded as met): its parent is its dirname.
      current = path.dirname(current);
      continue;
    }
    const entry = path.join(current, name);
    let stats: Stats;
    try {
      stats = lstatSync(entry);
    } catch (err) {
      return walkError(err, entry, named);
    }
    if (stats.isSymbolicLink()) {
      links += 1;
      if (links > MAX_SYMLINKS) return { ok: false, problem: `cannot be resolved (more than ${MAX_SYMLINKS} symbolic links)`, missing: false };
      // The link itself: its mode means nothing, but in a sticky directory its owner could replace it.
      judge(entry, stats, 'symbolic link');
      let target: string;
      try {
        target = readlinkSync(entry);
      } catch (err) {
        return walkError(err, entry, named);
      }
      pending = [...target.split('/').filter((c) => c !== ''), ...pending];
      if (target.startsWith('/')) current = '/';
      continue;
    }
    seen.set(entry, stats);
    current = entry;
    if (stats.isDirectory()) {
      if (pending.length > 0 || expect === 'directory') judge(entry, stats, 'directory');
    } else if (pending.length > 0) {
      return { ok: false, problem: `does not exist (${entry} is not a directory)`, missing: false };
    }
  }
  // Every entry `current` has been is in `seen`: it only ever moves to one, or to a parent of one.
  const stats = seen.get(current) as Stats;
  if (expect === 'file' && !stats.isFile()) return { ok: false, problem: `is ${kindOf(stats)}, not a regular file`, missing: false };
  if (expect === 'directory' && !stats.isDirectory()) return { ok: false, problem: `is ${kindOf(stats)}, not a directory`, missing: false };
  if (expect === 'file') judge(current, stats, 'file');
  return { ok: true, resolved: current, stats, problems: [...problems.values()] };
}

function trustedUid(options: TrustOptions | undefined): number {
  return options?.uid ?? process.geteuid?.() ?? 0;
}

/** The problems of a walk as one phrase, or undefined when there are none. */
function joined(problems: readonly string[]): string | undefined {
  return problems.length === 0 ? undefined : problems.join('; ');
}

/** What checking a directory found: refusals (not there, not a directory) apart from trust problems. */
export type DirectoryCheck = { readonly ok: true; readonly untrusted?: string } | { readonly ok: false; readonly problem: string; readonly missing: boolean };

/** Checks `dir` like directoryTrustProblem, telling a missing directory (e.g. one still to be created) from an untrusted one. */
export function checkDirectory(dir: string, options?: TrustOptions): DirectoryCheck {
  const walked = walk(path.resolve(dir), 'directory', 'public', trustedUid(options));
  if (!walked.ok) return walked;
  const untrusted = joined(walked.problems);
  return untrusted === undefined ? { ok: true } : { ok: true, untrusted };
}

/** Checks `dir`: see directoryTrustProblem. */
export function directoryTrustProblemSync(dir: string, options?: TrustOptions): string | undefined {
  const checked = checkDirectory(dir, options);
  return checked.ok ? checked.untrusted : checked.problem;
}

/**
 * Why `dir` (absolute) or a directory above it up to `/` cannot be trusted, or
 * undefined when it can: a phrase that follows the directory's name in a message.
 */
export async function directoryTrustProblem(dir: string, options?: TrustOptions): Promise<string | undefined> {
  return directoryTrustProblemSync(dir, options);
}

/** The walk to a file: refusals (not there, not a regular file) apart from trust problems. */
function checkFile(
  file: string,
  role: FileRole,
  uid: number,
): { ok: true; resolved: string; stats: Stats; untrusted: string | undefined } | { ok: false; problem: string; missing: boolean } {
  const walked = walk(path.resolve(file), 'file', role, uid);
  return walked.ok ? { ok: true, resolved: walked.resolved, stats: walked.stats, untrusted: joined(walked.problems) } : walked;
}

/** Checks `file`: see fileTrustProblem. */
export function fileTrustProblemSync(file: string, options: TrustOptions & { readonly role: FileRole }): string | undefined {
  const checked = checkFile(file, options.role, trustedUid(options));
  return checked.ok ? checked.untrusted : checked.problem;
}

/**
 * Why the file at `file` cannot be trusted, or undefined when it can: it must be a
 * regular file (after its links), owned by root or xprov's uid, not writable by group
 * or others, on a trusted path; role `secret` also refuses others-readable. A phrase
 * that follows the file's name in a message.
 */
export async function fileTrustProblem(file: string, options: TrustOptions & { readonly role: 'secret' | 'public' }): Promise<string | undefined> {
  return fileTrustProblemSync(file, options);
}

/** A read failure on the opened handle, as a phrase. */
function readError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'is not readable (permission denied)';
  return `cannot be read (${code ?? (err instanceof Error ? err.message : String(err))})`;
}

/** Flags for opening a checked file: never blocking (a FIFO swapped in), never following a link swapped in. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/** The checks before opening, as a TrustedRead failure, or what to open. */
function beforeOpen(
  file: string,
  options: ReadTrustedOptions,
): Extract<TrustedRead, { ok: false }> | { ok: true; resolved: string; stats: Stats; untrusted: string | undefined } {
  const checked = checkFile(file, options.role, trustedUid(options));
  if (!checked.ok) return { ...checked, untrusted: false };
  if (checked.untrusted !== undefined && options.insecure !== true) {
    return { ok: false, problem: `${checked.untrusted}${INSECURE_HINT}`, missing: false, untrusted: true };
  }
  return checked;
}

/** The checks on the opened handle: the very file that was checked, not too large. */
function afterOpen(opened: Stats, checked: Stats, maxBytes: number): string | undefined {
  if (!opened.isFile() || opened.dev !== checked.dev || opened.ino !== checked.ino) {
    return 'was replaced while it was being checked; try again';
  }
  if (opened.size > maxBytes) return `is larger than ${maxBytes} bytes`;
  return undefined;
}

function success(text: string, mode: number, untrusted: string | undefined): TrustedRead {
  return untrusted === undefined ? { ok: true, text, mode } : { ok: true, text, mode, untrusted };
}

/**
 * Reads `file` as UTF-8 text if it is trusted (or, with `insecure`, if it is only not
 * trusted); see the module comment. Never throws and never quotes content.
 */
export async function readTrustedFile(file: string, options: ReadTrustedOptions): Promise<TrustedRead> {
  const checked = beforeOpen(file, options);
  if (!checked.ok) return checked;
  let handle: FileHandle | undefined;
  try {
    handle = await open(checked.resolved, OPEN_FLAGS);
    const opened = await handle.stat();
    const problem = afterOpen(opened, checked.stats, options.maxBytes);
    if (problem !== undefined) return { ok: false, problem, missing: false, untrusted: false };
    const buffer = Buffer.alloc(options.maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > options.maxBytes) return { ok: false, problem: `is larger than ${options.maxBytes} bytes`, missing: false, untrusted: false };
    }
    return success(buffer.toString('utf8', 0, length), opened.mode & 0o7777, checked.untrusted);
  } catch (err) {
    return { ok: false, problem: readError(err), missing: (err as NodeJS.ErrnoException).code === 'ENOENT', untrusted: false };
  } finally {
    await handle?.close();
  }
}

/** readTrustedFile for synchronous loaders (the config file, the DPS settings). */
export function readTrustedFileSync(file: string, options: ReadTrustedOptions): TrustedRead {
  const checked = beforeOpen(file, options);
  if (!checked.ok) return checked;
  let fd: number | undefined;
  try {
    fd = openSync(checked.resolved, OPEN_FLAGS);
    const opened = fstatSync(fd);
    const problem = afterOpen(opened, checked.stats, options.maxBytes);
    if (problem !== undefined) return { ok: false, problem, missing: false, untrusted: false };
    const content = readAllSync(fd, options.maxBytes);
    if (content === undefined) return { ok: false, problem: `is larger than ${options.maxBytes} bytes`, missing: false, untrusted: false };
    return success(content.toString('utf8'), opened.mode & 0o7777, checked.untrusted);
  } catch (err) {
    return { ok: false, problem: readError(err), missing: (err as NodeJS.ErrnoException).code === 'ENOENT', untrusted: false };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
