/**
 * The DPS store: xprov registers the device with the Azure Device Provisioning Service
 * and serves what DPS assigned. The enrollment secrets (a group key, the registration
 * certificate's key when served as hsm references) stay here; IoT Edge only receives
 * the per-device credentials.
 *
 * - The registration result is persisted (dps/state.ts) and reused across restarts: DPS
 *   is called at first boot (in the background; until then answers are 503) and on the
 *   daemon's reprovision notice, not on every boot.
 * - Reprovision re-registers. If DPS moved the device (other hub or device id), the new
 *   result is served from then on with DPS's substatus, and the reprovision hooks run.
 *   If DPS is unreachable or refuses, the previous result stays served and the answer
 *   is an error (the daemon logs it and restarts later).
 * - Concurrent registrations are one registration (single flight), and a new one starts
 *   at most once per `minRegistrationIntervalMs` (dps-registration-gate.ts).
 * - What is served is fixed by the settings (dps-credentials.ts): the per-device
 *   credentials, with the hub, device id and substatus DPS assigned.
 * - A registration whose result cannot be saved is served anyway (DPS has moved the
 *   device: the new assignment is the truth) while the save is retried (state-saver.ts).
 * - close() (xprov stopping) aborts a registration and hooks in flight at once.
 */
import { daemonFindings } from '../contract/daemon-rules.js';
import type { DeviceProvisioningInfo } from '../contract/types.js';
import { DpsClient, type DpsClientOptions, type RegistrationResult } from '../dps/client.js';
import { runHooks } from '../dps/hooks.js';
import { type DpsSettings, loadDpsSettings } from '../dps/settings.js';
import { StateSaver } from '../dps/state-saver.js';
import { type RegistrationIdentity, RegistrationState, type RegistrationStateOptions, type SavedRegistration } from '../dps/state.js';
import { DpsError, StoreUnavailableError } from '../errors.js';
import { type Logger, causeChain } from '../log.js';
import { dpsCredentials, servedCredentials, servedInfo } from './dps-credentials.js';
import { type Outcome, RegistrationGate } from './dps-registration-gate.js';
import type { Store } from './store.js';

/** While nothing was ever assigned, a GET may start a new attempt at most this often. */
const RETRY_FIRST_REGISTRATION_MS = 30_000;

function sameIdentity(a: RegistrationIdentity, b: RegistrationIdentity): boolean {
  return a.endpoint === b.endpoint && a.idScope === b.idScope && a.registrationId === b.registrationId;
}

/** Options of DpsStore.open. */
export interface DpsStoreOptions {
  /** Start the first registration in the background when there is no saved result (default true). */
  readonly registerAtStart?: boolean;
  /** Use settings, key and state files that are not trusted, with a warning (--insecure-permissions). */
  readonly insecurePermissions?: boolean;
  /** The clock of the rate limit (epoch ms); Date.now by default, injected by tests. */
  readonly now?: () => number;
  /** The waits between DPS requests (Retry-After, backoff); real timers by default, injected by tests. */
  readonly sleep?: DpsClientOptions['sleep'];
}

/** Serves what DPS assigned to this device. */
export class DpsStore implements Store {
  readonly description: string;
  readonly #settings: DpsSettings;
  readonly #log: Logger;
  readonly #state: RegistrationState;
  readonly #client: DpsClient;
  readonly #credentials: DeviceProvisioningInfo['credentials'];
  readonly #identity: RegistrationIdentity;
  #saved: SavedRegistration | undefined;
  readonly #gate: RegistrationGate;
  #lastFailure: { message: string; at: number } | undefined;
  readonly #stopping = new AbortController();
  #saver: StateSaver | undefined;
  /** Why what DPS assigned cannot be served with the configured credentials (empty: it can). */
  #refusals: readonly string[] = [];
  #closed = false;

