/**
 * The example stores as xprov requires secrets to be kept: git checks files out 0644
 * (readable by others), which xprov refuses to serve from. Tests that serve examples
 * use this copy (files 0600, directories 0700, relative PEM paths intact), so that they
 * exercise the default, strict permission checks as a device would.
 */
import { chmodSync, cpSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.js';
import { tempDir } from './tmp.js';

let copy: string | undefined;

function makePrivate(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      makePrivate(full);
    } else {
      chmodSync(full, 0o600);
    }
  }
}

/** The private copy of example `name` (e.g. `x509-files.yaml`); the copy is made once per run. */
export function privateExample(name: string): string {
  if (copy === undefined) {
    copy = path.join(tempDir(), 'examples');
    cpSync(path.join(repoRoot, 'examples'), copy, { recursive: true });
    makePrivate(copy);
  }
  return path.join(copy, name);
}
