/**
 * Reprovision hooks: local clean-up commands run after DPS moved the device, e.g. to
 * clear state cached for the old hub. Each runs without a shell (argv as given), with
 * a timeout, and with the old and new assignment in its environment. Their output is
 * not logged (a hook may print what it cleaned, secrets included); only how they ended.
 */
import { spawn } from 'node:child_process';
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

/** Runs one hook; never rejects. */
export function runHook(hook: ReprovisionHook, change: AssignmentChange): Promise<HookOutcome> {
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
    const child = spawn(program, args, { env, stdio: 'ignore', shell: false });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, hook.timeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `cannot run ${program} (${err.code ?? err.message})` });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        resolve({ ok: false, reason: `${program} did not finish within ${hook.timeoutMs} ms and was killed` });
      } else if (code === 0) {
        resolve({ ok: true });
      } else {
        resolve({ ok: false, reason: signal ? `${program} was killed by ${signal}` : `${program} exited with ${String(code)}` });
      }
    });
  });
}

/**
 * Runs every hook in order (clean-up steps may depend on each other); resolves with the
 * failures, which are also logged.
 */
export async function runHooks(hooks: readonly ReprovisionHook[], change: AssignmentChange, log: Logger): Promise<string[]> {
  const failures: string[] = [];
  for (const hook of hooks) {
    const started = Date.now();
    const outcome = await runHook(hook, change);
    if (outcome.ok) {
      log.info({ hook: hook.argv[0], durationMs: Date.now() - started }, 'reprovision hook done');
    } else {
      log.error({ hook: hook.argv[0], reason: outcome.reason }, 'reprovision hook failed');
      failures.push(outcome.reason);
    }
  }
  return failures;
}