  private constructor(settings: DpsSettings, log: Logger, trust: RegistrationStateOptions, options: DpsStoreOptions) {
    this.#settings = settings;
    this.#identity = { endpoint: settings.endpoint, idScope: settings.idScope, registrationId: settings.registrationId };
    this.description = `dps ${settings.idScope}/${settings.registrationId} via ${settings.endpoint}`;
    this.#log = log.child({ store: 'dps', registrationId: settings.registrationId });
    this.#gate = new RegistrationGate({ minIntervalMs: settings.minRegistrationIntervalMs, now: options.now ?? Date.now, log: this.#log });
    this.#state = new RegistrationState(settings.stateDir, trust);
    this.#credentials = servedCredentials(settings);
    this.#client = new DpsClient({
      endpoint: settings.endpoint,
      idScope: settings.idScope,
      registrationId: settings.registrationId,
      apiVersion: settings.apiVersion,
      credentials: dpsCredentials(settings),
      payload: settings.payload,
      ...(settings.trustedCaPem ? { extraCaPem: settings.trustedCaPem } : {}),
      deadlineMs: settings.registrationTimeoutMs,
      backoff: settings.retry,
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
  }

  /**
   * Reads the settings (throws ConfigError if they are invalid) and the saved result;
   * with none, starts the first registration in the background.
   */
  static async open(settingsFile: string, log: Logger, options: DpsStoreOptions = {}): Promise<DpsStore> {
    // Files that are not trusted are refused (ConfigError), or used with this warning.
    const warn = (warning: string): void => log.warn({ store: 'dps', warning }, 'store warning');
    const trust = { insecurePermissions: options.insecurePermissions === true, warn };
    const store = new DpsStore(loadDpsSettings(settingsFile, trust), log, trust, options);
    await store.#loadState();
    if (store.#saved === undefined && options.registerAtStart !== false) {
      void store.#register('first registration');
    }
    return store;
  }

  /** The saved registration, if any (for `xprov dps register`). */
  get saved(): SavedRegistration | undefined {
    return this.#saved;
  }

