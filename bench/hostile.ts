/**
 * The hostile-load part of `make bench` (issue 8): what a hostile local peer costs a
 * server, measured on xprov and, where it means something, on the bare node:http
 * baseline under the same load. Each scenario gets a fresh server (so that VmHWM is its
 * own peak), measures the good request without load, applies the load, measures the
 * good request again meanwhile, then reads the server's peak RSS and how many bytes it
 * read off its sockets:
 *
 * 1. pipelining: clients write many pipelined GETs and never read an answer;
 * 2. body drain: clients announce a 512 MiB body (to an unknown path, or without
 *    api-version) and stream it over keep-alive: how much does the server read?
 * 3. query CPU: clients send ~16 KB `&a&a…` queries in a loop;
 * 4. connection flood: many connections opened and held without a byte;
 * 5. 100-continue: does the server invite a body it will refuse?
 *
 * Everything runs over Unix sockets in the bench's temp dir (the production kind),
 * bounded in clients, bytes and time. Ratios compare figures of the same run only.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Load, type LoadTally, type Sample, type Target, goodRequest } from './hostile-net.js';
import { type Name, type Scenario, hostileSettings, scenarios } from './hostile-scenarios.js';
import { ioBytes, openFds, statusKiB } from './proc-status.js';

export { hostileSettings } from './hostile-scenarios.js';

/** A started server that answers; bench.ts's ServerProcess fits. */
export interface HostileServer {
  readonly name: Name;
  readonly pid: number;
  readonly endpoint: { readonly socketPath?: string; readonly port?: number };
  ended(): string | undefined;
  stderr(): string;
  stop(): Promise<void>;
  kill(): void;
}

/** What the hostile part needs from the bench. */
export interface HostileDeps {
  /** Starts a fresh server and resolves once it has answered the good request. */
  start(name: Name): Promise<HostileServer>;
  progress(line: string): void;
}

const s = hostileSettings;

/** The good requests of one phase. */
export interface GoodRequests {
  readonly ok: number;
  /** Failures by outcome ("timeout", "ECONNRESET", "status 503"...). */
  readonly failed: Record<string, number>;
  /** Of the answered ones (NaN when none was). */
  readonly medianMs: number;
  readonly maxMs: number;
}

/** One scenario on one server. */
export interface HostileRun {
  readonly scenario: string;
  readonly server: Name;
  readonly idle?: GoodRequests;
  readonly loaded?: GoodRequests;
  readonly rssBeforeKiB?: number;
  /** VmHWM at the end of the load: the process's peak, the load's included. */
  readonly peakRssKiB?: number;
  /** Growth of the server's rchar during the load: what it read, its sockets included. */
  readonly serverReadBytes?: number;
  /** The server's open file descriptors before the load and at its end (its connections). */
  readonly fdsBefore?: number;
  readonly fdsLoaded?: number;
  readonly tally?: LoadTally;
  readonly finding?: string;
  /** How the server ended under the load, or a failure to stop it cleanly. */
  readonly serverProblem?: string;
  /** The scenario could not be run (the bench's own failure, not a finding). */
  readonly error?: string;
}

/** The hostile part's results. */
export interface HostileResults {
  readonly settings: typeof hostileSettings;
  readonly scenarios: readonly { readonly id: string; readonly title: string; readonly load: string }[];
  readonly runs: readonly HostileRun[];
  readonly durationS: number;
  /** The machine's load averages before and after: on a shared machine, how noisy the figures are. */
  readonly loadavg: { readonly start: readonly number[]; readonly end: readonly number[] };
}

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Sums up good requests: latencies of the answered ones, failures by kind. */
export function summarizeSamples(samples: readonly Sample[]): GoodRequests {
  const answered = samples
    .filter((x) => x.outcome === 'ok')
    .map((x) => x.ms)
    .sort((a, b) => a - b);
  const failed: Record<string, number> = {};
  for (const sample of samples) {
    if (sample.outcome !== 'ok') {
      failed[sample.outcome] = (failed[sample.outcome] ?? 0) + 1;
    }
  }
  return { ok: answered.length, failed, medianMs: median(answered), maxMs: answered[answered.length - 1] ?? Number.NaN };
}

