/**
 * `make bench`: how much the shipped xprov (bin/xprov.cjs and its bundle) costs over
 * the least a Node process can do to serve the same answer.
 *
 * The baseline is bench/bare-server.ts, a bare node:http server that answers every
 * request with the very bytes and content type xprov answers (fetched from xprov
 * first), listening on the same kind of socket. Both kinds are measured: Unix sockets
 * (what IoT Edge uses in production) and loopback TCP. Per kind and server:
 *
 * - cold start: spawn to the first 200 answer, polling every ~2 ms (median of 10
 *   runs, bare and xprov alternating so that noise spreads over both);
 * - idle RSS: VmRSS 500 ms after that first answer (median of the same runs);
 * - peak RSS: VmHWM after the load runs;
 * - req/s and latency (p50, p99) under autocannon at 10 and 100 connections.
 *
 * It prints the absolute values, the ratios xprov/bare and PASS/MISS against the
 * targets, and writes everything to build/bench/results.json. A MISS is a finding,
 * not a failure: the exit code is nonzero only when something could not be run.
 *
 * Then the hostile loads of bench/hostile.ts: RSS and a good request's latency under
 * each (--only-hostile runs those alone).
 *
 *   node build/bench/bench.js [--only-hostile]
 *
 * This file runs the phases and writes the results; settings.ts says how much is
 * measured, server-process.ts starts and stops the servers, proc-measure.ts reads
 * memory and CPU, cold-start.ts and load.ts are the two phases (measure.ts runs both on
 * one kind of socket), report.ts prints the tables, targets.ts checks the ratios.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fetchReference } from './cold-start.js';
import { type HostileDeps, measureHostile } from './hostile.js';
import { hostileReport } from './hostile-report.js';
import { type KindResults, measureKind } from './measure.js';
import { report } from './report.js';
import { firstAnswer, killAll, newEndpoint, type Reference, requireSameBytes, startServer } from './server-process.js';
import { bareServer, bundle, type Kind, progress, repoRoot, resultsFile, settings } from './settings.js';
import { targets } from './targets.js';

let tempDir: string | undefined;

function cleanUp(): void {
  killAll();
  if (tempDir !== undefined) {
    rmSync(tempDir, { recursive: true, force: true });
    tempDir = undefined;
  }
}

/** Fresh servers for bench/hostile.ts, started as every other here, on Unix sockets. */
function hostileDeps(dir: string, reference: Reference): HostileDeps {
  return {
    progress,
    async start(name) {
      const server = startServer(name, await newEndpoint('unix', dir, name), reference);
      try {
        requireSameBytes(server, (await firstAnswer(server, performance.now())).answer, reference);
      } catch (err) {
        server.kill();
        throw err;
      }
      return server;
    },
  };
}

async function main(): Promise<void> {
  const onlyHostile = process.argv.includes('--only-hostile');
  for (const file of [bundle, bareServer]) {
    if (!existsSync(file)) {
      throw new Error(`${path.relative(repoRoot, file)} is missing; run \`make build\` first`);
    }
  }
  if (!existsSync('/proc/self/status')) {
    throw new Error('the bench reads memory and CPU from /proc: it runs on Linux only');
  }
  const startedAt = new Date();
  const t0 = performance.now();
  const loadavgStart = os.loadavg();
  tempDir = mkdtempSync(path.join(os.tmpdir(), 'xprov-bench-'));
  const dir = tempDir;
  progress('fetching the reference answer from xprov');
  const reference = await fetchReference(dir);
  // Unix first: it is the production kind, measured while the machine is freshest.
  const all: Record<Kind, KindResults> | undefined = onlyHostile
    ? undefined
    : { unix: await measureKind('unix', dir, reference), tcp: await measureKind('tcp', dir, reference) };
  const hostile = await measureHostile(hostileDeps(dir, reference));
  const { text, checks } = all === undefined ? { text: undefined, checks: [] } : report(all, reference, loadavgStart);
  writeFileSync(
    resultsFile,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        durationS: Math.round((performance.now() - t0) / 100) / 10,
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        loadavg: { start: loadavgStart, end: os.loadavg() },
        settings,
        targets,
        reference: { contentType: reference.contentType, bytes: reference.body.length },
        results: all,
        checks,
        hostile,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\n${text === undefined ? '' : `${text}\n\n`}${hostileReport(hostile)}\n`);
  progress(`done in ${Math.round((performance.now() - t0) / 1000)} s`);
}

// Whatever ends the bench, its children and temp dir go with it.
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`interrupted by ${signal}`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

main().then(
  () => {
    cleanUp();
    process.exit(0);
  },
  (err: unknown) => {
    cleanUp();
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
