/**
 * Running the service until it is told to stop, shared by `xprov serve` and `xprov mock`.
 */
import type { ServeConfig } from '../../config/config.js';
import { exitCodeFor } from '../../errors.js';
import { causeChain } from '../../log.js';
import { type RunningService, startService } from '../../server/serve.js';
import { takePassedSockets } from '../../server/systemd.js';
import type { Store } from '../../store/store.js';
import type { CliIo } from './io.js';

/**
 * Starts the service described by `config` (serving `store` instead of opening
 * `config.store` when given) and runs it until `io` says stop (SIGTERM/SIGINT);
 * resolves with the exit code: 0 after a graceful stop, 1 when it cannot start or
 * stop cleanly.
 */
export async function runService(config: ServeConfig, io: CliIo, store?: Store): Promise<number> {
  const log = io.logger(config.logLevel, 'stdout');
  // Handlers go in before anything starts, so that a signal arriving while starting is
  // not fatal: the service stops as soon as it is up.
  let signalled: string | undefined;
  let onStop: (() => void) | undefined;
  // SIGHUP re-reads the store (a TPM index cannot be watched), as daemons conventionally
  // reload; before the service is up there is nothing to re-read, and it is not fatal.
  let running: RunningService | undefined;
  const stopReloads =
    io.onReload?.(() => {
      running?.reload().then(
        (reloaded) => log.info({ reloaded }, reloaded ? 'SIGHUP: store read again' : 'SIGHUP: this store has nothing to read again'),
        (err: unknown) => log.error({ cause: causeChain(err) }, 'SIGHUP: reading the store again failed'),
      );
    }) ?? (() => undefined);
  const stopSignals = io.onStop((signal) => {
    if (signalled === undefined) {
      signalled = signal;
      onStop?.();
    }
  });
  const stopListening = (): void => {
    stopSignals();
    stopReloads();
  };

  const passed = takePassedSockets(io.env, process.pid);
  let service: RunningService;
  try {
    service = await startService(config, log, passed, store);
  } catch (err) {
    stopListening();
    if (exitCodeFor(err) !== undefined) {
      // A store's own settings file (e.g. the DPS settings) is configuration too: the
      // CLI's main prints it and exits 2.
      throw err;
    }
    log.fatal({ cause: causeChain(err) }, 'cannot start');
    io.stderr.write(`xprov: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  running = service;
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