function targetOf(server: HostileServer): Target {
  const { socketPath, port } = server.endpoint;
  if (socketPath !== undefined) {
    return { socketPath };
  }
  if (port !== undefined) {
    return { host: '127.0.0.1', port };
  }
  throw new Error(`${server.name} has no endpoint`);
}

/** Good requests one after another until `holdMs` has passed and at least `min` were made (within the overrun). */
async function sampleDuring(target: Target, holdMs: number, min: number): Promise<Sample[]> {
  const t0 = performance.now();
  const samples: Sample[] = [];
  for (;;) {
    const elapsed = performance.now() - t0;
    if ((elapsed >= holdMs && samples.length >= min) || elapsed >= holdMs + s.overrunMs) {
      return samples;
    }
    samples.push(await goodRequest(target, s.sampleTimeoutMs));
    await sleep(s.sampleGapMs);
  }
}

async function runOne(scenario: Scenario, name: Name, deps: HostileDeps): Promise<HostileRun> {
  const base = { scenario: scenario.id, server: name };
  let server: HostileServer;
  try {
    server = await deps.start(name);
  } catch (err) {
    return { ...base, error: `cannot start: ${err instanceof Error ? err.message : String(err)}` };
  }
  const target = targetOf(server);
  let load: Load | undefined;
  let tally: LoadTally | undefined;
  try {
    for (let i = 0; i < s.warmupRequests; i++) {
      await goodRequest(target, s.sampleTimeoutMs);
    }
    const idleSamples: Sample[] = [];
    for (let i = 0; i < s.idleSamples; i++) {
      idleSamples.push(await goodRequest(target, s.sampleTimeoutMs));
      await sleep(s.sampleGapMs);
    }
    const rssBeforeKiB = statusKiB(server.pid, 'VmRSS');
    const read0 = ioBytes(server.pid, 'rchar');
    const fdsBefore = openFds(server.pid);
    load = scenario.start(target);
    // Bounded: a server that accepts nothing must not hold the bench.
    await Promise.race([load.ready, sleep(scenario.holdMs)]);
    const loadedSamples = await sampleDuring(target, scenario.holdMs, s.minLoadedSamples);
    const peakRssKiB = statusKiB(server.pid, 'VmHWM');
    const read1 = ioBytes(server.pid, 'rchar');
    const fdsLoaded = openFds(server.pid);
    const finding = load.finding?.();
    tally = load.stop();
    load = undefined;
    const ended = server.ended();
    const run: HostileRun = {
      ...base,
      idle: summarizeSamples(idleSamples),
      loaded: summarizeSamples(loadedSamples),
      rssBeforeKiB,
      peakRssKiB,
      serverReadBytes: read0 !== undefined && read1 !== undefined ? read1 - read0 : undefined,
      fdsBefore,
      fdsLoaded,
      tally,
      finding,
      serverProblem: ended === undefined ? undefined : `${ended} under the load; stderr: ${server.stderr().trim().split('\n').slice(-3).join(' | ')}`,
    };
    if (ended !== undefined) {
      return run;
    }
    try {
      await server.stop();
      return run;
    } catch (err) {
      return { ...run, serverProblem: `did not stop cleanly: ${err instanceof Error ? err.message : String(err)}` };
    }
  } catch (err) {
    load?.stop();
    server.kill();
    return { ...base, tally, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Runs every scenario on its servers, one at a time. */
export async function measureHostile(deps: HostileDeps): Promise<HostileResults> {
  const t0 = performance.now();
  const start = os.loadavg();
  const runs: HostileRun[] = [];
  for (const scenario of scenarios) {
    for (const name of scenario.servers) {
      deps.progress(`hostile: ${scenario.title}: ${name} (${scenario.holdMs / 1000} s)`);
      runs.push(await runOne(scenario, name, deps));
    }
  }
  return {
    settings: hostileSettings,
    scenarios: scenarios.map(({ id, title, load }) => ({ id, title, load })),
    runs,
    durationS: Math.round((performance.now() - t0) / 100) / 10,
    loadavg: { start, end: os.loadavg() },
  };
}
