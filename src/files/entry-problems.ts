/**
 * How one entry on a trusted path is judged (files/trust.ts walks the path): its owner
 * must be root or xprov's uid; a directory must not be writable by group or others
 * unless it is a root-owned sticky directory; a file must not be writable by group or
 * others, nor readable by others when it holds a secret. Problems are phrases naming
 * the owner and mode and the exact chown/chmod that fixes them.
 */
import { type Stats, closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** What a file holds: `secret` must not be readable by others; `public` (certificates, settings without a key) may be. */
export type FileRole = 'secret' | 'public';

/** What an entry on a path is, as messages name it. */
export type EntryKind = 'directory' | 'symbolic link' | 'file';

/** `file` quoted for a shell command line when it needs to be. */
export function shellWord(file: string): string {
  return /^[\w@%+=:,./-]+$/.test(file) ? file : `'${file.replace(/'/g, `'\\''`)}'`;
}

/** The mode bits as four octal digits. */
function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * The loose bits of `mode` for a file of `role`: the issues and the chmod that removes
 * exactly those, or undefined when there are none. Group read is allowed: the shipped
 * deployment gives files to root:xprov 0640.
 */
function looseBits(file: string, mode: number, role: FileRole): { issues: string[]; fix: string } | undefined {
  const issues: string[] = [];
  let group = '';
  let others = '';
  if (role === 'secret' && mode & 0o004) {
    issues.push('readable by others');
    others += 'r';
  }
  if (mode & 0o020) {
    issues.push('writable by group');
    group += 'w';
  }
  if (mode & 0o002) {
    issues.push('writable by others');
    others += 'w';
  }
  if (issues.length === 0) {
    return undefined;
  }
  const clauses = [group && `g-${group}`, others && `o-${others}`].filter((c) => c !== '').join(',');
  return { issues, fix: `chmod ${clauses} ${shellWord(file)}` };
}

/**
 * Why `mode` is too open for a file of `role`, as a phrase to follow the file's name
 * (`has mode 0644 (readable by others); fix: chmod o-r FILE`), or undefined when it is
 * fine. The mode bits alone; fileTrustProblem also judges the owner and the path.
 */
export function permissionProblem(file: string, mode: number, role: FileRole): string | undefined {
  const loose = looseBits(file, mode, role);
  return loose && `has mode ${octal(mode)} (${loose.issues.join(', ')}); fix: ${loose.fix}`;
}

let passwd: Map<number, string> | undefined;

/** User names by uid from /etc/passwd, read once (no NSS, no external command: it only labels messages). */
function userNames(): Map<number, string> {
  if (passwd !== undefined) return passwd;
  passwd = new Map([[0, 'root']]);
  const read = readRegularSync('/etc/passwd', 1024 * 1024);
  for (const line of read?.split('\n') ?? []) {
    const [name, , uid] = line.split(':');
    if (name && uid && /^\d+$/.test(uid) && !passwd.has(Number(uid))) passwd.set(Number(uid), name);
  }
  return passwd;
}

/** `root`, `nobody (uid 65534)`, or `uid 1234` when it has no name. */
function ownerLabel(uid: number): string {
  if (uid === 0) return 'root';
  const name = userNames().get(uid);
  return name === undefined ? `uid ${uid}` : `${name} (uid ${uid})`;
}

/** The text of a small regular file, or undefined; never blocks (O_NONBLOCK) and never throws. */
function readRegularSync(file: string, maxBytes: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return undefined;
    return readAllSync(fd, maxBytes)?.toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads `fd` to its end; undefined when it holds more than maxBytes. */
export function readAllSync(fd: number, maxBytes: number): Buffer | undefined {
  const buffer = Buffer.alloc(maxBytes + 1);
  let length = 0;
  for (;;) {
    const n = readSync(fd, buffer, length, buffer.length - length, length);
    if (n === 0) break;
    length += n;
    if (length > maxBytes) return undefined;
  }
  return buffer.subarray(0, length);
}

/** What an entry is, for "is a FIFO (named pipe), not a regular file". */
export function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** Judges one entry: the owner, and the mode for its kind; the phrase describing it, or undefined when it is trusted. */
export function entryProblem(entry: string, stats: Stats, kind: EntryKind, role: FileRole, uid: number): string | undefined {
  const issues: string[] = [];
  const fixes: string[] = [];
  if (stats.uid !== 0 && stats.uid !== uid) {
    issues.push(uid === 0 ? 'not owned by root' : `owned by neither root nor xprov's uid ${uid}`);
    fixes.push(`chown ${kind === 'symbolic link' ? '-h ' : ''}root ${shellWord(entry)}`);
  }
  if (kind === 'directory') {
    // Anyone may add entries to a root-owned sticky directory, but only their owners
    // can rename or remove them: the entries are judged by their owners instead.
    const stickyRoot = (stats.mode & 0o1000) !== 0 && stats.uid === 0;
    const loose = stickyRoot ? undefined : looseBits(entry, stats.mode, 'public');
    if (loose) {
      issues.push(...loose.issues);
      fixes.push(loose.fix);
    }
  } else if (kind === 'file') {
    const loose = looseBits(entry, stats.mode, role);
    if (loose) {
      issues.push(...loose.issues);
      fixes.push(loose.fix);
    }
  }
  if (issues.length === 0) return undefined;
  return `has owner ${ownerLabel(stats.uid)} and mode ${octal(stats.mode)} (${issues.join(', ')}); fix: ${fixes.join(' && ')}`;
}
