/**
 * End to end: xprov serve, a daemon-like client, real sockets. Signals, sockets held
 * across processes, a FIFO and a start-up that must not hang run the shipped xprov
 * (bin/xprov.cjs running the bundle) as a process; the rest run `main` in-process.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createConnection } from 'node:net';
import path from 'node:path';
import { API_VERSION_QUERY, daemonRequest, parseLikeDaemon, provisionLikeDaemon, reprovisionLikeDaemon } from '../support/daemon-client.js';
import { TestCa, type TestIdentity } from '../support/pki.js';
import { example } from '../support/paths.js';
import { privateExample } from '../support/private-examples.js';
import { assertConformsToSpec } from '../support/spec.js';
import { eventually } from '../support/eventually.js';
import { tempDir } from '../support/tmp.js';
import { runCommand, serveCommand, startCommand } from '../support/cli-run.js';
import { exitsWithin, runXprov, serveXprov } from '../support/xprov-process.js';
import { makeFifo } from '../support/fifo.js';

const GET_PATH = `/device/provisioninginformation${API_VERSION_QUERY}`;

/** A free loopback port: bind 0, read it, close. */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** GET_PATH on 127.0.0.1:`port` with the given Host, as a browser sends it for a name that resolves there. */
function requestWithHost(port: number, host: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: GET_PATH, headers: { host }, setHost: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Sends raw bytes and resolves with everything the server sent back until it closed;
 * with `later`, `afterMs` after the first bytes (nothing outside the server shows that
 * it has read them), runs `before` and then sends `data`.
 */
function rawExchange(socketPath: string, first: string, later?: { afterMs: number; data: string; before?: () => Promise<void> }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('utf8')));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(first);
    if (later) {
      setTimeout(() => {
        (later.before?.() ?? Promise.resolve()).then(
          () => socket.write(later.data),
          (err: unknown) => {
            socket.destroy();
            reject(err);
          },
        );
      }, later.afterMs);
    }
  });
}

