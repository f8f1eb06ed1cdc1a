import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, readFileSync, readdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { leftoverWriter, writeFileAtomic } from '../../src/files/atomic-write.js';
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

  it('keeps no NAME.bak when told not to, and leaves an existing one as it is', async () => {
    writeFileSync(file, 'old');
    writeFileSync(`${file}.bak`, 'older');
    assert.deepEqual(await writeFileAtomic(file, 'new', { mode: 0o600, backup: false }), { file });
    assert.equal(readFileSync(`${file}.bak`, 'utf8'), 'older');
    assert.deepEqual(readdirSync(dir).sort(), ['store.yaml', 'store.yaml.bak']);
  });

  it('names its temporary files .NAME.xprov-PID-RANDOM.tmp, which leftoverWriter recognises', async () => {
    let temp = '';
    await writeFileAtomic(file, 'x', {
      mode: 0o600,
      beforeReplace: async (t) => {
        temp = path.basename(t);
      },
    });
    assert.match(temp, new RegExp(`^\\.store\\.yaml\\.xprov-${process.pid}-[0-9a-f]{12}\\.tmp$`));
    assert.equal(leftoverWriter(temp, 'store.yaml'), process.pid);
    assert.equal(leftoverWriter(temp, 'other.yaml'), undefined);
    assert.equal(leftoverWriter('.store.yaml.0123456789ab.tmp', 'store.yaml'), undefined, 'the old unmarked names are not claimed');
  });

  describe('leftovers of killed writers', () => {
    /** A PID that is gone: a child that has exited and been reaped. */
    const deadPid = (): number => {
      const { pid } = spawnSync('true');
      assert.ok(pid !== undefined && pid > 0);
      return pid;
    };
    const leftover = (pid: number, hex: string, suffix = 'tmp'): string => path.join(dir, `.store.yaml.xprov-${pid}-${hex}.${suffix}`);

    it('are removed before the next write: those of dead writers, regular, owned by the writer, writable by nobody else', async () => {
      writeFileSync(file, 'old', { mode: 0o600 });
      const dead = deadPid();
      const stale = [leftover(dead, 'a'.repeat(12)), leftover(dead, 'b'.repeat(12), 'bak')];
      for (const f of stale) writeFileSync(f, 'secret', { mode: 0o600 });
      writeFileSync(leftover(dead, 'c'.repeat(12)), 'group-readable', { mode: 0o640 });
      const result = await writeFileAtomic(file, 'new', { mode: 0o600 });
      assert.deepEqual([...(result.removedLeftovers ?? [])].sort(), [...stale, leftover(dead, 'c'.repeat(12))].sort());
      assert.deepEqual(readdirSync(dir).sort(), ['store.yaml', 'store.yaml.bak']);
    });

    it("are not what someone else planted, nor a live writer's: those stay", async () => {
      writeFileSync(file, 'old', { mode: 0o600 });
      const dead = deadPid();
      const victim = path.join(tempDir(), 'victim');
      writeFileSync(victim, 'keep me');
      const planted = {
        // A symlink: removing it would be harmless, following it would not; either way not ours.
        link: leftover(dead, '1'.repeat(12)),
        // Another user's file, and one that others may write.
        foreign: leftover(dead, '2'.repeat(12)),
        writable: leftover(dead, '3'.repeat(12)),
        // A writer that is still at work (this process's parent stands for it).
        live: leftover(process.ppid, '4'.repeat(12)),
        // Names that are not this module's.
        unmarked: path.join(dir, '.store.yaml.0123456789ab.tmp'),
        otherFile: path.join(dir, `.other.yaml.xprov-${dead}-${'5'.repeat(12)}.tmp`),
      };
      symlinkSync(victim, planted.link);
      for (const f of [planted.foreign, planted.writable, planted.live, planted.unmarked, planted.otherFile]) writeFileSync(f, 'x', { mode: 0o600 });
      chownSync(planted.foreign, 65534, 65534);
      chmodSync(planted.writable, 0o622);
      const result = await writeFileAtomic(file, 'new', { mode: 0o600 });
      assert.equal(result.removedLeftovers, undefined);
      for (const f of Object.values(planted)) assert.ok(lstatSync(f, { throwIfNoEntry: false }) !== undefined, `${path.basename(f)} was removed`);
      assert.equal(readFileSync(victim, 'utf8'), 'keep me');
    });
  });
});
