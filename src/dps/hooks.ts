/**
 * Reprovision hooks: local clean-up commands run after DPS moved the device, e.g. to
 * clear state cached for the old hub. Each runs without a shell (argv as given), with
 * a timeout, and with the old and new assignment in its environment (and PATH: nothing
 * else of xprov's environment, which may hold secrets, is passed on). Their output is
 * not logged (a hook may print what it cleaned, secrets included); only how they ended.
 * Each hook leads its own process group, and at the timeout the whole group is killed,
 * so that what a hook started in the background (a `sleep`, a helper) dies with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from '../log.js';
import type { ReprovisionHook } from './settings.js';

/** The assignment change a hook is told about. */
export interface AssignmentChange {
  readonly oldHub: string | undefined;
  readonly oldDeviceId: string | undefined;
  readonly newHub: string;
  readonly newDeviceId: string;
  readonly substatus: string | undefined;
}

/** How a hook ended. */
export type HookOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Runs one hook; never rejects. `signal` (xprov stopping) kills its group at once. */
export function runHook(hook: ReprovisionHook, change: AssignmentChange, signal?: AbortSignal): Promise<HookOutcome> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    XPROV_OLD_HUB: change.oldHub ?? '',
    XPROV_OLD_DEVICE_ID: change.oldDeviceId ?? '',
    XPROV_NEW_HUB: change.newHub,
    XPROV_NEW_DEVICE_ID: change.newDeviceId,
    XPROV_SUBSTATUS: change.substatus ?? '',
  };
  const [program, ...args] = hook.argv;
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      // detached: the hook leads a new process group (-pid), killed as one at the timeout.
      child = spawn(program, args, { env, stdio: 'ignore', shell: false, detached: true });
    } catch (err) {
      // spawn throws synchronously for some arguments (e.g. a NUL byte in argv).
      resolve({ ok: false, reason: `cannot run ${program} (${(err as NodeJS.ErrnoException).code ?? 'spawn failed'})` });
      return;
    }
    let timedOut = false;
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone (ESRCH).
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, hook.timeoutMs);
    const onAbort = (): void => killGroup();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) killGroup();
    const finish = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      // ENOENT, EACCES: nothing was started, so nothing is left to kill.
      finish();
      resolve({ ok: false, reason: `cannot run ${program} (${err.code ?? 'spawn failed'})` });
    });
    child.once('exit', (code, killedBy) => {
      finish();
      if (timedOut) {
        resolve({ ok: false, reason: `${program} did not finish within ${hook.timeoutMs} ms and was killed` });
      } else if (code === 0) {
        resolve({ ok: true });
      } else {
        resolve({ ok: false, reason: killedBy ? `${program} was killed by ${killedBy}` : `${program} exited with ${String(code)}` });
      }
    });
  });
}

/**
 * Runs every hook in order (clean-up steps may depend on each other); resolves with the
 * failures, which are also logged.
 */
export async function runHooks(hooks: readonly ReprovisionHook[], change: AssignmentChange, log: Logger, signal?: AbortSignal): Promise<string[]> {
  const failures: string[] = [];
  for (const hook of hooks) {
    if (signal?.aborted) {
      failures.push(`${hook.argv[0]} not run: xprov is stopping`);
      continue;
    }
    const started = Date.now();
    const outcome = await runHook(hook, change, signal);
    if (outcome.ok) {
      log.info({ hook: hook.argv[0], durationMs: Date.now() - started }, 'reprovision hook done');
    } else {
      log.error({ hook: hook.argv[0], reason: outcome.reason }, 'reprovision hook failed');
      failures.push(outcome.reason);
    }
  }
  return failures;
}
