/** Locations in the repository, for tests running from build/test. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The shipped launcher. */
export const launcher = path.join(repoRoot, 'bin', 'xprov.cjs');
/** An example store file. */
export function example(name: string): string {
  return path.join(repoRoot, 'examples', name);
}