  async getProvisioningInfo(): Promise<DeviceProvisioningInfo> {
    const saved = this.#saved;
    if (saved === undefined) {
      const failure = this.#lastFailure;
      const retryAfterMs = Math.max(RETRY_FIRST_REGISTRATION_MS, this.#settings.minRegistrationIntervalMs);
      if (!this.#gate.busy && failure !== undefined && Date.now() - failure.at > retryAfterMs) {
        void this.#register('retry of the first registration');
      }
      throw new StoreUnavailableError(
        failure === undefined || this.#gate.busy ? 'no DPS registration yet: registration in progress' : `no DPS registration yet: ${failure.message}`,
      );
    }
    if (this.#refusals.length > 0) {
      throw new StoreUnavailableError(`DPS store ${this.#settings.registrationId}: ${this.#refusals.join('; ')}`);
    }
    return servedInfo(saved, this.#credentials);
  }

  /** Re-registers with DPS; rejects (keeping the previous result served) if that fails. */
  async reprovision(): Promise<void> {
    const outcome = await this.#register('reprovision');
    if (!outcome.ok) {
      const keeping = this.#saved ? `; still serving ${this.#saved.result.deviceId} on ${this.#saved.result.assignedHub}` : '';
      throw new StoreUnavailableError(`reprovision: ${outcome.error.message}${keeping}`);
    }
    if (outcome.hookFailures.length > 0) {
      throw new StoreUnavailableError(`reprovision: the new assignment is served, but a reprovision hook failed: ${outcome.hookFailures.join('; ')}`);
    }
  }

  /** Runs a registration now (for `xprov dps register`); resolves with its outcome. */
  async registerNow(): Promise<{ ok: true; changed: boolean } | { ok: false; message: string }> {
    const outcome = await this.#register('command line');
    return outcome.ok ? { ok: true, changed: outcome.changed } : { ok: false, message: outcome.error.message };
  }

  /**
   * Aborts a registration (and hooks) in flight, so that stopping takes milliseconds
   * rather than up to registrationTimeoutMs, and makes a last attempt to save an
   * assignment that could not be saved.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const stopped = this.#gate.stop();
    this.#stopping.abort();
    await stopped;
    await this.#saver?.close();
  }

  async #loadState(): Promise<void> {
    const loaded = await this.#state.load();
    this.#saver = new StateSaver(this.#state, this.#log, this.#settings.retry, loaded.kind === 'ok' ? loaded.saved : undefined);
    if (loaded.kind === 'corrupt') {
      this.#log.warn(
        { file: this.#state.file, problem: loaded.problem },
        'DPS state file and its backup are corrupt or invalid; not serving them, registering again',
      );
      return;
    }
    if (loaded.kind === 'none') {
      this.#log.info('no saved DPS registration; registering');
      return;
    }
    if (!sameIdentity(loaded.saved.identity, this.#identity)) {
      this.#log.info('saved DPS registration belongs to other settings (endpoint, id scope or registration id); registering again');
      return;
    }
    if (loaded.corruptPrimary) {
      this.#log.warn({ file: this.#state.file, problem: loaded.problem }, 'DPS state file is corrupt or invalid; serving the backup and registering again');
    }
    this.#saved = loaded.saved;
    this.#checkServable();
    this.#log.info(
      { hubName: loaded.saved.result.assignedHub, deviceId: loaded.saved.result.deviceId, registeredAt: loaded.saved.registeredAt },
      'using saved DPS registration',
    );
    if (loaded.fromBackup) {
      void this.#register('state file was corrupt');
    }
  }

  /**
   * Checks what would be served now as the file stores do (the daemon's rules, and an
   * X.509 identity's key, chain and validity): problems stop it being served, warnings
   * (a certificate expiring soon) are logged.
   */
  #checkServable(): void {
    const saved = this.#saved;
    if (saved === undefined) return;
    const findings = daemonFindings({ hubName: saved.result.assignedHub, deviceId: saved.result.deviceId, credentials: this.#credentials });
    this.#refusals = findings.problems;
    if (findings.problems.length > 0) {
      this.#log.error({ problems: findings.problems }, 'the configured credentials would be refused; answering 503 until the settings are fixed');
    }
    for (const warning of findings.warnings) {
      this.#log.warn({ warning }, 'store warning');
    }
  }

  /** One registration at a time, and a new one at most once per minRegistrationIntervalMs. */
  #register(reason: string): Promise<Outcome> {
    return this.#gate.run(reason, (why) => this.#registerOnce(why));
  }

  async #registerOnce(reason: string): Promise<Outcome> {
    this.#log.info({ reason, endpoint: this.#settings.endpoint }, 'registering with DPS');
    let result: RegistrationResult;
    try {
      result = await this.#client.register(
        ({ attempt, delayMs, reason: why }) => this.#log.warn({ attempt, delayMs, reason: why }, 'DPS registration attempt failed; retrying'),
        this.#stopping.signal,
      );
    } catch (err) {
      const error = err instanceof DpsError ? err : new DpsError('unavailable', 'DPS registration failed unexpectedly', { cause: err });
      this.#lastFailure = { message: error.message, at: Date.now() };
      this.#log.error({ reason, kind: error.kind, cause: causeChain(err) }, 'DPS registration failed');
      return { ok: false, error };
    }
    const previous = this.#saved?.result;
    const changed = previous === undefined || previous.assignedHub !== result.assignedHub || previous.deviceId !== result.deviceId;
    const saved: SavedRegistration = { identity: this.#identity, result, registeredAt: new Date().toISOString() };
    // Served even when the write fails: the saver retries it and logs what the next start serves.
    await this.#saver?.save(saved);
    this.#saved = saved;
    this.#lastFailure = undefined;
    this.#checkServable();
    this.#log.info(
      { reason, hubName: result.assignedHub, deviceId: result.deviceId, substatus: result.substatus, changed, previousHub: previous?.assignedHub },
      changed ? 'DPS assigned the device' : 'DPS confirmed the assignment',
    );
    let hookFailures: string[] = [];
    if (changed && previous !== undefined && !this.#closed) {
      hookFailures = await runHooks(
        this.#settings.reprovisionHooks,
        { oldHub: previous.assignedHub, oldDeviceId: previous.deviceId, newHub: result.assignedHub, newDeviceId: result.deviceId, substatus: result.substatus },
        this.#log,
        this.#stopping.signal,
      );
    }
    return { ok: true, changed, hookFailures };
  }
}
