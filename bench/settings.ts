/** What the bench measures, where it finds the servers, and its progress lines. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository (the bench runs from build/bench). */
export const repoRoot = path.resolve(here, '..', '..');
/** The shipped launcher and the bundle it runs. */
export const launcher = path.join(repoRoot, 'bin', 'xprov.cjs');
export const bundle = path.join(repoRoot, 'dist', 'xprov.cjs');
/** The baseline: a bare node:http server (bench/bare-server.ts). */
export const bareServer = path.join(here, 'bare-server.js');
/** The store xprov serves while measured. */
export const store = path.join(repoRoot, 'examples', 'symmetric-key-payload.yaml');
/** Where every figure is written. */
export const resultsFile = path.join(here, 'results.json');
/** The request both servers answer. */
export const requestPath = '/device/provisioninginformation?api-version=2019-04-10';

/** How much is measured; sized so the whole bench takes about 2 min on 2 cores. */
export const settings = {
  coldStartRuns: 10,
  pollIntervalMs: 2,
  /** A start slower than this is a failure, not a measurement. */
  startDeadlineMs: 10_000,
  /** Lets start-up garbage be collected and lazy allocations settle before VmRSS. */
  idleSettleMs: 500,
  /** Warms the JIT and the sockets' buffers before anything is counted. */
  warmupS: 2,
  warmupConnections: 100,
  loadS: 5,
  /**
   * Runs per server and connection level; the best counts. Other processes only ever
   * take throughput away, so on a shared machine the best run is the least disturbed.
   */
  loadRounds: 2,
  connectionLevels: [10, 100],
  stopDeadlineMs: 5_000,
} as const;

/** The kinds of socket measured: Unix (production) and loopback TCP. */
export type Kind = 'unix' | 'tcp';
/** The two servers compared. */
export type Name = 'bare' | 'xprov';
/** Every kind, in the order measured. */
export const kinds: readonly Kind[] = ['unix', 'tcp'];

/** A progress line of the bench. */
export function progress(line: string): void {
  // stderr: stdout carries only the report.
  process.stderr.write(`bench: ${line}\n`);
}
