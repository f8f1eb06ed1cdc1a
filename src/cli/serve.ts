/**
 * `xprov serve`: parse the configuration, start the service, stop it gracefully on
 * SIGTERM/SIGINT (exit 0), or whatever else the I/O's onStop says (tests in-process).
 */
import { ConfigError } from '../config/config-error.js';
import { type ServeConfig, parseServeConfig, serveUsage } from '../config/config.js';
import { causeChain } from '../log.js';
import { type RunningService, startService } from '../server/serve.js';
import { isSocketActivated, takePassedSockets } from '../server/systemd.js';
import type { SecretsAdapter } from '../store/adapter.js';
import type { CliIo } from './io.js';
import { UsageError } from './usage-error.js';

/** Runs the service until a stop signal; resolves with the exit code. */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(`${serveUsage()}\n`);
    return 0;
  }
  return runService(serveConfigFromArgs(argv, io), io);
}

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

/**
 * Starts the service described by `config` (serving `adapter` instead of opening
 * `config.store` when given) and runs it until `io` says stop (SIGTERM/SIGINT);
 * resolves with the exit code: 0 after a graceful stop, 1 when it cannot start or
 * stop cleanly.
 */
export async function runService(config: ServeConfig, io: CliIo, adapter?: SecretsAdapter): Promise<number> {
  const log = io.logger(config.logLevel, 'stdout');
  // Handlers go in before anything starts, so that a signal arriving while starting is
  // not fatal: the service stops as soon as it is up.
  let signalled: string | undefined;
  let onStop: (() => void) | undefined;
  const stopListening = io.onStop((signal) => {
    if (signalled === undefined) {
      signalled = signal;
      onStop?.();
    }
  });

  const passed = takePassedSockets(io.env, process.pid);
  let service: RunningService;
  try {
    service = await startService(config, log, passed, adapter);
  } catch (err) {
    stopListening();
    if (err instanceof ConfigError) {
      // A store's own settings file (e.g. the DPS settings) is configuration too.
      throw new UsageError(err.message);
    }
    log.fatal({ cause: causeChain(err) }, 'cannot start');
    io.stderr.write(`xprov: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    onStop = () => {
      log.info({ signal: signalled }, 'stopping: finishing in-flight requests');
      service.stop().then(
        (clean) => {
          log.info({ clean }, 'stopped');
          stopListening();
          resolve(0);
        },
        (err: unknown) => {
          log.error({ cause: causeChain(err) }, 'error while stopping');
          stopListening();
          resolve(1);
        },
      );
    };
    if (signalled !== undefined) {
      onStop();
    }
  });
}
