/**
 * Preparing a Unix socket path before listening, and removing it afterwards.
 * A socket left by a crash is removed; one a live process answers on is not taken
 * over; anything that is not a socket is never replaced.
 */
import { createConnection } from 'node:net';
import { lstat, mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';

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
 * Makes `socketPath` ready to listen on: creates its parent directory if missing and
 * removes a stale socket. Throws with a clear message when the path is taken.
 */
export async function prepareSocketPath(socketPath: string): Promise<void> {
  await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o755 });
  let stat;
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
