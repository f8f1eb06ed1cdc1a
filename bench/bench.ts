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
 */
import autocannon from 'autocannon';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type HostileDeps, measureHostile } from './hostile.js';
import { hostileReport } from './hostile-report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const launcher = path.join(repoRoot, 'bin', 'xprov.cjs');
const bundle = path.join(repoRoot, 'dist', 'xprov.cjs');
const bareServer = path.join(here, 'bare-server.js');
const store = path.join(repoRoot, 'examples', 'symmetric-key-payload.yaml');
const resultsFile = path.join(here, 'results.json');
const requestPath = '/device/provisioninginformation?api-version=2019-04-10';

/** How much is measured; sized so the whole bench takes about 2 min on 2 cores. */
const settings = {
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

/** The issue's targets, as ratios xprov/bare. */
const targets = { coldStartMax: 1.5, idleRssMax: 1.3, throughputMin: 0.5 } as const;

type Kind = 'unix' | 'tcp';
type Name = 'bare' | 'xprov';
const kinds: readonly Kind[] = ['unix', 'tcp'];

/** Where one server process listens, in xprov's --listen form and as connect options. */
interface Endpoint {
  readonly kind: Kind;
  readonly listen: string;
  readonly socketPath?: string;
  readonly port?: number;
  /** For autocannon: gives the path (and, over TCP, the address). */
  readonly url: string;
}

/** The answer xprov gives; the bare server is handed exactly these bytes. */
interface Reference {
  readonly body: Buffer;
  readonly contentType: string;
  readonly bodyFile: string;
}

/** One HTTP answer. */
interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** A running server under test. */
interface ServerProcess {
  readonly name: Name;
  readonly endpoint: Endpoint;
  readonly pid: number;
  /** How the process ended, or undefined while it runs. */
  ended(): string | undefined;
  stderr(): string;
  /** SIGTERM, then requires a clean exit (code 0) within the deadline. */
  stop(): Promise<void>;
  /** SIGKILL without waiting: for failure paths only. */
  kill(): void;
}

/** One autocannon run against one server. */
interface LoadResult {
  readonly connections: number;
  readonly durationS: number;
  readonly requests: number;
  readonly rps: number;
  /** From every response's own latency: autocannon's histogram rounds to whole ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** autocannon's own p99 (whole ms), kept for comparison with its CLI. */
  readonly autocannonP99Ms: number;
  /** CPU time of the server over the run's wall time: ~100% means the server was the bottleneck. */
  readonly serverCpuPct: number;
  /** Server CPU per answer: its cost, whoever set the pace and whatever else ran. */
  readonly serverCpuUsPerRequest: number;
  /** The same for this process, which runs autocannon on one thread. */
  readonly loadgenCpuPct: number;
  /** CPU the rest of the machine used meanwhile (100% = one core): competition for the two above. */
  readonly otherCpuPct: number;
}

/** A median with its spread and the runs it came from. */
interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: readonly number[];
}

/** Everything measured for one server on one kind of socket. */
interface ServerResults {
  readonly coldStartMs: Summary;
  readonly idleRssKiB: Summary;
  readonly peakRssKiB: number;
  /** Per connection level, the run with the most req/s. */
  readonly load: readonly LoadResult[];
  /** Every load run, in the order they ran. */
  readonly loadRuns: readonly LoadResult[];
}

/** Everything measured on one kind of socket. */
interface KindResults {
  readonly bare: ServerResults;
  readonly xprov: ServerResults;
  /** CPU the rest of the machine used during the cold starts (100% = one core). */
  readonly coldStartOtherCpuPct: number;
}

/** One target checked. */
interface Check {
  readonly kind: Kind;
  readonly metric: string;
  readonly bare: number;
  readonly xprov: number;
  readonly ratio: number;
  readonly target: string;
  readonly pass: boolean;
}

// Every child still running, so that no exit path (error, Ctrl-C) leaves one behind.
const live = new Set<ChildProcess>();
let tempDir: string | undefined;

function cleanUp(): void {
  for (const child of live) {
    child.kill('SIGKILL');
  }
  if (tempDir !== undefined) {
    rmSync(tempDir, { recursive: true, force: true });
    tempDir = undefined;
  }
}

function progress(line: string): void {
  // stderr: stdout carries only the report.
  process.stderr.write(`bench: ${line}\n`);
}

