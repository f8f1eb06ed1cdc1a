/** Everything measured on one kind of socket: cold starts, then the load runs. */
import { coldStarts } from './cold-start.js';
import { type LoadResult, loadPhase } from './load.js';
import type { Reference } from './server-process.js';
import type { Kind, Name } from './settings.js';
import { type Summary, summarize } from './stats.js';

/** Everything measured for one server on one kind of socket. */
export interface ServerResults {
  readonly coldStartMs: Summary;
  readonly idleRssKiB: Summary;
  readonly peakRssKiB: number;
  /** Per connection level, the run with the most req/s. */
  readonly load: readonly LoadResult[];
  /** Every load run, in the order they ran. */
  readonly loadRuns: readonly LoadResult[];
}

/** Everything measured on one kind of socket. */
export interface KindResults {
  readonly bare: ServerResults;
  readonly xprov: ServerResults;
  /** CPU the rest of the machine used during the cold starts (100% = one core). */
  readonly coldStartOtherCpuPct: number;
}

/** Cold starts, then load, of both servers on `kind`. */
export async function measureKind(kind: Kind, dir: string, reference: Reference): Promise<KindResults> {
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
