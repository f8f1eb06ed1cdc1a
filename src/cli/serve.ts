/**
 * `xprov serve`: parse the configuration, start the service, stop it gracefully on
 * SIGTERM/SIGINT (exit 0).
 */
import { ConfigError } from '../config/config-error.js';
import { type ServeConfig, parseServeConfig, serveUsage } from '../config/config.js';
import { createLogger, causeChain } from '../log.js';
import { type RunningService, startService } from '../server/serve.js';
import { isSocketActivated, takePassedSockets } from '../server/systemd.js';
import type { SecretsAdapter } from '../store/adapter.js';
import { UsageError } from './usage-error.js';

/** Runs the service until a stop signal; resolves with the exit code. */
export async function serveCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${serveUsage()}\n`);
    return 0;
  }
  return runService(serveConfigFromArgs(argv));
}

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

/**
 * Starts the service described by `config` (serving `adapter` instead of opening
 * `config.store` when given) and runs it until SIGTERM/SIGINT; resolves with the exit
 * code: 0 after a graceful stop, 1 when it cannot start or stop cleanly.
 */
export async function runService(config: ServeConfig, adapter?: SecretsAdapter): Promise<number> {
  const log = createLogger(config.logLevel);
  // Handlers go in before anything starts, so that a signal arriving while starting is
  // not fatal: the service stops as soon as it is up.
  let signalled: NodeJS.Signals | undefined;
  let onStop: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled === undefined) {
      signalled = signal;
      onStop?.();
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const passed = takePassedSockets(process.env, process.pid);
  let service: RunningService;
  try {
    service = await startService(config, log, passed, adapter);
  } catch (err) {
    if (err instanceof ConfigError) {
      // A store's own settings file (e.g. the DPS settings) is configuration too.
      throw new UsageError(err.message);
    }
    log.fatal({ cause: causeChain(err) }, 'cannot start');
    process.stderr.write(`xprov: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    onStop = () => {
      log.info({ signal: signalled }, 'stopping: finishing in-flight requests');
      service.stop().then(
        (clean) => {
          log.info({ clean }, 'stopped');
          resolve(0);
        },
        (err: unknown) => {
          log.error({ cause: causeChain(err) }, 'error while stopping');
          resolve(1);
        },
      );
    };
    if (signalled !== undefined) {
      onStop();
    }
  });
}
