/**
 * systemd socket activation end to end, with systemd's own tool rather than a
 * simulation of the protocol: `systemd-socket-activate -l SOCK --fdname=NAME` binds
 * the socket, waits for the first connection, then execs xprov with the socket as
 * fd 3 and LISTEN_FDS/LISTEN_FDNAMES set. Exec keeps the PID, so LISTEN_PID (the
 * wrapper's PID) is xprov's, as under systemd.
 *
 * Because the child is only exec'd on the first connection, these tests connect first
 * and wait for xprov's "xprov serving" line after: that first request waits in the
 * socket's backlog meanwhile, exactly as iotedged's request does at boot.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync } from 'node:fs';
import { type Socket, connect, createServer } from 'node:net';
import path from 'node:path';
import { API_VERSION_QUERY, daemonRequest, parseLikeDaemon, reprovisionLikeDaemon } from '../support/daemon-client.js';
import { eventually } from '../support/eventually.js';
import { assertConformsToSpec } from '../support/spec.js';
import { privateExample } from '../support/private-examples.js';
import { tempDir } from '../support/tmp.js';
import { type XprovProcess, runXprov } from '../support/xprov-process.js';

const STORE = privateExample('symmetric-key-payload.yaml');

/** The environment without any socket activation of the test runner's own. */
const NO_ACTIVATION: NodeJS.ProcessEnv = { LISTEN_PID: undefined, LISTEN_FDS: undefined, LISTEN_FDNAMES: undefined };

/**
 * Starts `xprov serve ARGS` under systemd-socket-activate, listening on `sockets`
 * (names given by --fdname), and resolves once the sockets are listening (xprov itself
 * is not running yet: it is exec'd on the first connection).
 */
async function activate(sockets: readonly string[], fdnames: readonly string[], args: readonly string[]): Promise<XprovProcess> {
  const wrapper = ['systemd-socket-activate', ...sockets.flatMap((s) => ['-l', s]), `--fdname=${fdnames.join(':')}`];
  const proc = runXprov(['serve', ...args], { wrapper, env: NO_ACTIVATION });
  // systemd-socket-activate reports "Listening on PATH as FD." after listen(2); the
  // socket file alone would exist a moment earlier, between bind(2) and listen(2),
  // when a connection is refused.
  await eventually(
    async () =>
      assert.ok(
        sockets.every((s) => proc.stderr().includes(s)) || proc.child.exitCode !== null,
        `waiting for systemd-socket-activate to listen (stderr: ${proc.stderr()})`,
      ),
    10_000,
  );
  assert.equal(proc.child.exitCode, null, `systemd-socket-activate exited: ${proc.stderr()}`);
  return proc;
}

/** Opens a connection to `sock` (which makes systemd-socket-activate exec xprov) and keeps it open. */
function poke(sock: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const conn = connect(sock, () => resolve(conn));
    // xprov closing the connection when it fails to start is expected, not an error.
    conn.on('error', () => {});
    conn.once('error', reject);
  });
}

/** A free loopback port: bind 0, read it, close. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The lines xprov itself wrote on stderr (systemd-socket-activate writes its own there). */
function xprovStderr(proc: XprovProcess): string[] {
  return proc
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('xprov:'));
}

