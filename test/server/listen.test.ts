/**
 * The listeners' own defences, in process with a stand-in handler: the connection
 * limit across listeners, no pipelining without reading, the Host check of TCP
 * listeners (DNS rebinding), and no `Expect` honoured.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:http';
import { type Socket, createConnection } from 'node:net';
import path from 'node:path';
import type { ListenerSpec } from '../../src/endpoint/endpoint-url.js';
import { MAX_PIPELINED } from '../../src/server/connections.js';
import { type BoundListener, bindListeners } from '../../src/server/listen.js';
import { eventually } from '../support/eventually.js';
import { type CapturedLog, captureLog } from '../support/log-capture.js';
import { tempDir } from '../support/tmp.js';

const SECRET = 'the-device-key-a-rebinding-page-must-not-read';
const TIMEOUTS = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 };

/** A stand-in for the app: counts requests, answers the secret, or holds requests until released. */
class Handler {
  handled = 0;
  hold = false;
  private readonly held: ServerResponse[] = [];

  readonly handle = (_req: IncomingMessage, res: ServerResponse): void => {
    this.handled += 1;
    if (this.hold) {
      this.held.push(res);
      return;
    }
    // Answered later, as the app does (it awaits the store).
    setImmediate(() => res.end(JSON.stringify({ key: SECRET })));
  };

  release(): void {
    this.hold = false;
    for (const res of this.held.splice(0)) res.end(JSON.stringify({ key: SECRET }));
  }
}

interface Bound {
  readonly listeners: BoundListener[];
  readonly handler: Handler;
  readonly captured: CapturedLog;
  readonly unixPath: string;
  readonly port: number;
}

const open: BoundListener[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) {
    l.server.closeAllConnections();
    await new Promise<void>((resolve) => l.server.close(() => resolve()));
    await l.cleanup();
  }
});

/** Binds a Unix socket and a TCP port on 127.0.0.1 (an ephemeral one) with a frozen clock for the burst logs. */
async function bind(options: { maxConnections?: number; allowedHosts?: string[] } = {}): Promise<Bound> {
  const unixPath = path.join(tempDir(), 'api.sock');
  const specs: ListenerSpec[] = [
    { kind: 'unix', path: unixPath },
    { kind: 'tcp', host: '127.0.0.1', port: 0 },
  ];
  const handler = new Handler();
  const captured = captureLog();
  const listeners = await bindListeners(specs, handler.handle, {
    timeouts: TIMEOUTS,
    socket: { mode: 0o600, gid: undefined, insecurePermissions: false },
    passed: [],
    maxConnections: options.maxConnections ?? 64,
    allowedHosts: options.allowedHosts ?? [],
    log: captured.log,
    now: () => 0,
  });
  open.push(...listeners);
  const address = listeners[1]?.server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { listeners, handler, captured, unixPath, port: address.port };
}