/** Rejects with `what` timing out when `promise` takes longer than `ms`; never holds the process open. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A loopback port free right now (the OS picks it; it is closed again before use). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

let serial = 0;

/** A fresh endpoint per process: no stale socket file or lingering port between runs. */
async function newEndpoint(kind: Kind, dir: string, name: Name): Promise<Endpoint> {
  serial += 1;
  if (kind === 'unix') {
    const socketPath = path.join(dir, `${name}-${serial}.sock`);
    return { kind, listen: `unix://${socketPath}`, socketPath, url: `http://localhost${requestPath}` };
  }
  const port = await freePort();
  return { kind, listen: `http://127.0.0.1:${port}`, port, url: `http://127.0.0.1:${port}${requestPath}` };
}

/** GETs the provisioning information on a new connection (no agent: as a fresh client would). */
function get(endpoint: Endpoint, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target =
      endpoint.socketPath !== undefined ? { socketPath: endpoint.socketPath } : { host: '127.0.0.1', port: endpoint.port };
    const req = request({ ...target, path: requestPath, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks) }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Spawns one server; its stdout (xprov's request log) goes to /dev/null, as in the issue. */
function startServer(name: Name, endpoint: Endpoint, reference: Reference | undefined): ServerProcess {
  let args: string[];
  if (name === 'xprov') {
    // --insecure-permissions: git checks the example store out 0644, which xprov refuses.
    // --max-connections: the load runs 100 connections (and the warm-up as many), more
    // than the default limit of 64 sized for the handful of clients of a device.
    args = [launcher, 'serve', '--store', store, '--insecure-permissions', '--max-connections', '1000', '--listen', endpoint.listen];
  } else {
    if (reference === undefined) {
      throw new Error('the bare server needs the reference answer');
    }
    args = [bareServer, endpoint.listen, reference.bodyFile, reference.contentType];
  }
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  let end: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      end = signal !== null ? `killed by ${signal}` : `exit code ${String(code)}`;
      live.delete(child);
      resolve();
    });
    child.once('error', (err) => {
      end = `spawn error: ${err.message}`;
      live.delete(child);
      resolve();
    });
  });
  if (child.pid === undefined) {
    // Spawn failed synchronously enough that there is no process to measure.
    throw new Error(`cannot start ${name}`);
  }
  const pid = child.pid;
  return {
    name,
    endpoint,
    pid,
    ended: () => end,
    stderr: () => stderr,
    async stop() {
      if (end === undefined) {
        child.kill('SIGTERM');
      }
      try {
        await withTimeout(exited, settings.stopDeadlineMs, `stopping ${name}`);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
      if (end !== 'exit code 0') {
        throw new Error(`${name} ended with ${String(end)} on SIGTERM; stderr: ${stderr}`);
      }
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}

/** Runs `body` with `server`, stops it cleanly after, and kills it if `body` fails. */
async function withServers<T>(servers: readonly ServerProcess[], body: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await body();
  } catch (err) {
    for (const server of servers) {
      server.kill();
    }
    throw err;
  }
  for (const server of servers) {
    await server.stop();
  }
  return result;
}

/**
 * Polls until the first 200 answer; resolves with the ms since `t0`. A connection that
 * fails means "not listening yet"; any other answer than 200 is a failure.
 */
async function firstAnswer(server: ServerProcess, t0: number): Promise<{ ms: number; answer: Answer }> {
  const deadline = t0 + settings.startDeadlineMs;
  while (performance.now() < deadline) {
    const ended = server.ended();
    if (ended !== undefined) {
      throw new Error(`${server.name} ${ended} before answering; stderr: ${server.stderr()}`);
    }
    let answer: Answer | undefined;
    try {
      answer = await get(server.endpoint, 1_000);
    } catch {
      answer = undefined;
    }
    if (answer !== undefined) {
      const ms = performance.now() - t0;
      if (answer.status !== 200) {
        throw new Error(`${server.name} answered ${answer.status}: ${answer.body.toString('utf8')}`);
      }
      return { ms, answer };
    }
    await sleep(settings.pollIntervalMs);
  }
  throw new Error(`${server.name} did not answer within ${settings.startDeadlineMs} ms; stderr: ${server.stderr()}`);
}

/** Fails unless `answer` carries exactly the reference bytes: otherwise the comparison is void. */
function requireSameBytes(server: ServerProcess, answer: Answer, reference: Reference): void {
  if (!answer.body.equals(reference.body) || answer.contentType !== reference.contentType) {
    throw new Error(
      `${server.name} over ${server.endpoint.kind} answered other bytes than the reference ` +
        `(${String(answer.contentType)}, ${answer.body.length} B vs ${reference.contentType}, ${reference.body.length} B)`,
    );
  }
}

/** A file of /proc/PID of a server; missing means the server has died, which voids the run. */
function readProc(server: ServerProcess, file: 'status' | 'stat'): string {
  try {
    return readFileSync(`/proc/${server.pid}/${file}`, 'utf8');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`${server.name} (pid ${server.pid}) is gone: ${why}; stderr: ${server.stderr()}`);
  }
}

