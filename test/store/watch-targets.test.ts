import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { watchTargets } from '../../src/store/watch-targets.js';
import { tempDir } from '../support/tmp.js';

/** The targets as plain sorted arrays, for deepEqual. */
async function targetsOf(files: string[]): Promise<[string, string[]][]> {
  const targets = await watchTargets(files);
  return [...targets].map(([dir, names]): [string, string[]] => [dir, [...names].sort()]).sort(([a], [b]) => a.localeCompare(b));
}

describe('watch targets: the directory entries a store depends on', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });

  it('are a plain file itself, and a missing file where it would appear', async () => {
    writeFileSync(path.join(dir, 'store.yaml'), '');
    assert.deepEqual(await targetsOf([path.join(dir, 'store.yaml'), path.join(dir, 'absent.pem')]), [[dir, ['absent.pem', 'store.yaml']]]);
  });

  it('are the missing directory itself when a file is in one that does not exist yet', async () => {
    assert.deepEqual(await targetsOf([path.join(dir, 'later', 'store.yaml')]), [[dir, ['later']]]);
  });

  it('are a file standing where a directory should be', async () => {
    writeFileSync(path.join(dir, 'not-a-dir'), '');
    assert.deepEqual(await targetsOf([path.join(dir, 'not-a-dir', 'store.yaml')]), [[dir, ['not-a-dir']]]);
  });

  it("are every symlink on the way and the final file: a Kubernetes secret volume's layout", async () => {
    mkdirSync(path.join(dir, '..2024_01'));
    writeFileSync(path.join(dir, '..2024_01', 'key'), '');
    symlinkSync('..2024_01', path.join(dir, '..data'));
    symlinkSync(path.join('..data', 'key'), path.join(dir, 'key'));
    assert.deepEqual(await targetsOf([path.join(dir, 'key')]), [
      [dir, ['..data', 'key']],
      [path.join(dir, '..2024_01'), ['key']],
    ]);
  });

  it('are a store symlinked into another directory, in both directories', async () => {
    const other = tempDir();
    writeFileSync(path.join(other, 'real.yaml'), '');
    symlinkSync(path.join(other, 'real.yaml'), path.join(dir, 'store.yaml'));
    assert.deepEqual(
      await targetsOf([path.join(dir, 'store.yaml')]),
      [dir, other].sort((a, b) => a.localeCompare(b)).map((d) => [d, [d === dir ? 'store.yaml' : 'real.yaml']]),
    );
  });

  it('end on a symlink loop instead of following it forever', async () => {
    symlinkSync('b', path.join(dir, 'a'));
    symlinkSync('a', path.join(dir, 'b'));
    assert.deepEqual(await targetsOf([path.join(dir, 'a')]), [[dir, ['a', 'b']]]);
  });
});
