import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { applySocketOwnership, makeDirectories, prepareSocketPath, removeSocket } from '../../src/server/unix-socket.js';
import { tempDir } from '../support/tmp.js';

function listen(socketPath: string): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(socketPath, () => resolve(server));
  });
}

/** Leaves a socket file with nobody listening, as a crashed process does: it is SIGKILLed. */
async function staleSocket(socketPath: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}

describe('unix socket paths', () => {
  it('creates missing parent directories', async () => {
    const socketPath = path.join(tempDir(), 'a', 'b', 'x.sock');
    await prepareSocketPath(socketPath);
    assert.equal(lstatSync(path.dirname(socketPath)).isDirectory(), true);
  });

  it('removes a stale socket left by a crash', async () => {
    const socketPath = path.join(tempDir(), 'stale.sock');
    await staleSocket(socketPath);
    assert.equal(lstatSync(socketPath).isSocket(), true, 'test setup: the stale socket exists');
    await prepareSocketPath(socketPath);
    assert.equal(existsSync(socketPath), false);
  });

  it('refuses a socket another process is listening on', async () => {
    const socketPath = path.join(tempDir(), 'live.sock');
    const server = await listen(socketPath);
    try {
      await assert.rejects(prepareSocketPath(socketPath), /is in use: another process is listening on it/);
      assert.equal(lstatSync(socketPath).isSocket(), true);
    } finally {
      server.close();
    }
  });

  it('refuses to replace a file that is not a socket', async () => {
    const file = path.join(tempDir(), 'precious.txt');
    writeFileSync(file, 'keep me');
    await assert.rejects(prepareSocketPath(file), /refusing to replace .*precious\.txt: it exists and is not a socket/);
    assert.equal(existsSync(file), true);
  });

  it('removes only the socket it created (same inode)', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'mine.sock');
    await staleSocket(socketPath);
    const { ino } = lstatSync(socketPath);
    await removeSocket(socketPath, ino + 1);
    assert.equal(existsSync(socketPath), true, 'another inode is left alone');
    await removeSocket(socketPath, ino);
    assert.equal(existsSync(socketPath), false);
    await removeSocket(socketPath, ino);
  });

  it('never follows a path swapped after bind: a symlink planted to a root-owned 0600 file keeps it 0600 (issue 8)', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'api.sock');
    const server = await listen(socketPath);
    try {
      const bound = lstatSync(socketPath);
      const precious = path.join(dir, 'shadow');
      writeFileSync(precious, 'root only');
      chmodSync(precious, 0o600);
      // What another user would do between bind(2) and chmod(2), were the directory theirs.
      renameSync(socketPath, path.join(dir, 'moved.sock'));
      symlinkSync(precious, socketPath);
      await assert.rejects(
        applySocketOwnership(socketPath, bound, 0o660, 1),
        /api\.sock was replaced after xprov bound it: refusing to change the owner or mode/,
      );
      const after = lstatSync(precious);
      assert.equal(after.mode & 0o777, 0o600);
      assert.equal(after.gid, 0);
    } finally {
      server.close();
    }
  });

  it('gives the socket it bound its group and mode', async () => {
    const socketPath = path.join(tempDir(), 'api.sock');
    const server = await listen(socketPath);
    try {
      await applySocketOwnership(socketPath, lstatSync(socketPath), 0o660, 1);
      const stat = lstatSync(socketPath);
      assert.equal(stat.mode & 0o777, 0o660);
      assert.equal(stat.gid, 1);
    } finally {
      server.close();
    }
  });

  describe('refuses a socket directory another user could change, naming the fix (issue 8)', () => {
    const cases: [string, (dir: string) => void, RegExp][] = [
      ['writable by others', (dir) => chmodSync(dir, 0o777), /mode 0777 \(writable by group, writable by others\); fix: chmod g-w,o-w /],
      ['writable by its group', (dir) => chmodSync(dir, 0o775), /mode 0775 \(writable by group\); fix: chmod g-w /],
      ['owned by another user', (dir) => chownSync(dir, 65534, 0), /owner nobody \(uid 65534\) and mode 0755 \(not owned by root\); fix: chown root /],
    ];
    for (const [name, spoil, problem] of cases) {
      it(name, async () => {
        const dir = path.join(tempDir(), 'run');
        mkdirSync(dir, { mode: 0o755 });
        spoil(dir);
        const socketPath = path.join(dir, 'api.sock');
        const err: unknown = await prepareSocketPath(socketPath).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof ConfigError, String(err));
        assert.ok(err.message.startsWith(`socket directory ${dir} (another user could replace the socket in it) has owner `), err.message);
        assert.match(err.message, problem);
        assert.ok(err.message.endsWith(`${dir} (or run with --insecure-permissions)`), err.message);
        const warnings: string[] = [];
        await prepareSocketPath(socketPath, true, (p) => warnings.push(p));
        assert.equal(warnings.length, 1);
      });
    }

    it('accepts a root-owned sticky directory such as /tmp', async () => {
      const dir = path.join(tempDir(), 'sticky');
      mkdirSync(dir);
      chmodSync(dir, 0o1777);
      await prepareSocketPath(path.join(dir, 'api.sock'));
    });
  });

  it('fails at once with a clear error where a directory cannot be made (issue 8: unix:///proc/x/y.sock looped in mkdir)', async () => {
    await assert.rejects(makeDirectories('/proc/x'), /^Error: cannot create the socket directory \/proc\/x: ENOENT/);
    await assert.rejects(prepareSocketPath('/proc/x/y.sock'), /cannot create the socket directory \/proc\/x/);
    const file = path.join(tempDir(), 'file');
    writeFileSync(file, '');
    await assert.rejects(makeDirectories(path.join(file, 'sub')), /cannot create the socket directory .*file\/sub: ENOTDIR/);
  });
});
