/**
 * Memory and CPU of the servers, of the bench and of the whole machine, from /proc.
 * A server that has gone voids the run (unlike the hostile part's proc-status.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ServerProcess } from './server-process.js';

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
export function procStatusKiB(server: ServerProcess, field: 'VmRSS' | 'VmHWM'): number {
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
export function procCpuS(server: ServerProcess): number {
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
export function ownAndChildrenCpuS(): number {
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
export function machineBusyS(): number {
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
