/**
 * systemd socket activation (sd_listen_fds(3)): the sockets systemd passed to this
 * process, from LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES. Passed sockets start at fd 3.
 */

/** The first passed file descriptor (SD_LISTEN_FDS_START). */
const LISTEN_FDS_START = 3;

/** One socket passed by systemd. */
export interface PassedSocket {
  readonly fd: number;
  /** FileDescriptorName= of the socket unit, or "unknown" as systemd defaults it. */
  readonly name: string;
}

/** The environment variables of the protocol. */
type ListenEnv = Partial<Record<'LISTEN_PID' | 'LISTEN_FDS' | 'LISTEN_FDNAMES', string>>;

/** True when `env` says systemd passed sockets to process `pid`. */
export function isSocketActivated(env: ListenEnv, pid: number): boolean {
  return env.LISTEN_PID === String(pid) && /^[1-9]\d*$/.test(env.LISTEN_FDS ?? '');
}

/**
 * The sockets passed to process `pid`, or none. Like sd_listen_fds(unset_environment=1),
 * it removes the variables from `env` so that child processes do not take them for theirs.
 */
export function takePassedSockets(env: ListenEnv, pid: number): PassedSocket[] {
  if (!isSocketActivated(env, pid)) {
    return [];
  }
  const count = Number(env.LISTEN_FDS);
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  return Array.from({ length: count }, (_, i) => ({ fd: LISTEN_FDS_START + i, name: names[i] || 'unknown' }));
}
