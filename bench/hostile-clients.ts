/**
 * The hostile peers of bench/hostile.ts. Every client is bounded in count, bytes and
 * time, and stops when told; what the server did to it goes to its LoadTally.
 */
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type Load,
  type RawConnection,
  type Target,
  count,
  errorCode,
  goodPath,
  hostHeader,
  newTally,
  openRaw,
  sentBytes,
  statusCounter,
} from './hostile-net.js';

/** `count` copies of the good request, as one buffer to write at once. */
export function pipelinedRequests(target: Target, requests: number): Buffer {
  return Buffer.from(`GET ${goodPath} HTTP/1.1\r\nHost: ${hostHeader(target)}\r\n\r\n`.repeat(requests), 'latin1');
}

/** Clients that each write `requests` pipelined GETs at once and never read an answer. */
export function pipelineFlood(target: Target, clients: number, requests: number): Load {
  const tally = newTally();
  const payload = pipelinedRequests(target, requests);
  const connections = Array.from({ length: clients }, () => {
    const connection = openRaw(target, tally);
    // The callback keeps a failed write (EPIPE: the server closed) from being thrown.
    connection.socket.write(payload, () => undefined);
    return connection;
  });
  return {
    ready: Promise.all(connections.map((c) => c.connected)).then(() => undefined),
    stop() {
      for (const connection of connections) {
        tally.bytesSent += sentBytes(connection.socket, payload.length);
        connection.close();
      }
      return tally;
    },
  };
}

/** The head of a request announcing a `bodyBytes` body. */
export function bodyRequestHead(target: Target, path: string, bodyBytes: number): Buffer {
  return Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: ${hostHeader(target)}\r\nContent-Type: application/octet-stream\r\n` + `Content-Length: ${bodyBytes}\r\n\r\n`,
    'latin1',
  );
}

/**
 * Clients that announce a `bodyBytes` body to `path` and stream it as fast as the server
 * takes it, over keep-alive: once one body is sent, the next request follows on the same
 * connection. Each stops when the server closes on it or `stop` is called.
 */
export function bodyDrain(target: Target, path: string, clients: number, bodyBytes: number): Load {
  const tally = newTally();
  const head = bodyRequestHead(target, path, bodyBytes);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let stopped = false;
  const streams = Array.from({ length: clients }, () => {
    const connection = openRaw(target, tally, statusCounter(tally));
    const { socket } = connection;
    let written = 0;
    let left = 0;
    const pump = (): void => {
      while (!stopped && !socket.destroyed && socket.writable) {
        if (left === 0) {
          left = bodyBytes;
          written += head.length;
          socket.write(head);
        }
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        written += piece.length;
        if (!socket.write(piece)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    void connection.connected.then((ok) => {
      if (ok) {
        pump();
      }
    });
    return { connection, written: () => written };
  });
  return {
    ready: Promise.all(streams.map((s) => s.connection.connected)).then(() => undefined),
    stop() {
      stopped = true;
      for (const s of streams) {
        tally.bytesSent += sentBytes(s.connection.socket, s.written());
        s.connection.close();
      }
      return tally;
    },
  };
}

/**
 * The good path with `&a` repeated up to a request head of `headBytes` bytes: each
 * repeat is one more parameter for the query parser.
 */
export function hostileQueryPath(headBytes: number): string {
  // What http.request adds around the path: "GET ", " HTTP/1.1\r\n", the Host (at
  // most "Host: 127.0.0.1:65535\r\n"), "Connection: keep-alive\r\n" and the final CRLF.
  const overhead = 'GET  HTTP/1.1\r\nHost: 127.0.0.1:65535\r\nConnection: keep-alive\r\n\r\n'.length;
  const repeats = Math.floor((headBytes - overhead - goodPath.length) / 2);
  return goodPath + '&a'.repeat(Math.max(0, repeats));
}

/** Clients that each send the hostile query in a loop over keep-alive, one at a time. */
export function queryFlood(target: Target, clients: number, headBytes: number, timeoutMs: number): Load {
  const tally = newTally();
  const path = hostileQueryPath(headBytes);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  let stopped = false;
  const oneRequest = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request({ ...target, path, agent, timeout: timeoutMs }, (res) => {
        count(tally.statuses, String(res.statusCode));
        res.resume();
        res.on('error', () => resolve());
        res.on('end', () => resolve());
      });
      req.on('socket', (socket: Socket) => {
        if (!socket.connecting) {
          return;
        }
        tally.attempted += 1;
        socket.once('connect', () => (tally.connected += 1));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.on('error', (err) => {
        if (!stopped) {
          count(tally.errors, errorCode(err));
        }
        resolve();
      });
      req.end(() => (tally.bytesSent += path.length));
    });
  const loop = async (): Promise<void> => {
    while (!stopped) {
      const t0 = performance.now();
      await oneRequest();
      // A server that refuses or closes at once must not turn this loop into a busy one.
      if (performance.now() - t0 < 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  };
  for (let i = 0; i < clients; i++) {
    void loop();
  }
  return {
    ready: Promise.resolve(),
    stop() {
      stopped = true;
      agent.destroy();
      return tally;
    },
  };
}

/** Opens `connections` connections, in batches so as not to overrun the listen backlog, and holds them idle. */
export function connectionFlood(target: Target, connections: number, batch: number): Load {
  const tally = newTally();
  const held: RawConnection[] = [];
  let stopped = false;
  const open = async (): Promise<void> => {
    for (let opened = 0; opened < connections && !stopped; opened += batch) {
      const wave = Array.from({ length: Math.min(batch, connections - opened) }, () => {
        const connection = openRaw(target, tally, statusCounter(tally));
        held.push(connection);
        return connection.connected;
      });
      await Promise.all(wave);
    }
  };
  return {
    ready: open(),
    stop() {
      stopped = true;
      for (const connection of held) {
        connection.close();
      }
      return tally;
    },
  };
}

/**
 * Sends a request with `Expect: 100-continue` and waits up to `waitMs` for the server's
 * first bytes, without sending the body: a "100 Continue" invites the client to send it.
 */
export function expectContinue(target: Target, path: string, waitMs: number): Load {
  const tally = newTally();
  let first = '';
  let finding = 'nothing yet';
  const connection = openRaw(target, tally, (chunk) => {
    statusCounter(tally)(chunk);
    if (first === '') {
      first = chunk.toString('latin1');
    }
  });
  const head = Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: ${hostHeader(target)}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`,
    'latin1',
  );
  const { socket } = connection;
  socket.write(head, () => undefined);
  const ready = connection.connected.then(
    (ok) =>
      new Promise<void>((resolve) => {
        if (!ok) {
          finding = 'no (connection refused)';
          resolve();
          return;
        }
        const started = performance.now();
        const poll = setInterval(() => {
          const status = /^HTTP\/1\.1 (\d{3})/.exec(first)?.[1];
          if (status !== undefined || socket.destroyed || performance.now() - started > waitMs) {
            clearInterval(poll);
            finding =
              status === '100'
                ? 'yes: 100 Continue sent'
                : status !== undefined
                  ? `no: answered ${status} first`
                  : socket.destroyed
                    ? 'no: closed without an answer'
                    : `no: nothing within ${waitMs} ms`;
            resolve();
          }
        }, 5);
      }),
  );
  return {
    ready,
    stop() {
      tally.bytesSent += sentBytes(socket, head.length);
      connection.close();
      return tally;
    },
    finding: () => finding,
  };
}