/** A "VmRSS"-style line of /proc/PID/status, in KiB. */
function procStatusKiB(server: ServerProcess, field: 'VmRSS' | 'VmHWM'): number {
  const status = readProc(server, 'status');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (match?.[1] === undefined) {
    throw new Error(`no ${field} in /proc/${server.pid}/status`);
  }
  return Number(match[1]);
}

const clockTicksPerS = ((): number => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return ticks > 0 ? ticks : 100;
  } catch {
    // 100 is what Linux reports on every common architecture.
    return 100;
  }
})();

/** User + system CPU seconds of a process so far (/proc/PID/stat fields 14 and 15). */
function procCpuS(server: ServerProcess): number {
  const stat = readProc(server, 'stat');
  // The command name (field 2) may contain spaces; the fields after it do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`cannot read the CPU time of ${server.name}`);
  }
  return (utime + stime) / clockTicksPerS;
}

/** CPU seconds of this process and of its children that have ended (/proc/self/stat fields 14 to 17). */
function ownAndChildrenCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = fields.slice(11, 15).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  if (ticks.length !== 4 || !Number.isFinite(total)) {
    throw new Error('cannot read the CPU time of the bench');
  }
  return total / clockTicksPerS;
}

/** Busy (neither idle nor iowait) CPU seconds of the whole machine so far, from /proc/stat. */
function machineBusyS(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // "cpu user nice system idle iowait irq softirq steal guest guest_nice"; guest time
  // is already counted in user, so only the first eight are summed.
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  if (!Number.isFinite(total)) {
    throw new Error('cannot read /proc/stat');
  }
  return (total - idle) / clockTicksPerS;
}

