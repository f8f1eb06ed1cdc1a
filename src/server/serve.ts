/**
 * Starting and stopping the service: open the store, build the app, bind the
 * listeners; on stop, stop accepting, let in-flight requests finish (cut after the
 * shutdown timeout), remove created sockets and close the store.
 */
import type { ServeConfig } from '../config/config.js';
import { createApp } from '../http/app.js';
import type { Logger } from '../log.js';
import { ProvisioningService } from '../service.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { resolveGroup } from './group.js';
import { type BoundListener, bindListeners } from './listen.js';
import type { PassedSocket } from './systemd.js';

/** A started service. */
export interface RunningService {
  readonly listeners: readonly BoundListener[];
  /** Reads the store again (SIGHUP); resolves once done, with false when the store has nothing to re-read. */
  reload(): Promise<boolean>;
  /** Stops gracefully; resolves true when every in-flight request finished in time. */
  stop(): Promise<boolean>;
}

/**
 * Starts the service described by `config`; rejects if a listener cannot be bound.
 * `given`, when there is one, is served instead of opening `config.store` (`xprov mock`
 * serves the spec's examples through the very same HTTP layer); it is closed on stop.
 */
export async function startService(config: ServeConfig, log: Logger, passed: readonly PassedSocket[], given?: Store): Promise<RunningService> {
  const gid = config.socketGroup === undefined ? undefined : resolveGroup(config.socketGroup);
  const store = given ?? (await openStore(config.store, log, { insecurePermissions: config.insecurePermissions, tpmTcti: config.tpmTcti }));
  const app = createApp(new ProvisioningService(store, log), log);
  let listeners: BoundListener[];
  try {
    listeners = await bindListeners(config.listen, app.callback(), {
      timeouts: config,
      socket: { mode: config.socketMode, gid, insecurePermissions: config.insecurePermissions },
      passed,
      maxConnections: config.maxConnections,
      allowedHosts: config.allowedHosts,
      log,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  if ((config.socketMode & 0o002) !== 0 && config.listen.some((l) => l.kind === 'unix')) {
    log.warn(
      { socketMode: `0${config.socketMode.toString(8)}` },
      'socketMode lets every local user connect to the socket and read the provisioning secrets; use 0660 with socketGroup',
    );
  }
  log.info({ listen: listeners.map((l) => l.description), store: store.description }, 'xprov serving');

  let stopping: Promise<boolean> | undefined;
  const stop = async (): Promise<boolean> => {
    // Closing the store first aborts what it has in flight (a DPS registration would
    // otherwise hold a reprovision request, and the stop, for registrationTimeoutMs);
    // the stores serve from memory, so requests still draining get their answers.
    const storeClosed = store.close();
    storeClosed.catch(() => {}); // awaited (and so reported) below; not an unhandled rejection meanwhile
    const closed = Promise.all(
      listeners.map(
        (l) =>
          new Promise<void>((resolve) => {
            l.server.close(() => resolve());
          }),
      ),
    );
    // close() stops accepting; connections busy with a request are closed as soon as
    // their answer is out (rather than after the keep-alive timeout), until all are gone.
    const closeIdle = (): void => {
      for (const l of listeners) l.server.closeIdleConnections();
    };
    const sweep = setInterval(closeIdle, 25);
    closeIdle();
    void closed.then(() => clearInterval(sweep));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), config.shutdownTimeoutMs);
    });
    const finished = await Promise.race([closed.then(() => true), timedOut]);
    clearTimeout(timer);
    clearInterval(sweep);
    if (!finished) {
      log.warn({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight requests did not finish in time; closing their connections');
      for (const l of listeners) {
        l.server.closeAllConnections();
      }
      await closed;
    }
    await Promise.all(listeners.map((l) => l.cleanup()));
    await storeClosed;
    return finished;
  };
  return {
    listeners,
    reload: async () => {
      if (store.reload === undefined) {
        return false;
      }
      await store.reload('SIGHUP');
      return true;
    },
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}