/** One request with the given Host; resolves with status and body. */
function get(
  target: { socketPath: string } | { port: number },
  host: string | undefined,
  extra: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...extra };
    if (host !== undefined) headers.host = host;
    const req = request({ ...target, host: 'socketPath' in target ? undefined : '127.0.0.1', path: '/x', headers, setHost: false, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A connection that is open and has sent nothing (yet). */
function idleConnection(target: { socketPath: string } | { port: number }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = 'socketPath' in target ? createConnection(target.socketPath) : createConnection(target.port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.once('close', () => resolve());
  });
}

describe('listeners', () => {
  describe('maxConnections, counted across every listener', () => {
    it('evicts the longest idle connection so that a good request is answered while silent connections fill the limit', async () => {
      const { handler, captured, unixPath, port } = await bind({ maxConnections: 4 });
      const silent = [
        await idleConnection({ socketPath: unixPath }),
        await idleConnection({ port }),
        await idleConnection({ socketPath: unixPath }),
        await idleConnection({ port }),
      ];
      await eventually(async () =>
        assert.equal(
          silent.every((s) => !s.destroyed),
          true,
        ),
      );
      const answer = await get({ socketPath: unixPath }, 'localhost');
      assert.equal(answer.status, 200);
      assert.equal(handler.handled, 1);
      // The oldest silent connection (a Unix one) made room for the good request, and
      // the others are still open: the limit spans both listeners.
      await closed(silent[0] as Socket);
      assert.deepEqual(
        silent.slice(1).map((s) => s.destroyed),
        [false, false, false],
      );
      const evictions = captured.lines().filter((l) => l.msg === 'connection limit reached: closing the longest idle connections to admit new ones');
      assert.equal(evictions.length, 1);
      assert.equal(evictions[0]?.maxConnections, 4);
      for (const s of silent) s.destroy();
    });

    it('closes new connections at once while every connection has a request in flight, logging once per burst', async () => {
      const { handler, captured, unixPath, port } = await bind({ maxConnections: 2 });
      handler.hold = true;
      const busy = [get({ socketPath: unixPath }, 'localhost'), get({ port }, 'localhost')];
      await eventually(async () => assert.equal(handler.handled, 2));
      const refused = await Promise.all(Array.from({ length: 20 }, () => idleConnection({ socketPath: unixPath }).then(async (s) => closed(s))));
      assert.equal(refused.length, 20);
      assert.equal(handler.handled, 2, 'no refused connection got a request handled');
      const lines = captured.lines().filter((l) => l.msg === 'connection limit reached and every connection busy: refusing new connections');
      assert.equal(lines.length, 1, 'one line for the burst of 20, not one per connection');
      handler.release();
      assert.deepEqual(
        (await Promise.all(busy)).map((a) => a.status),
        [200, 200],
      );
      // Once the busy requests are answered their connections are idle: a new client is served.
      assert.equal((await get({ port }, '127.0.0.1')).status, 200);
    });
  });

  describe('pipelining without reading (issue 8: 100 such clients grew RSS from 51 MB to 1.8 GB)', () => {
    for (const kind of ['unix', 'tcp'] as const) {
      it(`handles at most ${MAX_PIPELINED} requests of a ${kind} client that pipelines 5000 and reads no answer, then closes it`, async () => {
        const { handler, captured, unixPath, port } = await bind();
        const socket = kind === 'unix' ? createConnection(unixPath) : createConnection(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.pause();
        socket.write('GET /x HTTP/1.1\r\nhost: localhost\r\n\r\n'.repeat(5000));
        // Without the limit the server answers every request it parses (thousands):
        // stop waiting as soon as it has handled more than the bound. (The client,
        // paused, would only notice the close when it reads: the server's log says it.)
        const closedLine = (): boolean => captured.lines().some((l) => l.msg === 'closed connections that pipelined requests without reading the answers');
        await Promise.race([eventually(async () => assert.ok(closedLine())), eventually(async () => assert.ok(handler.handled > MAX_PIPELINED * 2), 30_000)]);
        assert.ok(handler.handled <= MAX_PIPELINED, `handled ${handler.handled} requests`);
        assert.equal(closedLine(), true);
        socket.destroy();
      });
    }

    it('answers a few pipelined requests of a client that reads, in order', async () => {
      const { handler, port } = await bind();
      const socket = createConnection(port, '127.0.0.1');
      let received = '';
      socket.on('data', (d: Buffer) => (received += d.toString('utf8')));
      socket.write('GET /x HTTP/1.1\r\nhost: localhost\r\n\r\n'.repeat(3));
      await eventually(async () => assert.equal(received.split('HTTP/1.1 200 OK').length - 1, 3));
      assert.equal(handler.handled, 3);
      socket.destroy();
    });
  });

  describe('Host over TCP (DNS rebinding: issue 8, a page in a browser on the device read the key)', () => {
    it('answers a rebinding page (Host: evil.example) with 421 naming the Host problem, never the handler', async () => {
      const { handler, captured, port } = await bind();
      for (const host of ['evil.example', 'evil.example:9999', 'localhost.evil.example', '127.0.0.1.evil.example', '127.0.0.300', '[::2]:1']) {
        const answer = await get({ port }, host);
        assert.equal(answer.status, 421, host);
        const { message } = JSON.parse(answer.body) as { message: string };
        assert.ok(message.includes(`Host ${JSON.stringify(host)} is not answered here`), message);
        assert.ok(message.includes('allowedHosts (--allowed-host)'), message);
        assert.ok(!answer.body.includes(SECRET));
      }
      assert.equal(handler.handled, 0);
      assert.equal(
        captured.lines().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('refused TCP requests for a Host')).length,
        1,
        'once per burst',
      );
    });

    it('refuses a TCP request without Host (HTTP/1.0)', async () => {
      const { handler, port } = await bind();
      const socket = createConnection(port, '127.0.0.1');
      let received = '';
      socket.on('data', (d: Buffer) => (received += d.toString('utf8')));
      socket.write('GET /x HTTP/1.0\r\n\r\n');
      await closed(socket);
      assert.match(received, /^HTTP\/1\.1 421 /);
      assert.equal(handler.handled, 0);
    });

    it('answers loopback names and addresses with or without port, and allowedHosts', async () => {
      const { handler, port } = await bind({ allowedHosts: ['gateway.local'] });
      const hosts = [
        'localhost',
        `localhost:${port}`,
        'LOCALHOST.',
        '127.0.0.1',
        `127.0.0.1:${port}`,
        '127.1.2.3:80',
        '[::1]',
        `[::1]:${port}`,
        'gateway.local',
        'Gateway.Local:8080',
      ];
      for (const host of hosts) {
        assert.equal((await get({ port }, host)).status, 200, host);
      }
      assert.equal(handler.handled, hosts.length);
    });

    it('does not check Unix sockets, where the daemon sends the hex-encoded socket path and :0', async () => {
      const { unixPath } = await bind();
      assert.equal((await get({ socketPath: unixPath }, `${Buffer.from(unixPath).toString('hex')}:0`)).status, 200);
      assert.equal((await get({ socketPath: unixPath }, 'evil.example')).status, 200);
    });
  });

  describe('Expect', () => {
    it('never sends 100 Continue: the handler answers at once', async () => {
      const { handler, port } = await bind();
      const socket = createConnection(port, '127.0.0.1');
      let received = '';
      socket.on('data', (d: Buffer) => (received += d.toString('utf8')));
      socket.write('POST /x HTTP/1.1\r\nhost: localhost\r\ncontent-length: 1000000\r\nexpect: 100-continue\r\n\r\n');
      await eventually(async () => assert.match(received, /HTTP\/1\.1 200 OK/));
      assert.doesNotMatch(received, /100 Continue/);
      assert.equal(handler.handled, 1);
      socket.destroy();
    });

    it('answers any other expectation with 417 and closes the connection', async () => {
      const { handler, port } = await bind();
      const socket = createConnection(port, '127.0.0.1');
      let received = '';
      socket.on('data', (d: Buffer) => (received += d.toString('utf8')));
      socket.write('POST /x HTTP/1.1\r\nhost: localhost\r\ncontent-length: 1000000\r\nexpect: something-else\r\n\r\n');
      await closed(socket);
      assert.match(received, /^HTTP\/1\.1 417 /);
      assert.match(received, /"message":"no expectation is supported \(Expect header\)"/);
      assert.equal(handler.handled, 0);
    });
  });
});
