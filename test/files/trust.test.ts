import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  INSECURE_HINT,
  directoryTrustProblem,
  directoryTrustProblemSync,
  fileTrustProblem,
  fileTrustProblemSync,
  permissionProblem,
  readTrustedFile,
  readTrustedFileSync,
} from '../../src/files/trust.js';
import { tempDir } from '../support/tmp.js';

/** The unprivileged user the attacks are made as (tests run as root, as CI does). */
const NOBODY = 65534;
const MAX = 4096;

/** A file as xprov wants it: root-owned (the tests' uid), owner-only. */
function trusted(file: string, text = 'content'): string {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** A directory as xprov wants it. */
function trustedDir(dir: string): string {
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  return dir;
}

describe('file trust', () => {
  let dir: string;
  beforeEach(() => {
    // Under /tmp (root-owned 1777): the sticky rule lets a root-owned entry be trusted there.
    dir = tempDir();
  });

  describe('permissionProblem (the mode bits alone)', () => {
    it('allows owner-only and group-readable files, and certificates readable by all', () => {
      for (const mode of [0o600, 0o400, 0o640, 0o440, 0o100600]) {
        assert.equal(permissionProblem('/f', mode, 'secret'), undefined, mode.toString(8));
      }
      assert.equal(permissionProblem('/f', 0o644, 'public'), undefined);
    });

    it('names every loose bit and the chmod that removes exactly those', () => {
      assert.equal(permissionProblem('/etc/xprov/p.yaml', 0o100644, 'secret'), 'has mode 0644 (readable by others); fix: chmod o-r /etc/xprov/p.yaml');
      assert.equal(permissionProblem('/f', 0o660, 'secret'), 'has mode 0660 (writable by group); fix: chmod g-w /f');
      assert.equal(permissionProblem('/f', 0o602, 'secret'), 'has mode 0602 (writable by others); fix: chmod o-w /f');
      assert.equal(
        permissionProblem('/f', 0o777, 'secret'),
        'has mode 0777 (readable by others, writable by group, writable by others); fix: chmod g-w,o-rw /f',
      );
      assert.equal(permissionProblem('/f', 0o666, 'public'), 'has mode 0666 (writable by group, writable by others); fix: chmod g-w,o-w /f');
    });

    it('quotes a path the shell would split', () => {
      assert.equal(permissionProblem("/my store/it's.yaml", 0o604, 'secret'), `has mode 0604 (readable by others); fix: chmod o-r '/my store/it'\\''s.yaml'`);
    });
  });

  describe('a file', () => {
    it('is trusted when root-owned, not writable by group/others, in trusted directories (group read allowed)', async () => {
      const file = trusted(path.join(dir, 'p.yaml'));
      assert.equal(await fileTrustProblem(file, { role: 'secret' }), undefined);
      chmodSync(file, 0o640);
      assert.equal(await fileTrustProblem(file, { role: 'secret' }), undefined);
      chmodSync(file, 0o644);
      assert.equal(await fileTrustProblem(file, { role: 'public' }), undefined);
    });

    it('names owner, mode and the chmod for loose bits', async () => {
      const file = trusted(path.join(dir, 'p.yaml'));
      chmodSync(file, 0o644);
      assert.equal(await fileTrustProblem(file, { role: 'secret' }), `has owner root and mode 0644 (readable by others); fix: chmod o-r ${file}`);
      chmodSync(file, 0o666);
      assert.equal(
        await fileTrustProblem(file, { role: 'public' }),
        `has owner root and mode 0666 (writable by group, writable by others); fix: chmod g-w,o-w ${file}`,
      );
    });

    it('owned by another user is refused, with the chown', async () => {
      const file = trusted(path.join(dir, 'p.yaml'));
      chownSync(file, NOBODY, NOBODY);
      assert.equal(
        await fileTrustProblem(file, { role: 'secret', uid: 0 }),
        `has owner nobody (uid ${NOBODY}) and mode 0600 (not owned by root); fix: chown root ${file}`,
      );
      chmodSync(file, 0o606);
      assert.equal(
        fileTrustProblemSync(file, { role: 'secret', uid: 0 }),
        `has owner nobody (uid ${NOBODY}) and mode 0606 (not owned by root, readable by others, writable by others); fix: chown root ${file} && chmod o-rw ${file}`,
      );
    });

    it("owned by xprov's own uid is trusted; the message says which uid is", async () => {
      const file = trusted(path.join(dir, 'p.yaml'));
      chownSync(file, NOBODY, NOBODY);
      assert.equal(await fileTrustProblem(file, { role: 'secret', uid: NOBODY }), undefined);
      chownSync(file, 1234, 1234);
      assert.match(
        String(await fileTrustProblem(file, { role: 'secret', uid: NOBODY })),
        /^has owner uid 1234 and mode 0600 \(owned by neither root nor xprov's uid 65534\); fix: chown root /,
      );
    });

    it('behind a root-owned symbolic link, the target counts: a 0600 file owned by nobody is refused', async () => {
      const target = trusted(path.join(dir, 'nobodys.yaml'));
      chownSync(target, NOBODY, NOBODY);
      const link = path.join(dir, 'p.yaml');
      symlinkSync(target, link);
      assert.equal(
        await fileTrustProblem(link, { role: 'secret' }),
        `is not trusted: file ${target} has owner nobody (uid ${NOBODY}) and mode 0600 (not owned by root); fix: chown root ${target}`,
      );
    });

    it('behind a chain of links, every directory the links lead through counts', async () => {
      const open = path.join(dir, 'open');
      trustedDir(open);
      chmodSync(open, 0o777);
      trusted(path.join(open, 'real.yaml'));
      trustedDir(path.join(dir, 'etc'));
      symlinkSync('../open/real.yaml', path.join(dir, 'etc', 'hop'));
      symlinkSync('hop', path.join(dir, 'etc', 'p.yaml'));
      assert.equal(
        await fileTrustProblem(path.join(dir, 'etc', 'p.yaml'), { role: 'secret' }),
        `is not trusted: directory ${open} has owner root and mode 0777 (writable by group, writable by others); fix: chmod g-w,o-w ${open}`,
      );
      chmodSync(open, 0o755);
      assert.equal(await fileTrustProblem(path.join(dir, 'etc', 'p.yaml'), { role: 'secret' }), undefined);
      assert.equal(readTrustedFileSync(path.join(dir, 'etc', 'p.yaml'), { role: 'secret', maxBytes: MAX }).ok, true);
    });

    it('in a directory others can write is refused (they could replace it)', async () => {
      const file = trusted(path.join(dir, 'p.yaml'));
      chmodSync(dir, 0o757);
      assert.equal(
        await fileTrustProblem(file, { role: 'secret' }),
        `is not trusted: directory ${dir} has owner root and mode 0757 (writable by others); fix: chmod o-w ${dir}`,
      );
      chmodSync(dir, 0o770);
      assert.match(String(await fileTrustProblem(file, { role: 'secret' })), /mode 0770 \(writable by group\); fix: chmod g-w /);
    });

    it('in a directory owned by nobody is refused', async () => {
      const sub = trustedDir(path.join(dir, 'etc'));
      const file = trusted(path.join(sub, 'p.yaml'));
      chownSync(sub, NOBODY, NOBODY);
      assert.equal(
        await fileTrustProblem(file, { role: 'secret' }),
        `is not trusted: directory ${sub} has owner nobody (uid ${NOBODY}) and mode 0755 (not owned by root); fix: chown root ${sub}`,
      );
    });

    it('in a root-owned sticky directory (like /tmp) is trusted only when owned by root or xprov', async () => {
      const sticky = trustedDir(path.join(dir, 'tmp'));
      chmodSync(sticky, 0o1777);
      const mine = trusted(path.join(sticky, 'root.yaml'));
      assert.equal(await fileTrustProblem(mine, { role: 'secret' }), undefined);
      const theirs = trusted(path.join(sticky, 'nobody.yaml'));
      chownSync(theirs, NOBODY, NOBODY);
      assert.match(
        String(await fileTrustProblem(theirs, { role: 'secret' })),
        /^has owner nobody \(uid 65534\) and mode 0600 \(not owned by root\); fix: chown root /,
      );
      // Their link to a root file: they could point it elsewhere at any time.
      const link = path.join(sticky, 'link.yaml');
      symlinkSync(mine, link);
      lchownSync(link, NOBODY, NOBODY);
      assert.match(
        String(await fileTrustProblem(link, { role: 'secret' })),
        new RegExp(`^is not trusted: symbolic link ${link} has owner nobody .*; fix: chown -h root ${link}$`),
      );
    });

    it('in a sticky directory not owned by root is refused', async () => {
      const sticky = trustedDir(path.join(dir, 'tmp'));
      chmodSync(sticky, 0o1777);
      chownSync(sticky, NOBODY, NOBODY);
      const file = trusted(path.join(sticky, 'p.yaml'));
      assert.match(
        String(await fileTrustProblem(file, { role: 'secret' })),
        /^is not trusted: directory .* has owner nobody \(uid 65534\) and mode 1777 \(not owned by root, writable by group, writable by others\); fix: chown root .* && chmod g-w,o-w /,
      );
    });

    it('that is not a regular file is refused, whatever its owner and mode', async () => {
      const fifo = path.join(dir, 'fifo');
      execFileSync('mkfifo', ['-m', '0600', fifo]);
      assert.equal(await fileTrustProblem(fifo, { role: 'secret' }), 'is a FIFO (named pipe), not a regular file');
      assert.equal(await fileTrustProblem(dir, { role: 'secret' }), 'is a directory, not a regular file');
      assert.equal(await fileTrustProblem('/dev/null', { role: 'public' }), 'is a character device, not a regular file');
      const link = path.join(dir, 'link');
      symlinkSync(fifo, link);
      assert.equal(await fileTrustProblem(link, { role: 'secret' }), 'is a FIFO (named pipe), not a regular file');
    });

    it('that is missing, or under a file, or in a link loop, says so', async () => {
      assert.equal(await fileTrustProblem(path.join(dir, 'none'), { role: 'secret' }), 'does not exist');
      assert.equal(await fileTrustProblem(path.join(dir, 'no', 'p'), { role: 'secret' }), 'does not exist');
      const file = trusted(path.join(dir, 'f'));
      assert.equal(await fileTrustProblem(path.join(file, 'p'), { role: 'secret' }), `does not exist (${file} is not a directory)`);
      symlinkSync('b', path.join(dir, 'a'));
      symlinkSync('a', path.join(dir, 'b'));
      assert.equal(await fileTrustProblem(path.join(dir, 'a'), { role: 'secret' }), 'cannot be resolved (more than 40 symbolic links)');
    });
  });

  describe('a directory', () => {
    it('is trusted when it and every directory above are', async () => {
      assert.equal(await directoryTrustProblem(dir), undefined);
      assert.equal(await directoryTrustProblem('/'), undefined);
    });

    it('names itself or the directory above that is not', async () => {
      const sub = trustedDir(path.join(dir, 'state'));
      chmodSync(sub, 0o777);
      assert.equal(await directoryTrustProblem(sub), `has owner root and mode 0777 (writable by group, writable by others); fix: chmod g-w,o-w ${sub}`);
      chmodSync(sub, 0o755);
      chownSync(dir, NOBODY, NOBODY);
      assert.equal(
        directoryTrustProblemSync(sub),
        `is not trusted: directory ${dir} has owner nobody (uid ${NOBODY}) and mode 0700 (not owned by root); fix: chown root ${dir}`,
      );
    });

    it('must be a directory', async () => {
      assert.equal(await directoryTrustProblem(trusted(path.join(dir, 'f'))), 'is a regular file, not a directory');
      assert.equal(await directoryTrustProblem(path.join(dir, 'none')), 'does not exist');
    });
  });

  describe('reading', () => {
    it('reads a trusted file', async () => {
      const file = trusted(path.join(dir, 'p.yaml'), 'hello');
      assert.deepEqual(await readTrustedFile(file, { role: 'secret', maxBytes: MAX }), { ok: true, text: 'hello', mode: 0o600 });
      assert.deepEqual(readTrustedFileSync(file, { role: 'secret', maxBytes: MAX }), { ok: true, text: 'hello', mode: 0o600 });
    });

    it('refuses an untrusted file, or reads it with the problem when insecure', async () => {
      const file = trusted(path.join(dir, 'p.yaml'), 'hello');
      chmodSync(file, 0o644);
      const problem = `has owner root and mode 0644 (readable by others); fix: chmod o-r ${file}`;
      assert.deepEqual(await readTrustedFile(file, { role: 'secret', maxBytes: MAX }), {
        ok: false,
        problem: `${problem}${INSECURE_HINT}`,
        missing: false,
        untrusted: true,
      });
      assert.deepEqual(await readTrustedFile(file, { role: 'secret', maxBytes: MAX, insecure: true }), {
        ok: true,
        text: 'hello',
        mode: 0o644,
        untrusted: problem,
      });
      assert.deepEqual(readTrustedFileSync(file, { role: 'secret', maxBytes: MAX, insecure: true }), {
        ok: true,
        text: 'hello',
        mode: 0o644,
        untrusted: problem,
      });
    });

    it('refuses a FIFO at once, even when insecure (it would block open and read for good)', async function () {
      this.timeout(2000);
      const fifo = path.join(dir, 'fifo');
      execFileSync('mkfifo', ['-m', '0600', fifo]);
      for (const insecure of [false, true]) {
        assert.deepEqual(await readTrustedFile(fifo, { role: 'secret', maxBytes: MAX, insecure }), {
          ok: false,
          problem: 'is a FIFO (named pipe), not a regular file',
          missing: false,
          untrusted: false,
        });
        assert.equal(readTrustedFileSync(fifo, { role: 'secret', maxBytes: MAX, insecure }).ok, false);
      }
    });

    it('refuses files larger than maxBytes, and says when one is missing', async () => {
      const file = trusted(path.join(dir, 'big'), 'x'.repeat(MAX + 1));
      assert.deepEqual(await readTrustedFile(file, { role: 'public', maxBytes: MAX }), {
        ok: false,
        problem: `is larger than ${MAX} bytes`,
        missing: false,
        untrusted: false,
      });
      assert.equal(readTrustedFileSync(file, { role: 'public', maxBytes: MAX }).ok, false);
      assert.deepEqual(await readTrustedFile(path.join(dir, 'none'), { role: 'public', maxBytes: MAX }), {
        ok: false,
        problem: 'does not exist',
        missing: true,
        untrusted: false,
      });
    });
  });
});
