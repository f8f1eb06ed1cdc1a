/**
 * Restarts aziot's services after their configuration changed, the way `iotedge config
 * apply` does (Azure/iot-identity-service aziotctl/aziotctl-common/src/system/restart.rs:
 * stop every service, start every socket, then start the first, primary service only,
 * which starts the others through socket activation as it needs them). aziot-keyd takes
 * new preloaded keys only when it starts (config-common/src/watcher.rs applies only
 * principal changes live), so every service is stopped first; for IoT Edge the primary
 * service is aziot-edged (Azure/iotedge edgelet/iotedge: its service list starts with it).
 */
import { execFile } from 'node:child_process';

/** The services whose configuration sync writes, dependencies first (keyd, certd, identityd, then edged on them). */
export const AZIOT_UNITS = ['aziot-keyd.service', 'aziot-certd.service', 'aziot-identityd.service', 'aziot-edged.service'] as const;

/** Their sockets, started before the primary service so that it can reach the others (socket activation). */
export const AZIOT_SOCKETS = [
  'aziot-keyd.socket',
  'aziot-certd.socket',
  'aziot-identityd.socket',
  'aziot-edged.mgmt.socket',
  'aziot-edged.workload.socket',
] as const;

/** The primary service: started last, it starts the others through their sockets. */
export const AZIOT_PRIMARY = 'aziot-edged.service';

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

/** Stops edged, identityd, certd and keyd, starts every socket, then starts aziot-edged (aziot's restart). */
export async function restartAziot(systemctl: Systemctl): Promise<void> {
  for (const unit of [...AZIOT_UNITS].reverse()) {
    await systemctl(['stop', unit]);
  }
  for (const socket of AZIOT_SOCKETS) {
    await systemctl(['start', socket]);
  }
  await systemctl(['start', AZIOT_PRIMARY]);
}