describe('systemd socket activation (systemd-socket-activate)', () => {
  it('serves the daemon over the socket passed as fd://xprov, in the same process that got LISTEN_PID', async () => {
    const sock = path.join(tempDir(), 'x.sock');
    const proc = await activate([sock], ['xprov'], ['--store', STORE, '--listen', 'fd://xprov']);

    // The first request is what starts xprov; it waits in the backlog until xprov accepts.
    const res = await daemonRequest(`unix://${sock}`, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
    assert.equal(res.status, 200, res.body.toString('utf8'));
    assertConformsToSpec('GetDeviceProvisioningInformation', res);
    const info = parseLikeDaemon(res.body);
    assert.equal(info.hubName, 'example-hub.azure-devices.net');
    assert.equal(info.deviceId, 'example-device');
    assert.equal(info.credentials.kind, 'symmetric-key-payload');

    const serving = await proc.waitForLog((l) => l.msg === 'xprov serving');
    assert.deepEqual(serving.listen, ['fd://xprov (fd 3)']);
    // exec kept the wrapper's PID, which is what LISTEN_PID names.
    assert.equal(serving.pid, proc.child.pid);
    // The reprovision notice (GET, as the daemon sends it) reaches it the same way.
    assert.equal(await reprovisionLikeDaemon(`unix://${sock}`), 200);
    assert.equal(await proc.stop('SIGTERM'), 0);
  });

  it('serves every passed socket with fd:// (no name)', async () => {
    const dir = tempDir();
    const socks = [path.join(dir, 'a.sock'), path.join(dir, 'b.sock')];
    const proc = await activate(socks, ['xprov', 'second'], ['--store', STORE, '--listen', 'fd://']);
    for (const sock of socks) {
      const res = await daemonRequest(`unix://${sock}`, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
      assert.equal(res.status, 200, `${sock}: ${res.body.toString('utf8')}`);
      assertConformsToSpec('GetDeviceProvisioningInformation', res);
    }
    const serving = await proc.waitForLog((l) => l.msg === 'xprov serving');
    assert.deepEqual(serving.listen, ['fd://xprov (fd 3)', 'fd://second (fd 4)']);
    assert.equal(await proc.stop('SIGTERM'), 0);
  });

  it('serves the passed sockets when activated without any --listen', async () => {
    const sock = path.join(tempDir(), 'x.sock');
    const proc = await activate([sock], ['xprov'], ['--store', STORE]);
    const res = await daemonRequest(`unix://${sock}`, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
    assert.equal(res.status, 200, res.body.toString('utf8'));
    const serving = await proc.waitForLog((l) => l.msg === 'xprov serving');
    // Not the TCP default: under activation the passed sockets are the listeners.
    assert.deepEqual(serving.listen, ['fd://xprov (fd 3)']);
    assert.equal(await proc.stop('SIGTERM'), 0);
  });

  it('checks the Host of a passed TCP socket like a TCP listener (DNS rebinding), not that of a passed Unix socket', async () => {
    const dir = tempDir();
    const sock = path.join(dir, 'x.sock');
    const port = await freePort();
    const proc = await activate([sock, `127.0.0.1:${port}`], ['unix', 'tcp'], ['--store', STORE, '--listen', 'fd://']);
    const viaUnix = await daemonRequest(`unix://${sock}`, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
    assert.equal(viaUnix.status, 200, 'the daemon sends the hex-encoded path as Host over a Unix socket');
    assert.equal((await daemonRequest(`http://127.0.0.1:${port}`, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`)).status, 200);
    const rebound = await daemonRequest(`http://127.0.0.1:${port}`, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`, {
      host: `evil.example:${port}`,
    });
    assert.equal(rebound.status, 421);
    assert.equal(await proc.stop('SIGTERM'), 0);
  });

  it('refuses to start on fd://other, naming the sockets that were passed', async () => {
    const sock = path.join(tempDir(), 'x.sock');
    const proc = await activate([sock], ['xprov'], ['--store', STORE, '--listen', 'fd://other']);
    const conn = await poke(sock);
    try {
      assert.equal(await proc.exited, 1);
    } finally {
      conn.destroy();
    }
    const lines = xprovStderr(proc);
    assert.equal(lines.length, 1, proc.stderr());
    assert.match(lines[0] ?? '', /^xprov: cannot start: fd:\/\/other: no passed socket has that name \(passed: xprov\)$/);
  });

  it('leaves the socket file in place when it stops on SIGTERM (systemd owns it)', async () => {
    const sock = path.join(tempDir(), 'x.sock');
    const proc = await activate([sock], ['xprov'], ['--store', STORE, '--listen', 'fd://xprov']);
    const res = await daemonRequest(`unix://${sock}`, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
    assert.equal(res.status, 200);
    await proc.waitForLog((l) => l.msg === 'xprov serving');

    assert.equal(await proc.stop('SIGTERM'), 0);
    assert.ok(
      proc.logLines().some((l) => l.msg === 'stopped'),
      'no "stopped" log line',
    );
    // Unlinking it would break the socket unit: systemd would keep listening on a
    // socket nobody can reach, and iotedged's next start would find no file.
    assert.ok(existsSync(sock), 'xprov removed the socket systemd passed to it');
    assert.ok(lstatSync(sock).isSocket());
  });

  describe('fd:// without activation', () => {
    /** Runs `xprov serve --listen fd://x` with `env` and checks it fails fast, with one line. */
    async function failsFast(env: NodeJS.ProcessEnv): Promise<string> {
      const started = Date.now();
      const proc = runXprov(['serve', '--store', STORE, '--listen', 'fd://x'], { env });
      assert.equal(await proc.exited, 1);
      // Fast: no waiting for sockets that will never come (the time is node's start-up).
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
      assert.match(proc.stderr(), /^[^\n]+\n$/, `stderr is not one line: ${JSON.stringify(proc.stderr())}`);
      return proc.stderr();
    }

    it('exits 1 with a one-line message when systemd passed nothing', async () => {
      const stderr = await failsFast(NO_ACTIVATION);
      assert.match(stderr, /^xprov: cannot start: fd:\/\/x: no sockets were passed to this process\b/);
    });

    it('ignores LISTEN_FDS meant for another process (LISTEN_PID is not ours)', async () => {
      // An inherited LISTEN_FDS (a parent's, not cleared) must not make xprov take fd 3.
      const stderr = await failsFast({ LISTEN_PID: '1', LISTEN_FDS: '1', LISTEN_FDNAMES: 'x' });
      assert.match(stderr, /^xprov: cannot start: fd:\/\/x: no sockets were passed to this process\b/);
    });
  });
});