describe('xprov serve (end to end)', () => {
  describe('provisions a daemon-like client from every example store', () => {
    const expected = {
      'symmetric-key-payload.yaml': 'symmetric-key-payload',
      'symmetric-key-hsm.yaml': 'symmetric-key-hsm',
      'x509-payload.json': 'x509-payload',
      'x509-hsm.yaml': 'x509-hsm',
      'x509-files.yaml': 'x509-payload',
    } as const;
    for (const [name, kind] of Object.entries(expected)) {
      it(`${name} over a Unix socket and TCP`, async () => {
        const socketPath = path.join(tempDir(), 'external.sock');
        const port = await freePort();
        const xprov = await serveCommand(['--store', privateExample(name), '--listen', `unix://${socketPath}`, '--listen', `http://127.0.0.1:${port}`]);
        for (const endpoint of [`unix://${socketPath}`, `http://127.0.0.1:${port}`]) {
          const res = await daemonRequest(endpoint, 'GET', GET_PATH);
          assertConformsToSpec('GetDeviceProvisioningInformation', res);
          const info = parseLikeDaemon(res.body);
          assert.equal(info.hubName, 'example-hub.azure-devices.net');
          assert.equal(info.deviceId, 'example-device');
          assert.equal(info.credentials.kind, kind);
          if (info.credentials.kind === 'x509-payload') {
            assert.match(info.credentials.certificate.subject, /CN=example-device/);
          }
          assert.equal(await reprovisionLikeDaemon(endpoint), 200);
        }
        assert.equal(await xprov.stop(), 0);
      });
    }
  });

  it('creates the socket with mode 0660 in a new directory and removes it on SIGTERM', async () => {
    const socketPath = path.join(tempDir(), 'run', 'external', 'external.sock');
    const xprov = await serveXprov(['--store', privateExample('symmetric-key-hsm.yaml'), '--listen', `unix://${socketPath}`]);
    const stat = lstatSync(socketPath);
    assert.equal(stat.isSocket(), true);
    assert.equal(stat.mode & 0o777, 0o660);
    assert.equal(await xprov.stop('SIGTERM'), 0);
    assert.equal(existsSync(socketPath), false);
    assert.ok(xprov.logLines().some((l) => l.msg === 'stopped' && l.clean === true));
  });

  it('applies --socket-mode and --socket-group, and exits 0 on SIGINT', async () => {
    const socketPath = path.join(tempDir(), 'x.sock');
    const xprov = await serveXprov([
      '--store',
      privateExample('symmetric-key-hsm.yaml'),
      '--listen',
      `unix://${socketPath}`,
      '--socket-mode',
      '0600',
      '--socket-group',
      '1',
    ]);
    const stat = lstatSync(socketPath);
    assert.equal(stat.mode & 0o777, 0o600);
    assert.equal(stat.gid, 1);
    assert.equal(await xprov.stop('SIGINT'), 0);
  });

  it('replaces the stale socket of a crashed instance', async () => {
    const socketPath = path.join(tempDir(), 'x.sock');
    const crashed = await serveXprov(['--store', privateExample('symmetric-key-hsm.yaml'), '--listen', `unix://${socketPath}`]);
    assert.equal(await crashed.stop('SIGKILL'), 'SIGKILL');
    assert.equal(lstatSync(socketPath).isSocket(), true, 'the crash left its socket behind');
    const xprov = await serveXprov(['--store', privateExample('symmetric-key-hsm.yaml'), '--listen', `unix://${socketPath}`]);
    assert.equal((await provisionLikeDaemon(`unix://${socketPath}`)).credentials.kind, 'symmetric-key-hsm');
    await xprov.stop();
  });

  it('refuses to start on a socket path held by a live instance or by a regular file', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'x.sock');
    const first = await serveXprov(['--store', privateExample('symmetric-key-hsm.yaml'), '--listen', `unix://${socketPath}`]);
    const second = runXprov(['serve', '--store', privateExample('symmetric-key-hsm.yaml'), '--listen', `unix://${socketPath}`]);
    assert.equal(await second.exited, 1);
    assert.equal(second.stderr(), `xprov: cannot start: ${socketPath} is in use: another process is listening on it\n`);
    assert.equal((await provisionLikeDaemon(`unix://${socketPath}`)).deviceId, 'example-device', 'the first instance is untouched');
    await first.stop();

    const file = path.join(dir, 'not-a-socket');
    writeFileSync(file, 'data');
    const third = runXprov(['serve', '--store', privateExample('symmetric-key-hsm.yaml'), '--listen', `unix://${file}`]);
    assert.equal(await third.exited, 1);
    assert.equal(third.stderr(), `xprov: cannot start: refusing to replace ${file}: it exists and is not a socket\n`);
  });

  it('finishes an in-flight request on SIGTERM, then exits 0', async () => {
    const socketPath = path.join(tempDir(), 'x.sock');
    const xprov = await serveXprov(['--store', privateExample('symmetric-key-hsm.yaml'), '--listen', `unix://${socketPath}`]);
    // Headers half sent when the signal arrives; the rest follows after it.
    let signalledAt = 0;
    const answer = await rawExchange(socketPath, `GET ${GET_PATH} HTTP/1.1\r\nhost: 0:0\r\n`, {
      afterMs: 100,
      before: async () => {
        signalledAt = Date.now();
        xprov.child.kill('SIGTERM');
        // The rest is sent once xprov says it is stopping, not after a guessed pause.
        await xprov.waitForLog((l) => l.msg === 'stopping: finishing in-flight requests');
      },
      data: 'user-agent: test\r\n\r\n',
    });
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(answer, /"deviceId":"example-device"/);
    assert.equal(await xprov.exited, 0);
    assert.ok(Date.now() - signalledAt < 2000, 'the connection is closed after its answer, not after the 5 s keep-alive timeout');
  });

  it('cuts a client that is too slow to send its headers', async () => {
    const socketPath = path.join(tempDir(), 'x.sock');
    const xprov = await serveCommand([
      '--store',
      privateExample('symmetric-key-hsm.yaml'),
      '--listen',
      `unix://${socketPath}`,
      '--headers-timeout-ms',
      '300',
      '--request-timeout-ms',
      '300',
    ]);
    const started = Date.now();
    const answer = await rawExchange(socketPath, 'GET /device/provisioninginformation HTTP/1.1\r\nhost: 0:0\r\n');
    assert.match(answer, /^HTTP\/1\.1 408 Request Timeout/);
    assert.ok(Date.now() - started < 5000, 'cut within seconds, not after the 30 s default sweep');
    assert.equal((await provisionLikeDaemon(`unix://${socketPath}`)).deviceId, 'example-device');
    await xprov.stop();
  });

  describe('store files and their permissions', () => {
    it('refuses a store file others can read, naming the bits and the fix, unless --insecure-permissions', async () => {
      const dir = tempDir();
      const store = path.join(dir, 'provisioning.yaml');
      copyFileSync(example('symmetric-key-payload.yaml'), store);
      chmodSync(store, 0o644);
      const endpoint = `unix://${path.join(dir, 'x.sock')}`;
      const strict = await serveCommand(['--store', store, '--listen', endpoint]);
      const res = await daemonRequest(endpoint, 'GET', GET_PATH);
      assert.equal(res.status, 503);
      assert.deepEqual(JSON.parse(res.body.toString()), {
        message: `no valid provisioning information: store ${store}: has owner root and mode 0644 (readable by others); fix: chmod o-r ${store} (or run with --insecure-permissions)`,
      });
      chmodSync(store, 0o640);
      await strict.waitForLog((l) => l.msg === 'store loaded' && l.reason === 'change');
      assert.equal((await provisionLikeDaemon(endpoint)).deviceId, 'example-device', 'served once fixed, without a restart');
      await strict.stop();

      chmodSync(store, 0o666);
      const insecure = await serveCommand(['--store', store, '--listen', endpoint, '--insecure-permissions']);
      assert.equal((await provisionLikeDaemon(endpoint)).deviceId, 'example-device');
      assert.match(
        String(insecure.logLines().find((l) => l.msg === 'store warning')?.warning),
        /^store file has owner root and mode 0666 \(readable by others, writable by group, writable by others\); .*served anyway/,
      );
      await insecure.stop();
    });

    it('serves a rotated PEM certificate without a restart', async () => {
      const dir = tempDir();
      const pemDir = path.join(dir, 'pki');
      mkdirSync(pemDir);
      const install = (identity: TestIdentity): void => {
        // As certbot-like tools do: new files beside the old ones, then renamed over them.
        for (const [name, pem] of [
          ['device.cert.pem', identity.certPem],
          ['device.key.pem', identity.keyPem],
        ] as const) {
          writeFileSync(path.join(pemDir, `${name}.new`), pem, { mode: 0o600 });
          renameSync(path.join(pemDir, `${name}.new`), path.join(pemDir, name));
        }
      };
      const ca = TestCa.create();
      const first = ca.issue({ cn: 'dev1' });
      install(first);
      const store = path.join(dir, 'provisioning.yaml');
      const credentials =
        'credentials:\n  authType: x509\n  source: payload\n  identityCertFile: pki/device.cert.pem\n  identityPrivateKeyFile: pki/device.key.pem\n';
      writeFileSync(store, `hubName: example-hub.azure-devices.net\ndeviceId: dev1\n${credentials}`, { mode: 0o600 });
      const endpoint = `unix://${path.join(dir, 'x.sock')}`;
      const xprov = await serveCommand(['--store', store, '--listen', endpoint]);
      const served = async (): Promise<string> => {
        const { credentials: c } = await provisionLikeDaemon(endpoint);
        assert.equal(c.kind, 'x509-payload');
        return c.kind === 'x509-payload' ? c.certificate.serialNumber : '';
      };
      assert.equal(await served(), new X509Certificate(first.certPem).serialNumber);
      const second = ca.issue({ cn: 'dev1' });
      install(second);
      await xprov.waitForLog((l) => l.msg === 'store loaded' && l.reason === 'change');
      assert.equal(await served(), new X509Certificate(second.certPem).serialNumber);
      assert.equal(xprov.running(), true, 'the same run');
      await xprov.stop();
    });

    it("serves a credentials directory, by default systemd's $CREDENTIALS_DIRECTORY", async () => {
      const dir = tempDir();
      const credentials = path.join(dir, 'credentials');
      mkdirSync(credentials, { mode: 0o500 });
      const fields = { hubName: 'example-hub.azure-devices.net', deviceId: 'cred-device', authType: 'symmetric-key', source: 'hsm' };
      for (const [name, value] of Object.entries(fields)) {
        writeFileSync(path.join(credentials, name), `${value}\n`, { mode: 0o400 });
      }
      const endpoint = `unix://${path.join(dir, 'x.sock')}`;
      const xprov = await serveCommand(['--store', 'credentials:', '--listen', endpoint], { env: { CREDENTIALS_DIRECTORY: credentials } });
      const info = await provisionLikeDaemon(endpoint);
      assert.deepEqual([info.deviceId, info.credentials.kind], ['cred-device', 'symmetric-key-hsm']);
      await xprov.stop();
    });
  });

  describe('with a broken store', () => {
    it('answers 503 naming the problem until the store is fixed, and never dies', async () => {
      const dir = tempDir();
      const store = path.join(dir, 'provisioning.yaml');
      writeFileSync(store, 'hubName: example-hub.azure-devices.net\ndeviceId: d1\ncredentials:\n  authType: x509\n  source: payload\n', { mode: 0o600 });
      const socketPath = path.join(dir, 'x.sock');
      const endpoint = `unix://${socketPath}`;
      const xprov = await serveCommand(['--store', store, '--listen', endpoint]);
      const res = await daemonRequest(endpoint, 'GET', GET_PATH);
      assert.equal(res.status, 503);
      assertConformsToSpec('GetDeviceProvisioningInformation', res);
      assert.deepEqual(JSON.parse(res.body.toString()), {
        message: `no valid provisioning information: store ${store}: credentials.identityCert is required for authType x509; credentials.identityPrivateKey is required for authType x509`,
      });
      writeFileSync(store, 'hubName: example-hub.azure-devices.net\ndeviceId: d1\ncredentials:\n  authType: symmetric-key\n  source: hsm\n');
      await xprov.waitForLog((l) => l.msg === 'store loaded' && l.reason === 'change');
      assert.equal((await provisionLikeDaemon(endpoint)).deviceId, 'd1');
      rmSync(store);
      await xprov.waitForLog((l) => l.problem === `does not exist; the next step is \`xprov store set --store ${store} ...\`, which writes it`);
      assert.equal((await provisionLikeDaemon(endpoint)).deviceId, 'd1', 'the last valid content is still served');
      assert.equal(await reprovisionLikeDaemon(endpoint), 503);
      mkdirSync(store);
      assert.equal((await provisionLikeDaemon(endpoint)).deviceId, 'd1');
      assert.equal(xprov.running(), true, 'still running');
      assert.equal(await xprov.stop(), 0);
    });
  });

  it('reads its settings from a config file, flags winning', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'x.sock');
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, `store: ${privateExample('x509-hsm.yaml')}\nlisten: unix://${path.join(dir, 'unused.sock')}\nlogLevel: warn\n`);
    const xprov = startCommand(['serve', '--config', config, '--listen', `unix://${socketPath}`]);
    // At warn, the "serving" line is not logged: wait for the socket instead.
    await eventually(async () => assert.ok(existsSync(socketPath), `${socketPath} to exist`), 5000);
    assert.equal((await provisionLikeDaemon(`unix://${socketPath}`)).credentials.kind, 'x509-hsm');
    assert.equal(existsSync(path.join(dir, 'unused.sock')), false);
    assert.equal(await xprov.stop(), 0);
    assert.equal(xprov.stdout(), '', 'nothing below warn is logged');
  });

  describe('refuses bad configuration at once, in one line, with exit code 2', () => {
    const cases: [string, string[], RegExp][] = [
      [
        'a bad listen URL',
        ['--listen', 'tcp://127.0.0.1:1'],
        /^xprov: listen "tcp:\/\/127\.0\.0\.1:1" has unsupported scheme tcp: \(use unix:, http: or fd:\)\n$/,
      ],
      ['an unknown option', ['--port', '1'], /^xprov: Unknown option '--port'.*\n$/],
      ['an unreadable config file', ['--config', '/nonexistent/xprov.yaml'], /^xprov: config file \/nonexistent\/xprov\.yaml does not exist\n$/],
      ['a remote address', ['--listen', 'http://0.0.0.0:9999'], /^xprov: listen "http:\/\/0\.0\.0\.0:9999" is not a loopback address.*--allow-remote.*\n$/],
      // issue 8: exited 1, where configuration errors exit 2.
      [
        'an unknown socket group',
        ['--socket-group', 'nosuchgroup'],
        /^xprov: socketGroup: unknown group "nosuchgroup" \(not in \/etc\/group; create it with groupadd, or give a gid\)\n$/,
      ],
      ['a bad --max-connections', ['--max-connections', 'lots'], /^xprov: maxConnections must be a positive whole number \(default 64\)\n$/],
    ];
    for (const [name, args, message] of cases) {
      it(name, async () => {
        const xprov = await runCommand(['serve', ...args]);
        assert.equal(xprov.code, 2);
        assert.match(xprov.stderr, message);
        assert.equal(xprov.stdout, '');
      });
    }
    it('a config file others can write, naming owner, mode and the fix (the flag reads it with a warning)', async () => {
      const dir = tempDir();
      const config = path.join(dir, 'config.yaml');
      writeFileSync(config, `store: ${privateExample('x509-hsm.yaml')}\n`);
      chmodSync(config, 0o646);
      const refused = await runCommand(['serve', '--config', config, '--listen', `unix://${path.join(dir, 'x.sock')}`]);
      assert.equal(refused.code, 2);
      assert.equal(
        refused.stderr,
        `xprov: config file ${config} has owner root and mode 0646 (writable by others); fix: chmod o-w ${config} (or run with --insecure-permissions)\n`,
      );
      const insecure = await serveCommand(['--config', config, '--listen', `unix://${path.join(dir, 'x.sock')}`, '--insecure-permissions']);
      assert.match(
        insecure.stderr(),
        /^xprov: warning: config file .* has owner root and mode 0646 \(writable by others\); fix: chmod o-w .*; read anyway \(--insecure-permissions\)\n/,
      );
      assert.equal(await insecure.stop(), 0);
    });

    it('a FIFO as config file, at once (it blocked start-up for good)', async () => {
      const fifo = makeFifo(path.join(tempDir(), 'config.yaml'));
      const xprov = runXprov(['serve', '--config', fifo]);
      assert.equal(await exitsWithin(xprov, 5000), 2);
      assert.equal(xprov.stderr(), `xprov: config file ${fifo} is a FIFO (named pipe), not a regular file\n`);
    });

    it('a socket directory others can write (issue 8), naming the fix', async () => {
      const dir = path.join(tempDir(), 'open');
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      const xprov = await runCommand(['serve', '--store', privateExample('symmetric-key-hsm.yaml'), '--listen', `unix://${dir}/x.sock`]);
      assert.equal(xprov.code, 2);
      assert.equal(
        xprov.stderr,
        `xprov: socket directory ${dir} (another user could replace the socket in it) has owner root and mode 0777 (writable by group, writable by others); fix: chmod g-w,o-w ${dir} (or run with --insecure-permissions)\n`,
      );
      assert.equal(existsSync(`${dir}/x.sock`), false);
    });

    it('an unknown command', async () => {
      const xprov = await runCommand(['srve']);
      assert.equal(xprov.code, 2);
      assert.equal(xprov.stderr, 'xprov: unknown command "srve" (see xprov --help)\n');
    });
  });

  it('exits 1 at once with a clear error for a socket directory that cannot be made (issue 8: unix:///proc/x/y.sock looped in mkdir, deaf to SIGTERM)', async () => {
    const xprov = runXprov(['serve', '--store', privateExample('symmetric-key-hsm.yaml'), '--listen', 'unix:///proc/x/y.sock']);
    assert.equal(await xprov.exited, 1);
    assert.match(xprov.stderr(), /^xprov: cannot start: cannot create the socket directory \/proc\/x: ENOENT/);
  });

  it('warns when the socket mode lets every local user connect', async () => {
    const socketPath = path.join(tempDir(), 'x.sock');
    const xprov = await serveCommand(['--store', privateExample('symmetric-key-hsm.yaml'), '--listen', `unix://${socketPath}`, '--socket-mode', '0666']);
    assert.equal(lstatSync(socketPath).mode & 0o777, 0o666);
    const warning = xprov.logLines().find((l) => l.level === 40 && typeof l.msg === 'string' && l.msg.startsWith('socketMode lets every local user connect'));
    assert.equal(warning?.socketMode, '0666');
    assert.equal(await xprov.stop(), 0);
  });

  it('answers a DNS-rebinding request (Host: evil.example) over TCP with 421 and no key, the daemon with its key', async () => {
    const port = await freePort();
    const xprov = await serveCommand([
      '--store',
      privateExample('symmetric-key-payload.yaml'),
      '--listen',
      `http://127.0.0.1:${port}`,
      '--allowed-host',
      'edge.local',
    ]);
    const rebound = await requestWithHost(port, `evil.example:${port}`);
    assert.equal(rebound.status, 421);
    assert.match((JSON.parse(rebound.body.toString('utf8')) as { message: string }).message, /^Host "evil\.example:\d+" is not answered here/);
    assert.ok(!rebound.body.toString('utf8').includes('"key"'));
    for (const host of ['127.0.0.1', 'localhost', 'edge.local']) {
      const res = await requestWithHost(port, `${host}:${port}`);
      assert.equal(res.status, 200, host);
      assert.equal(parseLikeDaemon(res.body).credentials.kind, 'symmetric-key-payload');
    }
    assert.equal(await xprov.stop(), 0);
  });

  it('lists every store form in serve --help (issue 8: credentials: and dps: were missing)', async () => {
    const help = await runCommand(['serve', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /credentials:DIR/);
    assert.match(help.stdout, /dps:SETTINGS/);
    assert.match(help.stdout, /--max-connections VALUE\n.*\[default: 64\]/);
    assert.match(help.stdout, /--allowed-host VALUE/);
  });

  it('prints its version and help (the shipped bin)', async () => {
    const version = runXprov(['--version']);
    assert.equal(await version.exited, 0);
    assert.match(version.stdout(), /^\d+\.\d+\.\d+\n$/);
    const help = runXprov(['serve', '--help']);
    assert.equal(await help.exited, 0);
    assert.match(help.stdout(), /--listen VALUE/);
  });
});