function summarize(runs: readonly number[]): Summary {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const at = (i: number): number => sorted[i] ?? Number.NaN;
  const median = sorted.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  return { median, min: at(0), max: at(sorted.length - 1), runs };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** One autocannon run; fails on any error or non-2xx answer, which would void the numbers. */
async function loadRun(server: ServerProcess, connections: number, durationS: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const serverCpu0 = procCpuS(server);
  const ownCpu0 = process.cpuUsage();
  const machine0 = machineBusyS();
  const t0 = performance.now();
  const instance = autocannon({
    url: server.endpoint.url,
    ...(server.endpoint.socketPath !== undefined ? { socketPath: server.endpoint.socketPath } : {}),
    connections,
    duration: durationS,
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  const wallS = (performance.now() - t0) / 1000;
  const serverCpuS = procCpuS(server) - serverCpu0;
  const ownCpu = process.cpuUsage(ownCpu0);
  const ownCpuS = (ownCpu.user + ownCpu.system) / 1e6;
  const machineS = machineBusyS() - machine0;
  const ended = server.ended();
  if (ended !== undefined) {
    throw new Error(`${server.name} ${ended} under load; stderr: ${server.stderr()}`);
  }
  const completed = result.requests.total ?? 0;
  if (result.errors > 0 || result.non2xx > 0 || completed === 0) {
    throw new Error(
      `load on ${server.name} over ${server.endpoint.kind} (${connections} connections): ` +
        `${result.errors} errors (${result.timeouts} timeouts), ${result.non2xx} non-2xx, ${completed} completed`,
    );
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    connections,
    durationS: result.duration,
    requests: completed,
    rps: completed / result.duration,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    autocannonP99Ms: result.latency.p99,
    serverCpuPct: (100 * serverCpuS) / wallS,
    serverCpuUsPerRequest: (1e6 * serverCpuS) / completed,
    loadgenCpuPct: (100 * ownCpuS) / wallS,
    // Clamped: the three clocks tick at different resolutions.
    otherCpuPct: Math.max(0, (100 * (machineS - serverCpuS - ownCpuS)) / wallS),
  };
}

/** Starts xprov once to learn the exact bytes (and content type) the baseline must serve. */
async function fetchReference(dir: string): Promise<Reference> {
  const endpoint = await newEndpoint('unix', dir, 'xprov');
  const server = startServer('xprov', endpoint, undefined);
  const { answer } = await withServers([server], () => firstAnswer(server, performance.now()));
  if (answer.contentType === undefined) {
    throw new Error('xprov answered without a content type');
  }
  const bodyFile = path.join(dir, 'body');
  writeFileSync(bodyFile, answer.body);
  return { body: answer.body, contentType: answer.contentType, bodyFile };
}

/** One cold start: spawn to first answer, then idle RSS. */
async function coldStart(name: Name, kind: Kind, dir: string, reference: Reference): Promise<{ ms: number; idleRssKiB: number }> {
  const endpoint = await newEndpoint(kind, dir, name);
  const t0 = performance.now();
  const server = startServer(name, endpoint, reference);
  return withServers([server], async () => {
    const { ms, answer } = await firstAnswer(server, t0);
    requireSameBytes(server, answer, reference);
    await sleep(settings.idleSettleMs);
    return { ms, idleRssKiB: procStatusKiB(server, 'VmRSS') };
  });
}

/** Cold starts and idle RSS of both servers, alternating; and how busy the rest of the machine was. */
async function coldStarts(
  kind: Kind,
  dir: string,
  reference: Reference,
): Promise<{ runs: Record<Name, { ms: number[]; rss: number[] }>; otherCpuPct: number }> {
  // One untimed start of each first: the page cache then holds node, the bundle and
  // its code cache for both, as it would on a device that has run xprov before.
  await coldStart('bare', kind, dir, reference);
  await coldStart('xprov', kind, dir, reference);
  const runs: Record<Name, { ms: number[]; rss: number[] }> = { bare: { ms: [], rss: [] }, xprov: { ms: [], rss: [] } };
  // Every server started here has ended (and been reaped) by the end of the loop, so
  // its CPU time is in this process's children's time.
  const ours0 = ownAndChildrenCpuS();
  const machine0 = machineBusyS();
  const t0 = performance.now();
  for (let i = 0; i < settings.coldStartRuns; i++) {
    progress(`${kind}: cold start ${i + 1}/${settings.coldStartRuns}`);
    for (const name of ['bare', 'xprov'] as const) {
      const { ms, idleRssKiB } = await coldStart(name, kind, dir, reference);
      runs[name].ms.push(ms);
      runs[name].rss.push(idleRssKiB);
    }
  }
  const wallS = (performance.now() - t0) / 1000;
  const otherS = machineBusyS() - machine0 - (ownAndChildrenCpuS() - ours0);
  return { runs, otherCpuPct: Math.max(0, (100 * otherS) / wallS) };
}

/** Load runs against both servers (running side by side, loaded one at a time), then peak RSS. */
async function loadPhase(
  kind: Kind,
  dir: string,
  reference: Reference,
): Promise<Record<Name, { load: LoadResult[]; loadRuns: LoadResult[]; peakRssKiB: number }>> {
  const bare = startServer('bare', await newEndpoint(kind, dir, 'bare'), reference);
  const xprov = startServer('xprov', await newEndpoint(kind, dir, 'xprov'), reference);
  const servers: Record<Name, ServerProcess> = { bare, xprov };
  return withServers([bare, xprov], async () => {
    for (const server of [bare, xprov]) {
      const { answer } = await firstAnswer(server, performance.now());
      requireSameBytes(server, answer, reference);
    }
    for (const server of [bare, xprov]) {
      progress(`${kind}: warming up ${server.name} (${settings.warmupS} s)`);
      await loadRun(server, settings.warmupConnections, settings.warmupS);
    }
    const runs: Record<Name, LoadResult[]> = { bare: [], xprov: [] };
    for (let round = 0; round < settings.loadRounds; round++) {
      for (const [i, connections] of settings.connectionLevels.entries()) {
        // Alternate who goes first, so that a drift over time does not favour one side.
        const order: readonly Name[] = (i + round) % 2 === 0 ? ['bare', 'xprov'] : ['xprov', 'bare'];
        for (const name of order) {
          progress(`${kind}: ${name}, ${connections} connections, round ${round + 1}/${settings.loadRounds} (${settings.loadS} s)`);
          runs[name].push(await loadRun(servers[name], connections, settings.loadS));
        }
      }
    }
    const best = (name: Name): LoadResult[] =>
      settings.connectionLevels.map((connections) => {
        const candidates = runs[name].filter((r) => r.connections === connections);
        const top = candidates.reduce<LoadResult | undefined>((a, b) => (a === undefined || b.rps > a.rps ? b : a), undefined);
        if (top === undefined) {
          throw new Error(`no load run of ${name} at ${connections} connections`);
        }
        return top;
      });
    return {
      bare: { load: best('bare'), loadRuns: runs.bare, peakRssKiB: procStatusKiB(bare, 'VmHWM') },
      xprov: { load: best('xprov'), loadRuns: runs.xprov, peakRssKiB: procStatusKiB(xprov, 'VmHWM') },
    };
  });
}

async function measureKind(kind: Kind, dir: string, reference: Reference): Promise<KindResults> {
  const { runs: cold, otherCpuPct } = await coldStarts(kind, dir, reference);
  const loaded = await loadPhase(kind, dir, reference);
  const results = (name: Name): ServerResults => ({
    coldStartMs: summarize(cold[name].ms),
    idleRssKiB: summarize(cold[name].rss),
    peakRssKiB: loaded[name].peakRssKiB,
    load: loaded[name].load,
    loadRuns: loaded[name].loadRuns,
  });
  return { bare: results('bare'), xprov: results('xprov'), coldStartOtherCpuPct: otherCpuPct };
}

/** CPU of other processes (100% = one core) above which a figure is flagged as noisy. */
const busyPct = 25;

const msFine = (v: number): string => `${v.toFixed(2)} ms`;
const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
const rps = (v: number): string => `${Math.round(v).toLocaleString('en-US')} /s`;
const pct = (v: number): string => `${Math.round(v)}%`;
const us = (v: number): string => `${v.toFixed(1)} us`;

/** A report row: label, the two values, and optionally a target on their ratio. */
interface Row {
  readonly label: string;
  readonly bare: string;
  readonly xprov: string;
  readonly ratio?: number;
  readonly check?: Check;
}

function check(kind: Kind, metric: string, bare: number, xprov: number, op: '<=' | '>=', limit: number): Check {
  const ratio = xprov / bare;
  const pass = op === '<=' ? ratio <= limit : ratio >= limit;
  return { kind, metric, bare, xprov, ratio, target: `${op} ${limit.toFixed(2)}x`, pass };
}

function rowsFor(kind: Kind, r: Record<Name, ServerResults>): Row[] {
  const rows: Row[] = [];
  const range = (s: Summary, f: (v: number) => string): string => `${f(s.median)} (${f(s.min)}..${f(s.max)})`;
  const cold = check(kind, 'cold start', r.bare.coldStartMs.median, r.xprov.coldStartMs.median, '<=', targets.coldStartMax);
  rows.push({
    label: `cold start ms, median (min..max) of ${r.bare.coldStartMs.runs.length}`,
    bare: range(r.bare.coldStartMs, (v) => v.toFixed(1)),
    xprov: range(r.xprov.coldStartMs, (v) => v.toFixed(1)),
    check: cold,
  });
  rows.push({
    label: 'idle RSS, median',
    bare: mib(r.bare.idleRssKiB.median),
    xprov: mib(r.xprov.idleRssKiB.median),
    check: check(kind, 'idle RSS', r.bare.idleRssKiB.median, r.xprov.idleRssKiB.median, '<=', targets.idleRssMax),
  });
  rows.push({
    label: 'peak RSS after load',
    bare: mib(r.bare.peakRssKiB),
    xprov: mib(r.xprov.peakRssKiB),
    ratio: r.xprov.peakRssKiB / r.bare.peakRssKiB,
  });
  r.bare.load.forEach((bare, i) => {
    const xprov = r.xprov.load[i];
    if (xprov === undefined) {
      return;
    }
    const c = bare.connections;
    rows.push({
      label: `throughput, ${c} connections, best of ${settings.loadRounds}`,
      bare: rps(bare.rps),
      xprov: rps(xprov.rps),
      check: check(kind, `throughput @${c}`, bare.rps, xprov.rps, '>=', targets.throughputMin),
    });
    rows.push({ label: `  p50 latency`, bare: msFine(bare.p50Ms), xprov: msFine(xprov.p50Ms), ratio: xprov.p50Ms / bare.p50Ms });
    rows.push({ label: `  p99 latency`, bare: msFine(bare.p99Ms), xprov: msFine(xprov.p99Ms), ratio: xprov.p99Ms / bare.p99Ms });
    rows.push({
      label: `  server CPU per request`,
      bare: us(bare.serverCpuUsPerRequest),
      xprov: us(xprov.serverCpuUsPerRequest),
      ratio: xprov.serverCpuUsPerRequest / bare.serverCpuUsPerRequest,
    });
    rows.push({ label: `  server CPU`, bare: pct(bare.serverCpuPct), xprov: pct(xprov.serverCpuPct) });
    rows.push({ label: `  load generator CPU`, bare: pct(bare.loadgenCpuPct), xprov: pct(xprov.loadgenCpuPct) });
    rows.push({ label: `  other processes' CPU`, bare: pct(bare.otherCpuPct), xprov: pct(xprov.otherCpuPct) });
  });
  return rows;
}

/** Pads columns: the label left-aligned, numbers right-aligned. */
function table(header: readonly string[], lines: readonly (readonly string[])[]): string {
  const widths = header.map((h, col) => Math.max(h.length, ...lines.map((l) => (l[col] ?? '').length)));
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, col) => (col === 0 || col >= 4 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0)))
      .join('  ')
      .trimEnd();
  return [format(header), ...lines.map(format)].join('\n');
}

