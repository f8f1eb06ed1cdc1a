/**
 * The Debian package (`make deb`, packaging/deb/build.sh): built from this tree, checked
 * by lintian, installed with `dpkg --root` into a fresh Debian 13 root (debootstrap
 * minbase, nodejs from Debian inside it), and the installed xprov run there as the
 * service would run it: its shipped /etc/xprov/config.yaml, user xprov, a store written
 * by the installed `xprov store set`, then `xprov check` against it.
 *
 * One debootstrap per run (about 40 s, the mirror of the host's apt sources): every
 * test here shares the root, in the order install, serve, purge. Commands inside the
 * root run through chroot in a private mount namespace (unshare), with /proc mounted
 * there only, so that nothing stays mounted when a test is killed. systemd is not PID 1
 * on these machines, so the units are not started: the socket's enablement is checked
 * as the symlink deb-systemd-helper writes, and the units themselves by
 * test/examples/systemd.test.ts (the package ships them unchanged).
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { API_VERSION_QUERY, daemonRequest, provisionLikeDaemon } from '../support/daemon-client.js';
import { eventually } from '../support/eventually.js';
import { repoRoot } from '../support/paths.js';
import { recordOutput, registerSecret } from '../support/secrets.js';
import { tempDir } from '../support/tmp.js';
import { runXprov } from '../support/xprov-process.js';

const SUITE = 'trixie';
const STORE = '/etc/xprov/provisioning.yaml';

/** The first `URIs:` of the host's Debian sources (the mirror these machines reach), else deb.debian.org. */
function mirror(): string {
  try {
    const m = /^URIs:\s*(\S+)/m.exec(readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8'));
    if (m?.[1] !== undefined && !m[1].includes('security')) return m[1];
  } catch {
    // No deb822 sources: the default mirror.
  }
  return 'http://deb.debian.org/debian';
}

/** The environment of commands here: the host's, without the host's CA file (node in the root warns it is missing). */
function rootEnv(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  return { ...env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
}

/** Runs a command; its output is recorded for the secrets scan. Throws naming the command when it fails. */
function run(command: string, args: readonly string[], options: { input?: string; timeoutMs?: number; ok?: boolean } = {}): SpawnSyncReturns<string> {
  const res = spawnSync(command, args, {
    encoding: 'utf8',
    input: options.input,
    timeout: options.timeoutMs ?? 120_000,
    env: rootEnv(),
  });
  if (res.error) throw new Error(`cannot run ${command} (${res.error.message}); \`make tools\` installs it`);
  recordOutput(`${command} ${args.join(' ')}`, `${res.stdout}${res.stderr}`);
  if (options.ok !== false && res.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${String(res.status ?? res.signal)}:\n${res.stdout}${res.stderr}`);
  }
  return res;
}

/** argv that runs `args` chrooted into `root`, with /proc mounted in a private mount namespace. */
function inRoot(root: string, args: readonly string[], userspec?: string): string[] {
  const chroot = userspec === undefined ? ['chroot', root] : ['chroot', `--userspec=${userspec}`, root];
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t proc proc "$0/proc" && exec "$@"', root, ...chroot, ...args];
}

/** Runs `args` in the root (see inRoot). */
function runInRoot(root: string, args: readonly string[], options: { input?: string; timeoutMs?: number; ok?: boolean } = {}): SpawnSyncReturns<string> {
  const [command, ...rest] = inRoot(root, args) as [string, ...string[]];
  return run(command, rest, options);
}

/** uid:gid of `name` in the root's /etc/passwd. */
function userOf(root: string, name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync(path.join(root, 'etc/passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (line === undefined) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

describe('the Debian package (make deb)', function () {
  // debootstrap (~40 s) and the nodejs install dominate; lintian takes ~15 s.
  this.timeout(300_000);

  let deb = '';
  let root = '';
  let postinstOutput = '';

  before(() => {
    if (process.getuid?.() !== 0) {
      throw new Error('the package test needs root (debootstrap, chroot, dpkg --root): run it as root, as CI does');
    }
    const dir = tempDir();
    deb = run(path.join(repoRoot, 'packaging/deb/build.sh'), [path.join(dir, 'out')]).stdout.trim();
    root = path.join(dir, 'root');
    run('debootstrap', ['--variant=minbase', SUITE, root, mirror()], { timeoutMs: 240_000 });
    runInRoot(root, ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'nodejs'], { timeoutMs: 240_000 });
    // dpkg chroots into the root for the maintainer scripts; /proc is mounted as for apt.
    postinstOutput = run('unshare', [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t proc proc "$0/proc" && exec dpkg --root "$0" -i "$1"',
      root,
      deb,
    ]).stdout;
  });

  it('is named xprov_VERSION_all.deb and is lintian-clean (no error, no warning)', () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.equal(path.basename(deb), `xprov_${version}_all.deb`);
    const res = run('lintian', ['--fail-on', 'error,warning', deb], { ok: false });
    assert.equal(res.stdout, '', 'lintian tags');
    assert.equal(res.status, 0, res.stderr);
  });

  it('declares nodejs (>= 20.19), the conffile, and ships no store and no node_modules', () => {
    const control = run('dpkg-deb', ['--field', deb, 'Depends', 'Architecture']).stdout;
    assert.match(control, /^Depends: nodejs \(>= 20\.19\)$/m);
    assert.match(control, /^Architecture: all$/m);
    assert.equal(run('dpkg-deb', ['--ctrl-tarfile', deb]).status, 0);
    const files = run('dpkg-deb', ['--contents', deb]).stdout;
    assert.doesNotMatch(files, /node_modules|provisioning\.yaml/);
    const conffiles = run('sh', ['-c', 'dpkg-deb --ctrl-tarfile "$0" | tar -xO ./conffiles', deb]).stdout;
    assert.equal(conffiles, '/etc/xprov/config.yaml\n');
  });

  it('installs as a system service: program, units, user, directories, the socket enabled, the next step printed', () => {
    for (const file of [
      'usr/lib/xprov/bin/xprov.cjs',
      'usr/lib/xprov/dist/xprov.cjs',
      'usr/lib/xprov/package.json',
      'usr/lib/systemd/system/xprov.socket',
      'usr/lib/systemd/system/xprov.service',
      'usr/lib/sysusers.d/xprov.conf',
      'usr/lib/tmpfiles.d/xprov.conf',
      'etc/xprov/config.yaml',
    ]) {
      assert.ok(existsSync(path.join(root, file)), `/${file} is installed`);
    }
    assert.equal(readFileSync(path.join(root, 'etc/xprov/config.yaml'), 'utf8'), readFileSync(path.join(repoRoot, 'examples/systemd/config.yaml'), 'utf8'));
    assert.equal(readlinkSync(path.join(root, 'usr/bin/xprov')), '../lib/xprov/bin/xprov.cjs');
    assert.ok(!existsSync(path.join(root, STORE)), 'no store is shipped');
    const xprov = userOf(root, 'xprov');
    assert.ok(xprov !== undefined && xprov.uid < 1000, 'a system user xprov');
    const state = statSync(path.join(root, 'var/lib/xprov'));
    assert.deepEqual([state.uid, state.gid, state.mode & 0o7777], [xprov.uid, xprov.gid, 0o700]);
    // Traversable by the service's group only: the store's name is nobody else's business.
    const etc = statSync(path.join(root, 'etc/xprov'));
    assert.deepEqual([etc.uid, etc.gid, etc.mode & 0o7777], [0, xprov.gid, 0o750]);
    assert.ok(lstatSync(path.join(root, 'etc/systemd/system/sockets.target.wants/xprov.socket')).isSymbolicLink(), 'xprov.socket is enabled');
    assert.match(postinstOutput, /the next step is `xprov store set`/);
    assert.match(postinstOutput, /xprov store set --config \/etc\/xprov\/config\.yaml/);
    assert.match(runInRoot(root, ['xprov', '--version']).stdout, /^\d+\.\d+\.\d+/);
  });

  // Mocha runs a describe's own tests before its nested describes: the order install,
  // serve, purge is kept by keeping them all at this level.
  it('serves from its shipped config as user xprov: 503 naming `xprov store set` until the store exists, then `xprov check` passes', async () => {
    const xprov = userOf(root, 'xprov');
    assert.ok(xprov !== undefined);
    // The listener systemd's socket would be: a Unix socket in the root's /run.
    const runDir = path.join(root, 'run/xprov-test');
    mkdirSync(runDir, { recursive: true });
    run('chown', [`${xprov.uid}:${xprov.gid}`, runDir]);
    const endpoint = 'unix:///run/xprov-test/xprov.sock';
    const hostEndpoint = `unix://${runDir}/xprov.sock`;
    const serve = runXprov(['serve', '--config', '/etc/xprov/config.yaml', '--listen', endpoint], {
      program: inRoot(root, ['/usr/bin/xprov'], `${xprov.uid}:${xprov.gid}`),
      env: { NODE_EXTRA_CA_CERTS: undefined },
    });
    try {
      await serve.waitForLog((l) => l.msg === 'xprov serving', 20_000);
      const before = await daemonRequest(hostEndpoint, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
      assert.equal(before.status, 503);
      assert.deepEqual(JSON.parse(before.body.toString()), {
        message: `no valid provisioning information: store ${STORE}: does not exist; the next step is \`xprov store set --store ${STORE} ...\`, which writes it`,
      });

      // What postinst prints, step by step: the installed `xprov store set`, then the group read.
      const key = randomBytes(32).toString('base64');
      registerSecret(key);
      runInRoot(
        root,
        ['xprov', 'store', 'set', '--config', '/etc/xprov/config.yaml', '--hub', 'pkg-hub.azure-devices.net', '--device', 'pkg-device', '--key-file', '-'],
        { input: `${key}\n` },
      );
      runInRoot(root, ['sh', '-c', `chown root:xprov ${STORE} && chmod 0640 ${STORE}`]);
      const served = await eventually(() => provisionLikeDaemon(hostEndpoint), 15_000);
      assert.equal(served.deviceId, 'pkg-device');

      const check = runInRoot(root, ['xprov', 'check', endpoint], { ok: false });
      assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    } finally {
      assert.equal(await serve.stop(), 0, serve.stderr());
    }
  });

  it('purge removes /var/lib/xprov and the conffile, never the store', () => {
    assert.ok(existsSync(path.join(root, STORE)), 'the previous test wrote the store');
    run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -t proc proc "$0/proc" && exec dpkg --root "$0" --purge xprov', root]);
    assert.ok(!existsSync(path.join(root, 'var/lib/xprov')));
    assert.ok(!existsSync(path.join(root, 'etc/xprov/config.yaml')));
    assert.ok(!existsSync(path.join(root, 'usr/lib/xprov')));
    assert.ok(!existsSync(path.join(root, 'etc/systemd/system/sockets.target.wants/xprov.socket')));
    assert.ok(existsSync(path.join(root, STORE)), "the store is the operator's to remove");
  });
});
