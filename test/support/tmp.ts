/** Temporary directories removed after the test file that made them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const made: string[] = [];

/** A fresh directory under the system temp dir (short: Unix socket paths are limited to 107 bytes). */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'xp-'));
  made.push(dir);
  return dir;
}

after(() => {
  for (const dir of made.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});
