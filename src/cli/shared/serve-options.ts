/**
 * serve's options in the command's context, shared by the commands that take them
 * (`xprov serve`, `mock`, `iotedge-config` and the store commands).
 */
import { type ServeConfig, parseServeConfig } from '../../config/config.js';
import { UsageError } from '../../errors.js';
import { isSocketActivated } from '../../server/systemd.js';
import type { CliIo } from './io.js';

/**
 * Parses serve's options (also taken by `xprov mock` and `xprov iotedge-config`) in
 * `io`'s context (directory, environment); a problem is a UsageError.
 */
export function serveConfigFromArgs(argv: readonly string[], io: CliIo): ServeConfig {
  try {
    return parseServeConfig(argv, {
      cwd: io.cwd,
      env: io.env,
      socketActivated: isSocketActivated(io.env, process.pid),
      // Before the logger exists (its level is configured): stderr reaches the journal too.
      warn: (message) => io.stderr.write(`xprov: warning: ${message}\n`),
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
