/**
 * Bounds on what clients can make the server hold, across every listener:
 *
 * - at most `maxConnections` open connections. At the limit, a new connection evicts
 *   the idle connection (no request in flight: an idle keep-alive, a client that never
 *   sends, or one that dribbles its headers) that connected or last started a request
 *   longest ago, and is refused only when
 *   every connection is busy with a request. So whoever fills the limit with idle or
 *   silent connections cannot lock a good client out: each new connection takes the
 *   place of the oldest idle one, and a request is only ever cut by being idle longest.
 * - no pipelining without reading: Node's parser hands over every request of a read
 *   (up to 64 KiB, some thousand small requests) at once and answers them all, even
 *   when the client reads none of the answers. A connection is closed, unread requests
 *   and all, when a request arrives while MAX_PIPELINED answers on it are unfinished or
 *   while the answers already written wait for the client to read them (the socket
 *   needs a drain): what one connection can make the server hold is bounded, and no
 *   further request of it is handled once it stops reading.
 *
 * Refusals are logged once per burst (BurstLog), never once per connection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Unfinished answers one connection may have before a further request closes it. */
export const MAX_PIPELINED = 8;

/**
 * Logs the first event of a burst at once, then at most one line per `windowMs` with
 * how many events happened since the last line.
 */
export class BurstLog {
  private lastLogged = Number.NEGATIVE_INFINITY;
  private unlogged = 0;

  /** @param emit writes one line for `count` events */
  constructor(
    private readonly emit: (count: number) => void,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 10_000,
  ) {}

  /** Counts one event; logs when the last line is `windowMs` old. */
  record(): void {
    this.unlogged += 1;
    const now = this.now();
    if (now - this.lastLogged >= this.windowMs) {
      this.emit(this.unlogged);
      this.unlogged = 0;
      this.lastLogged = now;
    }
  }
}

/** What the guard reports, each call one event (the caller logs them once per burst). */
export interface GuardEvents {
  /** A new connection was refused: every connection had a request in flight. */
  refused(): void;
  /** An idle connection was closed to admit a new one. */
  evicted(): void;
  /** A connection was closed for pipelining requests without reading the answers. */
  pipelining(): void;
}

/** One connection's answers that may be unfinished (no listener per request: checked when needed). */
interface ConnectionState {
  answers: ServerResponse[];
  /** When it connected or last started a request, as a sequence number (the guard's `tick`). */
  active: number;
}

/** True when `res` is out: handed to the socket in full, or abandoned with it. */
function done(res: ServerResponse): boolean {
  return res.writableFinished || res.destroyed;
}

/** Drops the finished answers of `state`; returns how many are left unfinished. */
function unfinished(state: ConnectionState): number {
  const answers = state.answers;
  let kept = 0;
  for (const res of answers) {
    if (!done(res)) answers[kept++] = res;
  }
  answers.length = kept;
  return kept;
}

/** Counts connections across listeners and requests per connection; see the module comment. */
export class ConnectionGuard {
  private readonly live = new Map<Socket, ConnectionState>();
  private tick = 0;

  constructor(
    private readonly maxConnections: number,
    private readonly events: GuardEvents,
  ) {}

  /** Open connections being counted. */
  get size(): number {
    return this.live.size;
  }

  /** Takes a new connection (a server's 'connection' event): admits it, evicting an idle one at the limit, or destroys it. */
  admit(socket: Socket): void {
    if (this.live.size >= this.maxConnections) {
      const victim = this.oldestIdle();
      if (victim === undefined) {
        socket.destroy();
        this.events.refused();
        return;
      }
      this.live.delete(victim);
      victim.destroy();
      this.events.evicted();
    }
    this.live.set(socket, { answers: [], active: this.tick++ });
    socket.once('close', () => this.live.delete(socket));
  }

  /**
   * Called for every request before it is handled; false when it must not be (its
   * connection is closed or was just closed for pipelining without reading).
   */
  begin(req: IncomingMessage, res: ServerResponse): boolean {
    const socket = req.socket;
    const state = this.live.get(socket);
    if (state === undefined || socket.destroyed) {
      // Closed (evicted, or by the line below for an earlier request of the same read).
      return false;
    }
    if (unfinished(state) >= MAX_PIPELINED || socket.writableNeedDrain) {
      this.live.delete(socket);
      socket.destroy();
      this.events.pipelining();
      return false;
    }
    state.answers.push(res);
    // A number rather than moving the entry to the end of the Map: deleting and
    // re-adding on every request measurably raised the peak RSS under load (+15 MiB).
    state.active = this.tick++;
    return true;
  }

  /** The idle connection that connected or started a request longest ago; O(connections), only at the limit. */
  private oldestIdle(): Socket | undefined {
    let oldest: Socket | undefined;
    let oldestActive = Number.POSITIVE_INFINITY;
    for (const [socket, state] of this.live) {
      if (state.active < oldestActive && unfinished(state) === 0) {
        oldest = socket;
        oldestActive = state.active;
      }
    }
    return oldest;
  }
}
