/**
 * What the hostile clients of bench/hostile-clients.ts share: their tally of what the
 * server did to them, raw connections that keep it, and the good request measured
 * meanwhile. A server that defends itself (closes, resets or refuses connections,
 * answers 4xx) is counted in a LoadTally, never an exception.
 */
import { request } from 'node:http';
import { type Socket, connect } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Where a server under test listens. */
export type Target = { readonly socketPath: string } | { readonly host: string; readonly port: number };

/** The good, daemon-like request. */
export const goodPath = '/device/provisioninginformation?api-version=2019-04-10';

/** Node's default limit on a request's head (request line and headers), in bytes. */
export const nodeMaxHeaderBytes = 16_384;

/** What a load's clients saw of the server. */
export interface LoadTally {
  /** Connections attempted and established. */
  attempted: number;
  connected: number;
  /** Connections the server ended or reset while the load ran (not those the client closed). */
  closedByServer: number;
  /** Client-side errors by code (ECONNRESET, EPIPE, ECONNREFUSED, EAGAIN, timeout...). */
  errors: Record<string, number>;
  /** Answers seen by status ("200", "400", "100"...). */
  statuses: Record<string, number>;
  /** Bytes the clients handed to their kernel (what the server could have read). */
  bytesSent: number;
}

/** A running load. */
export interface Load {
  /** Resolves once the load is fully applied (connections open, requests written). */
  readonly ready: Promise<void>;
  /** Stops every client and resolves with what they saw. */
  stop(): LoadTally;
  /** A scenario-specific finding, in words, once ready. */
  finding?(): string;
}

/** One good request's outcome. */
export interface Sample {
  readonly ms: number;
  /** "ok" for a 200, else what went wrong ("status 503", "ECONNRESET", "timeout"). */
  readonly outcome: string;
}

/** A tally with nothing seen yet. */
export function newTally(): LoadTally {
  return { attempted: 0, connected: 0, closedByServer: 0, errors: {}, statuses: {}, bytesSent: 0 };
}

/** Adds `by` to `map[key]`. */
export function count(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

/** An error's code (ECONNRESET...), or its message when it has none. */
export function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

/** The Host header the good request sends (node:http's own choice for each target). */
export function hostHeader(target: Target): string {
  return 'socketPath' in target ? 'localhost' : `${target.host}:${target.port}`;
}

/** A raw connection of a load. */
export interface RawConnection {
  readonly socket: Socket;
  /** Resolves true once connected, false if it never was. */
  readonly connected: Promise<boolean>;
  /** Closes it from the client's side (not counted as the server's doing). */
  close(): void;
}

/**
 * A raw connection whose ends are tallied: a close the client did not ask for is the
 * server's doing. `onData` is only attached when given: without it the socket stops
 * reading once its buffer is full, as a client that never reads its answers would.
 */
export function openRaw(target: Target, tally: LoadTally, onData?: (chunk: Buffer) => void): RawConnection {
  tally.attempted += 1;
  const socket = connect('socketPath' in target ? { path: target.socketPath } : { host: target.host, port: target.port });
  let closedByUs = false;
  let wasConnected = false;
  socket.on('error', (err) => count(tally.errors, errorCode(err)));
  socket.on('close', () => {
    if (wasConnected && !closedByUs) {
      tally.closedByServer += 1;
    }
  });
  if (onData !== undefined) {
    socket.on('data', onData);
    // The server's FIN: answer it with ours, as a client would.
    socket.on('end', () => socket.end());
  }
  const connected = new Promise<boolean>((resolve) => {
    socket.once('connect', () => {
      wasConnected = true;
      tally.connected += 1;
      resolve(true);
    });
    socket.once('close', () => resolve(false));
  });
  return {
    socket,
    connected,
    close() {
      closedByUs = true;
      socket.destroy();
    },
  };
}

/** Counts the status lines in answers (enough for these loads: their bodies are JSON). */
export function statusCounter(tally: LoadTally): (chunk: Buffer) => void {
  return (chunk) => {
    for (const match of chunk.toString('latin1').matchAll(/HTTP\/1\.1 (\d{3}) /g)) {
      count(tally.statuses, match[1] ?? '?');
    }
  };
}

/** Bytes handed to the kernel so far: what was written minus what still waits in Node. */
export function sentBytes(socket: Socket, written: number): number {
  return Math.max(0, written - socket.writableLength);
}

/** The good request on a new connection, as the daemon makes it. */
export function goodRequest(target: Target, timeoutMs: number): Promise<Sample> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const done = (outcome: string): void => resolve({ ms: performance.now() - t0, outcome });
    const req = request({ ...target, path: goodPath, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('error', (err) => done(errorCode(err)));
      res.on('end', () => done(res.statusCode === 200 ? 'ok' : `status ${String(res.statusCode)}`));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (err) => done(errorCode(err)));
    req.end();
  });
}
