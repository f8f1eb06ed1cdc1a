/**
 * Restarts aziot's services after their configuration changed, the way `iotedge config
 * apply` does (Azure/iot-identity-service aziotctl/aziotctl-common/src/system/restart.rs:
 * stop every service, then start them again): aziot-keyd takes new preloaded keys only
 * when it starts (config-common/src/watcher.rs applies only principal changes live), and
 * aziot-edged must start after identityd has the new identity. Stopped dependents first,
 * started dependencies first.
 */
import { execFile } from 'node:child_process';

/** The units, in the order they are started (keyd, certd, identityd, then edged on them). */
export const AZIOT_UNITS = ['aziot-keyd.service', 'aziot-certd.service', 'aziot-identityd.service', 'aziot-edged.service'] as const;

/** systemctl answers quickly; a hung one must not hang the boot. */
const SYSTEMCTL_TIMEOUT_MS = 120_000;

/** Runs one systemctl command; rejects with a message naming it. */
export type Systemctl = (args: readonly string[]) => Promise<void>;

/**
 * systemctl from `env`'s PATH. Its environment holds only PATH (nothing of xprov's own:
 * no secret is ever in a child's environment), its arguments only verbs and unit names.
 */
export function systemctlFromPath(env: NodeJS.ProcessEnv): Systemctl {
  return (args) =>
    new Promise((resolve, reject) => {
      execFile(
        'systemctl',
        [...args],
        { env: { PATH: env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' }, timeout: SYSTEMCTL_TIMEOUT_MS, maxBuffer: 64 * 1024 },
        (err, _stdout, stderr) => {
          if (err === null) {
            resolve();
            return;
          }
          const code = typeof err.code === 'number' ? `exit code ${err.code}` : (err.code ?? err.signal ?? 'failed');
          const detail = stderr.trim().split('\n')[0]?.slice(0, 200) ?? '';
          reject(new Error(`systemctl ${args.join(' ')} failed (${code})${detail === '' ? '' : `: ${detail}`}`));
        },
      );
    });
}

/** Stops edged, identityd, certd and keyd, then starts keyd, certd, identityd and edged. */
export async function restartAziot(systemctl: Systemctl): Promise<void> {
  for (const unit of [...AZIOT_UNITS].reverse()) {
    await systemctl(['stop', unit]);
  }
  for (const unit of AZIOT_UNITS) {
    await systemctl(['start', unit]);
  }
}
