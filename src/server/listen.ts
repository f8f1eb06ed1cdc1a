/**
 * Binds every configured listener to its own http.Server sharing one request handler:
 * Unix sockets xprov creates (mode and group applied before anyone can connect), TCP
 * ports, and sockets passed by systemd (served as they are, never unlinked).
 *
 * Every server goes through one ConnectionGuard (the connection limit across listeners,
 * no pipelining without reading) and, when it is TCP, the Host check against DNS
 * rebinding (http/host.ts). No `Expect` is ever honoured: `100-continue` gets no
 * `100 Continue` (the handler answers at once, refusing the announced body), any other
 * expectation gets 417; both close the connection.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type ListenerSpec, describeListener } from '../endpoint/endpoint-url.js';
import { hostProblem } from '../http/host.js';
import type { Logger } from '../log.js';
import { BurstLog, ConnectionGuard } from './connections.js';
import { listenOn } from './listen-on.js';
import type { PassedSocket } from './systemd.js';
import { type SocketOptions, bindUnixSocket } from './unix-socket.js';

/** A request handler (Koa's app.callback()). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Server limits, so that slow or stuck clients cannot pin connections. */
export interface ServerTimeouts {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

export type { SocketOptions } from './unix-socket.js';

/** A listening server and how to undo what binding it created. */
export interface BoundListener {
  /** The listener as a URL, for logs. */
  readonly description: string;
  readonly server: Server;
  /** Removes what binding created (the socket file of a unix listener). */
  readonly cleanup: () => Promise<void>;
}

/** A GuardEvents callback that logs once per burst. */
function burst(emit: (count: number) => void, now: () => number): () => void {
  const log = new BurstLog(emit, now);
  return () => log.record();
}

/** Everything bindListeners needs besides the listeners and the handler. */
export interface ListenOptions {
  readonly timeouts: ServerTimeouts;
  readonly socket: SocketOptions;
  readonly passed: readonly PassedSocket[];
  /** Open connections across all listeners; see ConnectionGuard. */
  readonly maxConnections: number;
  /** Host names (normalised, http/host.ts) TCP listeners answer besides loopback ones. */
  readonly allowedHosts: readonly string[];
  readonly log: Logger;
  /** Clock of the once-per-burst log lines; Date.now unless a test injects one. */
  readonly now?: () => number;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** How many distinct accepted Host values a TCP listener remembers. */
const ACCEPTED_HOSTS_KEPT = 32;

/** Answers with `status` and `{ message }`, then closes the connection (nothing more of it is read). */
function refuse(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body);
}

/** What every server of one bindListeners call shares. */
interface Shared {
  readonly handler: RequestHandler;
  readonly timeouts: ServerTimeouts;
  readonly guard: ConnectionGuard;
  readonly misdirected: BurstLog;
  readonly allowedHosts: readonly string[];
}

/**
 * A server whose requests go through the guard and, once it is known to listen on
 * TCP (checkHosts), the Host check. Requests only arrive after listening, by when
 * checkHosts has been called for a TCP socket.
 */
function newServer(shared: Shared): { server: Server; checkHosts: () => void } {
  let allowed: ReadonlySet<string> | undefined;
  const accepted = new Set<string>();
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    if (!shared.guard.begin(req, res)) {
      return;
    }
    const host = req.headers.host;
    if (allowed !== undefined && (host === undefined || !accepted.has(host))) {
      const problem = hostProblem(host, allowed);
      if (problem !== undefined) {
        shared.misdirected.record();
        refuse(res, 421, problem);
        return;
      }
      // The Host values a client sends are few and repeat on every request: remember
      // those accepted (a bounded number) so that checking is a Set lookup.
      if (host !== undefined && accepted.size < ACCEPTED_HOSTS_KEPT) {
        accepted.add(host);
      }
    }
    shared.handler(req, res);
  };
  const server = createServer(
    {
      headersTimeout: shared.timeouts.headersTimeoutMs,
      requestTimeout: shared.timeouts.requestTimeoutMs,
      // Node enforces the two timeouts above only when it sweeps connections, every
      // 30 s by default: a slow client would get up to 30 s more than configured.
      connectionsCheckingInterval: Math.min(1000, shared.timeouts.headersTimeoutMs),
      noDelay: true,
    },
    serve,
  );
  server.keepAliveTimeout = shared.timeouts.keepAliveTimeoutMs;
  server.on('connection', (socket) => shared.guard.admit(socket));
  // With a listener, Node sends no 100 Continue: the handler answers at once, and a
  // request announcing a body is refused and its connection closed, the body unread.
  server.on('checkContinue', serve);
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    if (shared.guard.begin(req, res)) {
      refuse(res, 417, 'no expectation is supported (Expect header)');
    }
  });
  const checkHosts = (): void => {
    const address = server.address();
    if (address !== null && typeof address === 'object') {
      const own = address.address.toLowerCase();
      const wildcard = own === '0.0.0.0' || own === '::';
      allowed = new Set([...shared.allowedHosts, ...(wildcard ? [] : [own])]);
    }
  };
  return { server, checkHosts };
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
export async function bindListeners(specs: readonly ListenerSpec[], handler: RequestHandler, options: ListenOptions): Promise<BoundListener[]> {
  const { log, maxConnections } = options;
  const now = options.now ?? Date.now;
  const shared: Shared = {
    handler,
    timeouts: options.timeouts,
    allowedHosts: options.allowedHosts,
    guard: new ConnectionGuard(maxConnections, {
      refused: burst(
        (count) => log.warn({ maxConnections, refused: count }, 'connection limit reached and every connection busy: refusing new connections'),
        now,
      ),
      evicted: burst(
        (count) => log.warn({ maxConnections, evicted: count }, 'connection limit reached: closing the longest idle connections to admit new ones'),
        now,
      ),
      pipelining: burst((count) => log.warn({ closed: count }, 'closed connections that pipelined requests without reading the answers'), now),
    }),
    misdirected: new BurstLog(
      (count) => log.warn({ refused: count }, 'refused TCP requests for a Host that is neither loopback nor in allowedHosts (DNS rebinding?)'),
      now,
    ),
  };
  const bound: BoundListener[] = [];
  try {
    for (const spec of specs) {
      switch (spec.kind) {
        case 'unix': {
          const { server } = newServer(shared);
          bound.push({ description: describeListener(spec), server, cleanup: await bindUnixSocket(server, spec.path, options.socket, log) });
          break;
        }
        case 'tcp': {
          const { server, checkHosts } = newServer(shared);
          await listenOn(server, { host: spec.host, port: spec.port });
          checkHosts();
          bound.push({ description: describeListener(spec), server, cleanup: async () => {} });
          break;
        }
        case 'systemd':
          for (const passed of selectPassed(spec, options.passed)) {
            const { server, checkHosts } = newServer(shared);
            await listenOn(server, { fd: passed.fd });
            // A passed socket may be TCP as well as Unix: TCP ones get the Host check.
            checkHosts();
            // systemd owns the socket: never unlink it, it must outlive this process.
            bound.push({ description: `fd://${passed.name} (fd ${passed.fd})`, server, cleanup: async () => {} });
          }
          break;
      }
    }
  } catch (err) {
    await Promise.all(
      bound.map(async (b) => {
        b.server.close();
        await b.cleanup();
      }),
    );
    throw err;
  }
  return bound;
}
