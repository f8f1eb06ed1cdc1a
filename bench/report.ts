/** The printed report: one table per kind of socket, the notes, and the targets met. */
import os from 'node:os';
import path from 'node:path';
import type { KindResults, ServerResults } from './measure.js';
import type { Reference } from './server-process.js';
import { type Kind, kinds, type Name, repoRoot, resultsFile, settings } from './settings.js';
import type { Summary } from './stats.js';
import { type Check, check, targets } from './targets.js';

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

/** The report's text, and every target checked. */
export function report(results: Record<Kind, KindResults>, reference: Reference, loadavgStart: readonly number[]): { text: string; checks: Check[] } {
  const out: string[] = [];
  const checks: Check[] = [];
  const cpus = os.cpus();
  out.push(
    `xprov vs a bare node:http server answering the same ${reference.body.length} bytes (${reference.contentType})`,
    `node ${process.version}, ${cpus.length} CPU(s) ${cpus[0]?.model ?? ''}, load average before the bench ${loadavgStart.map((l) => l.toFixed(2)).join(' ')}`,
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
  out.push(`${checks.length - missed.length}/${checks.length} targets met${missed.length > 0 ? ` (MISS: ${missed.join(', ')})` : ''}`);
  out.push(`results: ${path.relative(repoRoot, resultsFile)}`);
  return { text: out.join('\n'), checks };
}
