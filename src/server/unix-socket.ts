/**
 * The Unix sockets xprov creates: preparing the path, binding, giving the socket its
 * group and mode, and removing it afterwards. A socket left by a crash is removed; one
 * a live process answers on is not taken over; anything that is not a socket is never
 * replaced.
 *
 * Why nothing done after bind(2) can be redirected by another user: the socket's
 * directory must be trusted (files/trust.ts: it and every directory above it owned by
 * root or xprov's uid and not writable by group or others, or a root-owned sticky
 * directory, where only an entry's owner may rename or remove it). Then no one but
 * root and xprov can replace the socket xprov bound by a symbolic link or another
 * file. On top of that, the path is checked with lstat(2) to still be the socket bound
 * (same device and inode) before and after each change; the group is set with
 * lchown(2), which never follows a link. Linux has no lchmod(2), and fchmod(2) on a
 * socket's descriptor does not change its file: chmod(2) follows links, which is why
 * the directory check is what makes the sequence race-free, not the lstat checks alone.
 */
import type { Server } from 'node:http';
import { createConnection } from 'node:net';
import type { Stats } from 'node:fs';
import { chmod, lchown, lstat, mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { INSECURE_HINT, directoryTrustProblem } from '../files/trust.js';
import type { Logger } from '../log.js';
import { listenOn } from './listen-on.js';

/** How Unix sockets are created. */
export interface SocketOptions {
  readonly mode: number;
  /** gid to give created sockets, or undefined to keep the process's. */
  readonly gid: number | undefined;
  /** Serve from an untrusted socket directory with a warning instead of refusing it. */
  readonly insecurePermissions: boolean;
}

/** True when something accepts connections on the socket at `socketPath`. */
function isAlive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Creates `dir` and its missing parents (mode 0755), one component at a time: every
 * failure is an error naming the directory. (fs.mkdir's `recursive` retries forever
 * where a parent exists but refuses new entries with ENOENT, as /proc does.)
 */
export async function makeDirectories(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      await lstat(current);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(current) === current) {
        throw new Error(`cannot create the socket directory ${dir}: ${(err as Error).message}`, { cause: err });
      }
      missing.push(current);
    }
  }
  for (const next of missing.reverse()) {
    try {
      await mkdir(next, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new Error(`cannot create the socket directory ${next}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
}

/**
 * Makes `socketPath` ready to listen on: creates its parent directory if missing,
 * checks that directory is trusted, and removes a stale socket. Throws with a clear
 * message when the path is taken; a ConfigError (exit 2) when the directory is not
 * trusted, unless `insecurePermissions` (then `warn` is told).
 */
export async function prepareSocketPath(socketPath: string, insecurePermissions = false, warn?: (problem: string) => void): Promise<void> {
  const dir = path.dirname(socketPath);
  await makeDirectories(dir);
  const untrusted = await directoryTrustProblem(dir);
  if (untrusted !== undefined) {
    const problem = `socket directory ${dir} (another user could replace the socket in it) ${untrusted}`;
    if (!insecurePermissions) {
      throw new ConfigError(`${problem}${INSECURE_HINT}`);
    }
    warn?.(problem);
  }
  let stat: Stats;
  try {
    stat = await lstat(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return;
    }
    throw err;
  }
  if (!stat.isSocket()) {
    throw new Error(`refusing to replace ${socketPath}: it exists and is not a socket`);
  }
  if (await isAlive(socketPath)) {
    throw new Error(`${socketPath} is in use: another process is listening on it`);
  }
  await unlink(socketPath);
}

/** The socket xprov bound, as lstat(2) saw it right after bind(2). */
export interface BoundSocket {
  readonly dev: number;
  readonly ino: number;
}

/** Throws unless `socketPath` is still the socket `bound` (not a link, not another file). */
async function checkStillBound(socketPath: string, bound: BoundSocket): Promise<void> {
  const stat = await lstat(socketPath);
  if (!stat.isSocket() || stat.dev !== bound.dev || stat.ino !== bound.ino) {
    throw new Error(`${socketPath} was replaced after xprov bound it: refusing to change the owner or mode of what is there now`);
  }
}

/**
 * Gives the socket xprov bound at `socketPath` the group `gid` (if any) and `mode`,
 * never following a path that no longer leads to that socket (see the module comment).
 */
export async function applySocketOwnership(socketPath: string, bound: BoundSocket, mode: number, gid: number | undefined): Promise<void> {
  await checkStillBound(socketPath, bound);
  if (gid !== undefined) {
    await lchown(socketPath, -1, gid);
    await checkStillBound(socketPath, bound);
  }
  await chmod(socketPath, mode);
  await checkStillBound(socketPath, bound);
}

/**
 * Binds `server` to a new socket at `socketPath` with the configured mode and group;
 * resolves with the function that removes it.
 */
export async function bindUnixSocket(server: Server, socketPath: string, options: SocketOptions, log: Logger): Promise<() => Promise<void>> {
  await prepareSocketPath(socketPath, options.insecurePermissions, (problem) =>
    log.warn({ problem }, 'serving on an untrusted socket directory (--insecure-permissions)'),
  );
  // Create the socket owner-only, then widen to the configured mode: nobody else can
  // connect in the window between bind(2) and chmod(2).
  const umask = process.umask(0o177);
  try {
    await listenOn(server, { path: socketPath });
  } finally {
    process.umask(umask);
  }
  let bound: BoundSocket;
  try {
    bound = await lstat(socketPath);
    await applySocketOwnership(socketPath, bound, options.mode, options.gid);
  } catch (err) {
    server.close();
    throw new Error(`cannot set owner or mode of ${socketPath}: ${(err as Error).message}`, { cause: err });
  }
  return () => removeSocket(socketPath, bound.ino);
}

/** Removes the socket xprov created at `socketPath`, if it is still that socket (same inode). */
export async function removeSocket(socketPath: string, ino: number): Promise<void> {
  try {
    const stat = await lstat(socketPath);
    if (stat.isSocket() && stat.ino === ino) {
      await unlink(socketPath);
    }
  } catch {
    // Already gone (Node may remove it on close): nothing to do.
  }
}
