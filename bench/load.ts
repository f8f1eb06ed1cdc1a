/** The load runs (autocannon) against both servers, and the best run per connection level. */
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { machineBusyS, procCpuS, procStatusKiB } from './proc-measure.js';
import { firstAnswer, newEndpoint, type Reference, requireSameBytes, type ServerProcess, startServer, withServers } from './server-process.js';
import { type Kind, type Name, progress, settings } from './settings.js';
import { percentile } from './stats.js';

/** One autocannon run against one server. */
export interface LoadResult {
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

/** One autocannon run; fails on any error or non-2xx answer, which would void the numbers. */
export async function loadRun(server: ServerProcess, connections: number, durationS: number): Promise<LoadResult> {
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

/** Load runs against both servers (running side by side, loaded one at a time), then peak RSS. */
export async function loadPhase(
  kind: Kind,
  dir: string,
  reference: Reference,
): Promise<Record<Name, { load: LoadResult[]; loadRuns: LoadResult[]; peakRssKiB: number }>> {
  const bare = startServer('bare', await newEndpoint(kind, dir, 'bare'), reference);
  // --max-connections: the load runs 100 connections (and the warm-up as many), more
  // than the default limit of 64 sized for the handful of clients of a device.
  const xprov = startServer('xprov', await newEndpoint(kind, dir, 'xprov'), reference, ['--max-connections', '1000']);
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
