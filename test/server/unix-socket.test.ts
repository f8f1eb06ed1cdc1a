import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import path from 'node:path';
import { prepareSocketPath, removeSocket } from '../../src/server/unix-socket.js';
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
});
