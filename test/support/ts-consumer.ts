/**
 * Type-checking code of another package against xprov's published types, as a user's
 * strict TypeScript project would (the client exports test, and the npm package test).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths.js';

const exec = promisify(execFile);

/**
 * Writes `source` as `consumer.ts` with a strict `tsconfig.json` into the package
 * directory `dir` (whose node_modules has xprov), runs tsc on it, and resolves with
 * tsc's complaints: undefined when it type-checks.
 */
export async function typeCheckConsumer(dir: string, source: string): Promise<string | undefined> {
  writeFileSync(path.join(dir, 'consumer.ts'), source);
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
        types: ['node'],
      },
      files: ['consumer.ts'],
    }),
  );
  try {
    await exec(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir });
    return undefined;
  } catch (err) {
    return (err as { stdout?: string }).stdout ?? String(err);
  }
}
