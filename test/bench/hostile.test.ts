/**
 * The hostile-load bench's helpers (bench/hostile*.ts, bench/proc-status.ts): that what
 * it reads from /proc means what its report says, and that its clients send what they
 * claim. No timings: those are the bench's to report, never a test's to assert.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import path from 'node:path';
import { expectContinue, hostileQueryPath, pipelinedRequests } from '../../bench/hostile-clients.js';
import { type Target, goodPath, nodeMaxHeaderBytes } from '../../bench/hostile-net.js';
import { hostileSettings, summarizeSamples } from '../../bench/hostile.js';
import { ioBytes, openFds, parseIoBytes, parseStatusKiB, statusKiB } from '../../bench/proc-status.js';
import { eventually } from '../support/eventually.js';
import { tempDir } from '../support/tmp.js';

const status = ['Name:\tnode', 'VmPeak:\t 1234567 kB', 'VmHWM:\t   98765 kB', 'VmRSS:\t   54321 kB', 'RssAnon:\t   40000 kB', ''].join('\n');

function listen(server: Server): Promise<Target> {
  const socketPath = path.join(tempDir(), 's.sock');
  return new Promise((resolve) => server.listen(socketPath, () => resolve({ socketPath })));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('bench: reading /proc', () => {
  it('reads the memory lines of a status text, and nothing from a line that only starts alike', () => {
    assert.equal(parseStatusKiB(status, 'VmRSS'), 54321);
    assert.equal(parseStatusKiB(status, 'VmHWM'), 98765);
    assert.equal(parseStatusKiB('VmRSSx:\t 1 kB\n', 'VmRSS'), undefined);
    assert.equal(parseStatusKiB('Name:\tnode\n', 'VmHWM'), undefined);
  });

  it('reads the I/O counters of an io text', () => {
    const io = 'rchar: 123456\nwchar: 789\nsyscr: 10\n';
    assert.equal(parseIoBytes(io, 'rchar'), 123456);
    assert.equal(parseIoBytes(io, 'wchar'), 789);
    assert.equal(parseIoBytes('syscr: 10\n', 'rchar'), undefined);
  });

  it('reads a live process, and a process that has gone as undefined rather than an error', () => {
    const rss = statusKiB(process.pid, 'VmRSS');
    const hwm = statusKiB(process.pid, 'VmHWM');
    assert.ok(rss !== undefined && hwm !== undefined && rss > 0 && hwm >= rss, `${rss} ${hwm}`);
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    assert.equal(statusKiB(gone, 'VmRSS'), undefined);
    assert.equal(ioBytes(gone, 'rchar'), undefined);
    assert.equal(openFds(gone), undefined);
  });

  it('counts the bytes a Node process reads off a socket in rchar, and its connections in its fds', async () => {
    // The bench reports a server's rchar growth as what it read from its clients: that
    // holds only if libuv reads stream sockets with read(2), which rchar counts.
    const payload = Buffer.alloc(1024 * 1024, 0x61);
    let received = 0;
    const server = createNetServer((socket) => socket.on('data', (chunk: Buffer) => (received += chunk.length)));
    const socketPath = path.join(tempDir(), 'r.sock');
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const fds0 = openFds(process.pid) ?? Number.NaN;
    const read0 = ioBytes(process.pid, 'rchar') ?? Number.NaN;
    const clients = Array.from({ length: 5 }, () => connect(socketPath));
    try {
      clients[0]?.write(payload);
      await eventually(async () => assert.equal(received, payload.length));
      const read = (ioBytes(process.pid, 'rchar') ?? Number.NaN) - read0;
      assert.ok(read >= payload.length, `rchar grew by ${read}`);
      await eventually(async () => {
        const fds = (openFds(process.pid) ?? Number.NaN) - fds0;
        // Both ends of each connection are this process's.
        assert.ok(fds >= 2 * clients.length, `fds grew by ${fds}`);
      });
    } finally {
      for (const client of clients) {
        client.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('bench: hostile clients', () => {
  it('writes exactly the pipelined GETs it claims, each one the good request', async () => {
    const paths: string[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      paths.push(req.url ?? '');
      res.end();
    });
    const target = await listen(server);
    const socket = connect((target as { socketPath: string }).socketPath);
    socket.resume();
    try {
      socket.write(pipelinedRequests(target, 50));
      await eventually(async () => assert.equal(paths.length, 50));
      assert.deepEqual(new Set(paths), new Set([goodPath]));
    } finally {
      socket.destroy();
      await close(server);
    }
  });

  it("sizes the hostile query to reach the handler under Node's header limit, not to be refused with 431", async () => {
    let seen: string | undefined;
    const server = createServer((req, res) => {
      seen = req.url;
      res.end();
    });
    const target = await listen(server);
    const headBytes = hostileSettings.queryCpu.headBytes;
    const hostile = hostileQueryPath(headBytes);
    try {
      const statusCode = await new Promise<number | undefined>((resolve, reject) => {
        const req = request({ ...target, path: hostile, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(statusCode, 200);
      assert.equal(seen, hostile);
      assert.ok(hostile.startsWith(`${goodPath}&a&a`));
      // Most of the limit is parameters: thousands of them for the parser.
      assert.ok(hostile.length > nodeMaxHeaderBytes - 500 && hostile.split('&').length > 7_000, String(hostile.length));
    } finally {
      await close(server);
    }
  });

  it('tells a server that sends 100 Continue from one that answers first', async () => {
    // node:http sends 100 Continue itself unless the server handles checkContinue.
    const inviting = createServer((_req, res) => res.end());
    const refusing = createServer((_req, res) => res.end());
    refusing.on('checkContinue', (_req, res) => {
      res.writeHead(417, { connection: 'close' });
      res.end();
    });
    for (const [server, expected] of [
      [inviting, /^yes/],
      [refusing, /^no: answered 417 first$/],
    ] as const) {
      const target = await listen(server);
      const probe = expectContinue(target, '/device/reprovision?api-version=2019-04-10', 5_000);
      try {
        await probe.ready;
        assert.match(probe.finding?.() ?? '', expected);
      } finally {
        probe.stop();
        await close(server);
      }
    }
  });

  it('sums good requests up: median and max of the answered ones, failures by kind', () => {
    const summary = summarizeSamples([
      { ms: 3, outcome: 'ok' },
      { ms: 1, outcome: 'ok' },
      { ms: 50, outcome: 'timeout' },
      { ms: 2, outcome: 'ok' },
      { ms: 9, outcome: 'ok' },
      { ms: 1, outcome: 'ECONNRESET' },
      { ms: 1, outcome: 'ECONNRESET' },
    ]);
    assert.deepEqual(summary, { ok: 4, failed: { timeout: 1, ECONNRESET: 2 }, medianMs: 2.5, maxMs: 9 });
    const none = summarizeSamples([{ ms: 1, outcome: 'status 503' }]);
    assert.equal(none.ok, 0);
    assert.ok(Number.isNaN(none.medianMs) && Number.isNaN(none.maxMs));
  });
});
