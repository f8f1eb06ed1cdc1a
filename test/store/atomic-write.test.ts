import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../src/store/atomic-write.js';
import { tempDir } from '../support/tmp.js';

describe('atomic file replacement', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'store.yaml');
  });

  it('creates a new file with exactly the mode asked for, whatever the umask', async () => {
    const umask = process.umask(0);
    try {
      assert.deepEqual(await writeFileAtomic(file, 'one', { mode: 0o600 }), { file });
    } finally {
      process.umask(umask);
    }
    assert.equal(readFileSync(file, 'utf8'), 'one');
    assert.equal(statSync(file).mode & 0o7777, 0o600);
    assert.deepEqual(readdirSync(dir), ['store.yaml']);
  });

  it('keeps the replaced file as NAME.bak, the very inode (no copy with other permissions)', async () => {
    writeFileSync(file, 'old', { mode: 0o640 });
    const oldInode = statSync(file).ino;
    assert.deepEqual(await writeFileAtomic(file, 'new', { mode: 0o600, owner: { uid: 1, gid: 1 } }), { file, backup: `${file}.bak` });
    assert.equal(readFileSync(file, 'utf8'), 'new');
    const stat = statSync(file);
    assert.deepEqual([stat.mode & 0o777, stat.uid, stat.gid], [0o600, 1, 1]);
    assert.equal(statSync(`${file}.bak`).ino, oldInode);
    assert.equal(readFileSync(`${file}.bak`, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir).sort(), ['store.yaml', 'store.yaml.bak']);
  });

  it('replaces nothing when the check before replacing rejects, and leaves no temporary file', async () => {
    writeFileSync(file, 'old');
    let seen = '';
    await assert.rejects(
      writeFileAtomic(file, 'new', {
        mode: 0o600,
        beforeReplace: async (temp) => {
          seen = readFileSync(temp, 'utf8');
          assert.equal(path.dirname(temp), dir, 'the temporary file is in the same directory (same file system: rename is atomic)');
          throw new Error('refused');
        },
      }),
      /refused/,
    );
    assert.equal(seen, 'new', 'the check sees the new content on disk');
    assert.equal(readFileSync(file, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['store.yaml']);
  });

  it('follows a symlink: the file it points to is replaced and the link stays', async () => {
    const real = path.join(tempDir(), 'real.yaml');
    writeFileSync(real, 'old');
    symlinkSync(real, file);
    assert.deepEqual(await writeFileAtomic(file, 'new', { mode: 0o600 }), { file: realpathSync(real), backup: `${realpathSync(real)}.bak` });
    assert.equal(lstatSync(file).isSymbolicLink(), true);
    assert.equal(readFileSync(file, 'utf8'), 'new');
  });

  it('fails without creating anything when the directory does not exist', async () => {
    await assert.rejects(writeFileAtomic(path.join(dir, 'missing', 'store.yaml'), 'x', { mode: 0o600 }), { code: 'ENOENT' });
    assert.deepEqual(readdirSync(dir), []);
  });
});