function report(
  results: Record<Kind, KindResults>,
  reference: Reference,
  loadavgStart: readonly number[],
): { text: string; checks: Check[] } {
  const out: string[] = [];
  const checks: Check[] = [];
  const cpus = os.cpus();
  out.push(
    `xprov vs a bare node:http server answering the same ${reference.body.length} bytes (${reference.contentType})`,
    `node ${process.version}, ${cpus.length} CPU(s) ${cpus[0]?.model ?? ''}, load average before the bench ` +
      loadavgStart.map((l) => l.toFixed(2)).join(' '),
    `load: autocannon in this process, ${settings.loadS} s per run after a ${settings.warmupS} s warm-up; figures below ` +
      `a throughput are from its best run; latencies from every response (autocannon's histogram rounds to whole ms)`,
    `server CPU per request compares the servers' cost whatever set the pace (load generator, other processes)`,
  );
  const notes: string[] = [];
  for (const kind of kinds) {
    const rows = rowsFor(kind, results[kind]);
    out.push('', kind === 'unix' ? 'Unix socket' : 'loopback TCP');
    out.push(
      table(
        ['', 'bare', 'xprov', 'xprov/bare', 'target', 'result'],
        rows.map((row) => {
          const ratio = row.check?.ratio ?? row.ratio;
          if (row.check !== undefined) {
            checks.push(row.check);
          }
          return [
            row.label,
            row.bare,
            row.xprov,
            ratio === undefined ? '' : `${ratio.toFixed(2)}x`,
            row.check?.target ?? '',
            row.check === undefined ? '' : row.check.pass ? 'PASS' : 'MISS',
          ];
        }),
      ),
    );
    // One thread of autocannon cannot always outrun a bare server: when it is saturated,
    // the bare req/s is (also) its limit, so the bare figure is a lower bound and the
    // throughput ratio an upper bound.
    const saturated = results[kind].bare.load.filter((load) => load.loadgenCpuPct >= 90);
    if (saturated.length > 0) {
      notes.push(
        `note: ${kind}: the load generator was saturated against the bare server ` +
          `(${saturated.map((l) => `@${l.connections} ${pct(l.loadgenCpuPct)}`).join(', ')}): ` +
          `bare req/s are lower bounds, throughput ratios upper bounds`,
      );
    }
    // On two cores the server and the load generator need one each, and a start needs
    // one: anything else running takes CPU from them, unevenly between runs.
    const busy: string[] = [];
    if (results[kind].coldStartOtherCpuPct > busyPct) {
      busy.push(`cold starts ${pct(results[kind].coldStartOtherCpuPct)}`);
    }
    for (const name of ['bare', 'xprov'] as const) {
      for (const load of results[kind][name].load) {
        if (load.otherCpuPct > busyPct) {
          busy.push(`${name} @${load.connections} ${pct(load.otherCpuPct)}`);
        }
      }
    }
    if (busy.length > 0) {
      notes.push(`note: ${kind}: other processes took CPU (${busy.join(', ')}); those figures are noisy, rerun on a quiet machine`);
    }
  }
  const missed = checks.filter((c) => !c.pass).map((c) => `${c.kind} ${c.metric}`);
  out.push('', ...notes, ...(notes.length > 0 ? [''] : []));
  out.push(
    `${checks.length - missed.length}/${checks.length} targets met` + (missed.length > 0 ? ` (MISS: ${missed.join(', ')})` : ''),
  );
  out.push(`results: ${path.relative(repoRoot, resultsFile)}`);
  return { text: out.join('\n'), checks };
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
