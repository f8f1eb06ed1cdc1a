/**
 * Reading a server's memory and I/O counters from /proc, for the hostile-load part of
 * the bench (bench/hostile.ts). A process that has gone (killed by the OOM killer,
 * crashed under the load) reads as undefined rather than throwing: under a hostile
 * load that is a finding to report, not a reason to stop the bench.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** The memory lines of /proc/PID/status the bench reports. */
export type StatusField = 'VmRSS' | 'VmHWM';

/** The I/O counters of /proc/PID/io the bench reports (bytes). */
export type IoField = 'rchar' | 'wchar';

/** A "VmRSS:   51234 kB" line of a /proc/PID/status text, in KiB; undefined when absent. */
export function parseStatusKiB(status: string, field: StatusField): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** A "rchar: 123" line of a /proc/PID/io text; undefined when absent. */
export function parseIoBytes(io: string, field: IoField): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+)$`, 'm').exec(io);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function readProc(pid: number, file: 'status' | 'io'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** A memory figure of a running process in KiB; undefined once it has gone. */
export function statusKiB(pid: number, field: StatusField): number | undefined {
  const status = readProc(pid, 'status');
  return status === undefined ? undefined : parseStatusKiB(status, field);
}

/**
 * An I/O counter of a running process; undefined once it has gone. rchar counts every
 * byte read(2) returned, sockets included: libuv reads stream sockets with read(2), so
 * its growth during a load is what the server took off its connections.
 */
export function ioBytes(pid: number, field: IoField): number | undefined {
  const io = readProc(pid, 'io');
  return io === undefined ? undefined : parseIoBytes(io, field);
}

/**
 * How many file descriptors a running process holds; undefined once it has gone. For a
 * server that opens no files under load, its growth is the connections it keeps open.
 */
export function openFds(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}
