/** The printed table of the hostile-load part of `make bench` (bench/hostile.ts). */
import os from 'node:os';
import type { LoadTally } from './hostile-net.js';
import type { GoodRequests, HostileResults, HostileRun } from './hostile.js';

const ms = (v: number): string => (Number.isNaN(v) ? '-' : v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(2)} ms`);
const mib = (kib: number | undefined): string => (kib === undefined ? 'gone' : `${(kib / 1024).toFixed(1)} MiB`);
const ratio = (a: number, b: number): string => (Number.isFinite(a / b) ? `${(a / b).toFixed(1)}x` : '-');

/** Bytes in the largest unit that keeps them readable. */
export function bytes(n: number | undefined): string {
  if (n === undefined) {
    return '-';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit] ?? ''}`;
}

function entries(map: Record<string, number>): string {
  return Object.entries(map)
    .map(([key, n]) => `${key} x${n}`)
    .join(', ');
}

function failed(good: GoodRequests | undefined): string {
  if (good === undefined) {
    return '-';
  }
  const text = entries(good.failed);
  return text === '' ? `0/${good.ok}` : `${text} (of ${good.ok + Object.values(good.failed).reduce((a, b) => a + b, 0)})`;
}

function clients(tally: LoadTally | undefined): string {
  if (tally === undefined) {
    return '-';
  }
  const parts = [`${tally.connected}/${tally.attempted} connected`, `${tally.closedByServer} closed by server`];
  const errors = entries(tally.errors);
  if (errors !== '') {
    parts.push(`errors ${errors}`);
  }
  if (tally.bytesSent > 0) {
    parts.push(`sent ${bytes(tally.bytesSent)}`);
  }
  const statuses = entries(tally.statuses);
  if (statuses !== '') {
    parts.push(`answers ${statuses}`);
  }
  return parts.join('; ');
}

/** Pads columns: text left-aligned, figures right-aligned. */
function table(header: readonly string[], lines: readonly (readonly string[])[], left: ReadonlySet<number>): string {
  const widths = header.map((h, col) => Math.max(h.length, ...lines.map((l) => (l[col] ?? '').length)));
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, col) => (left.has(col) ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0)))
      .join('  ')
      .trimEnd();
  return [format(header), ...lines.map(format)].join('\n');
}

function row(run: HostileRun, bare: HostileRun | undefined, title: string): string[] {
  const idle = run.idle?.medianMs ?? Number.NaN;
  const loaded = run.loaded?.medianMs ?? Number.NaN;
  const vsBare = run.server === 'xprov' && bare?.loaded !== undefined ? ratio(loaded, bare.loaded.medianMs) : '';
  return [
    title,
    run.server,
    ms(idle),
    run.loaded === undefined ? '-' : `${ms(loaded)} / ${ms(run.loaded.maxMs)}`,
    ratio(loaded, idle),
    vsBare,
    failed(run.loaded),
    mib(run.rssBeforeKiB),
    mib(run.peakRssKiB),
    run.rssBeforeKiB === undefined || run.peakRssKiB === undefined ? '-' : ratio(run.peakRssKiB, run.rssBeforeKiB),
    bytes(run.serverReadBytes),
    `${run.fdsBefore ?? '-'} -> ${run.fdsLoaded ?? 'gone'}`,
  ];
}

/** The report: a table of figures, then per run what the clients saw and any problem. */
export function hostileReport(results: HostileResults): string {
  const out: string[] = [
    'Hostile loads (Unix socket, a fresh server per row; "good" = GET /device/provisioninginformation on a new',
    'connection, median of the samples without load, then median / max of those made during the load;',
    'RSS peak = VmHWM at the end of the load; server read = growth of its rchar during the load;',
    'server fds = its open descriptors before the load -> at its end, i.e. the connections it holds)',
    '',
  ];
  const lines: string[][] = [];
  const details: string[] = [];
  for (const scenario of results.scenarios) {
    const runs = results.runs.filter((r) => r.scenario === scenario.id);
    const bare = runs.find((r) => r.server === 'bare');
    details.push(`${scenario.title}: ${scenario.load}`);
    for (const run of runs) {
      lines.push(row(run, bare, scenario.title));
      const notes = [clients(run.tally), run.finding, run.serverProblem, run.error && `NOT RUN: ${run.error}`];
      details.push(`  ${run.server}: ${notes.filter((n) => n !== undefined && n !== '').join('; ')}`);
    }
  }
  out.push(
    table(
      ['', 'server', 'good idle', 'good under load', '/idle', '/bare', 'good failed', 'RSS before', 'RSS peak', '/before', 'server read', 'server fds'],
      lines,
      new Set([0, 1]),
    ),
    '',
    ...details,
    '',
    `hostile part: ${results.durationS} s; load average before ${results.loadavg.start.map((l) => l.toFixed(2)).join(' ')}, ` +
      `after ${results.loadavg.end.map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPU(s)`,
  );
  return out.join('\n');
}
