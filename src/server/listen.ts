/**
 * Binds every configured listener to its own http.Server sharing one request handler:
 * Unix sockets xprov creates (mode and group applied before anyone can connect), TCP
 * ports, and sockets passed by systemd (served as they are, never unlinked).
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { chmod, chown, lstat } from 'node:fs/promises';
import { type ListenerSpec, describeListener } from '../config/listen-url.js';
import type { PassedSocket } from './systemd.js';
import { prepareSocketPath, removeSocket } from './unix-socket.js';

/** A request handler (Koa's app.callback()). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Server limits, so that slow or stuck clients cannot pin connections. */
export interface ServerTimeouts {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** How Unix sockets are created. */
export interface SocketOptions {
  readonly mode: number;
  /** gid to give created sockets, or undefined to keep the process's. */
  readonly gid: number | undefined;
}

/** A listening server and how to undo what binding it created. */
export interface BoundListener {
  /** The listener as a URL, for logs. */
  readonly description: string;
  readonly server: Server;
  /** Removes what binding created (the socket file of a unix listener). */
  readonly cleanup: () => Promise<void>;
}

function listenOn(server: Server, target: { path: string } | { host: string; port: number } | { fd: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function newServer(handler: RequestHandler, timeouts: ServerTimeouts): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // Node enforces the two timeouts above only when it sweeps connections, every
      // 30 s by default: a slow client would get up to 30 s more than configured.
      connectionsCheckingInterval: Math.min(1000, timeouts.headersTimeoutMs),
      noDelay: true,
    },
    handler,
  );
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  return server;
}

async function bindUnix(
  socketPath: string,
  handler: RequestHandler,
  timeouts: ServerTimeouts,
  socket: SocketOptions,
): Promise<BoundListener> {
  await prepareSocketPath(socketPath);
  const server = newServer(handler, timeouts);
  // Create the socket owner-only, then widen to the configured mode: nobody else can
  // connect in the window between bind(2) and chmod(2).
  const umask = process.umask(0o177);
  try {
    await listenOn(server, { path: socketPath });
  } finally {
    process.umask(umask);
  }
  try {
    if (socket.gid !== undefined) {
      await chown(socketPath, -1, socket.gid);
    }
    await chmod(socketPath, socket.mode);
  } catch (err) {
    server.close();
    throw new Error(`cannot set owner or mode of ${socketPath}: ${(err as Error).message}`, { cause: err });
  }
  const { ino } = await lstat(socketPath);
  return {
    description: `unix://${socketPath}`,
    server,
    cleanup: () => removeSocket(socketPath, ino),
  };
}

/** The passed sockets a `fd://[NAME]` listener selects; throws when none match. */
function selectPassed(spec: { name?: string }, passed: readonly PassedSocket[]): PassedSocket[] {
  if (passed.length === 0) {
    throw new Error(`${describeListener({ kind: 'systemd', ...spec })}: no sockets were passed to this process (LISTEN_PID/LISTEN_FDS: not socket-activated)`);
  }
  const selected = spec.name === undefined ? [...passed] : passed.filter((p) => p.name === spec.name);
  if (selected.length === 0) {
    throw new Error(`fd://${spec.name ?? ''}: no passed socket has that name (passed: ${passed.map((p) => p.name).join(', ')})`);
  }
  return selected;
}

/**
 * Binds every listener. If one fails, those already bound are closed and cleaned up
 * before the error is thrown.
 */
export async function bindListeners(
  specs: readonly ListenerSpec[],
  handler: RequestHandler,
  options: { timeouts: ServerTimeouts; socket: SocketOptions; passed: readonly PassedSocket[] },
): Promise<BoundListener[]> {
  const bound: BoundListener[] = [];
  try {
    for (const spec of specs) {
      switch (spec.kind) {
        case 'unix':
          bound.push(await bindUnix(spec.path, handler, options.timeouts, options.socket));
          break;
        case 'tcp': {
          const server = newServer(handler, options.timeouts);
          await listenOn(server, { host: spec.host, port: spec.port });
          bound.push({ description: describeListener(spec), server, cleanup: async () => {} });
          break;
        }
        case 'systemd':
          for (const passed of selectPassed(spec, options.passed)) {
            const server = newServer(handler, options.timeouts);
            await listenOn(server, { fd: passed.fd });
            // systemd owns the socket: never unlink it, it must outlive this process.
            bound.push({ description: `fd://${passed.name} (fd ${passed.fd})`, server, cleanup: async () => {} });
          }
          break;
      }
    }
  } catch (err) {
    await Promise.all(bound.map(async (b) => {
      b.server.close();
      await b.cleanup();
    }));
    throw err;
  }
  return bound;
}
