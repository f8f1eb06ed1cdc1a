/**
 * serve's options in this process's context, shared by the commands that take them
 * (`xprov serve`, `mock`, `iotedge-config` and the store commands).
 */
import { type ServeConfig, parseServeConfig } from '../../config/config.js';
import { UsageError } from '../../errors.js';
import { isSocketActivated } from '../../server/systemd.js';

/**
 * Parses serve's options (also taken by `xprov mock` and `xprov iotedge-config`) in
 * this process's context; a problem is a UsageError.
 */
export function serveConfigFromArgs(argv: readonly string[]): ServeConfig {
  try {
    return parseServeConfig(argv, {
      cwd: process.cwd(),
      socketActivated: isSocketActivated(process.env, process.pid),
      // Before the logger exists (its level is configured): stderr reaches the journal too.
      warn: (message) => process.stderr.write(`xprov: warning: ${message}\n`),
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
