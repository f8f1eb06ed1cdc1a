/**
 * Builds the shipped artifact: dist/xprov.cjs (src/main.ts and every runtime
 * dependency in one CommonJS file, so start-up resolves no modules) and its V8 code
 * cache dist/xprov.cjs.cache, primed by a real run that serves each operation once.
 *
 *   node build/scripts/bundle.js
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outfile = path.join(repoRoot, 'dist', 'xprov.cjs');
/** openapi-backend, for the contract tools only (see the main build's plugins). */
const contractOutfile = path.join(repoRoot, 'dist', 'openapi-backend.cjs');

function get(socketPath: string, method: string, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path: urlPath }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitForSocket(socketPath: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      await stat(socketPath);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error('primer did not start listening in time');
}

/** Runs the bundle once, serving every operation, so the cache covers the hot path. */
async function primeCodeCache(): Promise<void> {
  await rm(`${outfile}.cache`, { force: true });
  const dir = await mkdtemp(path.join(tmpdir(), 'xprov-prime-'));
  const socketPath = path.join(dir, 'prime.sock');
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'bin', 'xprov.cjs'),
      'serve',
      '--store',
      path.join(repoRoot, 'examples', 'symmetric-key-payload.yaml'),
      // git checks the example out 0644, which xprov refuses; the primer must serve it (200).
      '--insecure-permissions',
      '--listen',
      `unix://${socketPath}`,
      '--log-level',
      'info',
    ],
    { env: { ...process.env, XPROV_WRITE_CODE_CACHE: '1' }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let code: number | null;
  try {
    await waitForSocket(socketPath, Date.now() + 10_000);
    const q = '?api-version=2019-04-10';
    for (const [method, urlPath] of [
      ['GET', `/device/provisioninginformation${q}`],
      ['POST', `/device/reprovision${q}`],
      ['GET', `/device/reprovision${q}`],
      ['GET', '/device/provisioninginformation'],
      ['GET', '/nope'],
    ] as const) {
      await get(socketPath, method, urlPath);
    }
  } finally {
    child.kill('SIGTERM');
    code = await exited;
    await rm(dir, { recursive: true, force: true });
  }
  if (code !== 0) {
    throw new Error(`primer exited with ${String(code)}`);
  }
}

async function main(): Promise<void> {
  await build({
    entryPoints: [path.join(repoRoot, 'src', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Kept readable: stack traces in the log then point at real code.
    minify: false,
    legalComments: 'none',
    // See src/shims/mime-db.cjs: Koa's MIME database costs start-up time xprov has no use for.
    alias: { 'mime-db': path.join(repoRoot, 'src', 'shims', 'mime-db.cjs') },
    // Only the contract tools (check, mock) use openapi-backend, and it is large: it is
    // a bundle of its own, dist/openapi-backend.cjs, loaded when they run, never on the
    // serving path. Its own bundle, not node_modules: the installed xprov (the Debian
    // package's /usr/lib/xprov) has no node_modules.
    plugins: [
      {
        name: 'openapi-backend-bundle',
        setup: (b) => b.onResolve({ filter: /^openapi-backend$/ }, () => ({ path: `./${path.basename(contractOutfile)}`, external: true })),
      },
    ],
    // bin/xprov.cjs runs the bundle through vm.Script, where import() needs an
    // experimental loader hook: esbuild turns `await import('openapi-backend')` into a
    // require() run at the same moment instead (still only when the command runs).
    supported: { 'dynamic-import': false },
    logLevel: 'warning',
  });
  await build({
    entryPoints: [createRequire(import.meta.url).resolve('openapi-backend')],
    outfile: contractOutfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  await primeCodeCache();
  const { size } = await stat(`${outfile}.cache`);
  console.log(`built ${path.relative(repoRoot, outfile)} and its code cache (${Math.round(size / 1024)} KiB)`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
