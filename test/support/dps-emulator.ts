/**
 * A protocol-faithful emulator of the Azure Device Provisioning Service's device
 * registration API over HTTPS (DPS's device registration REST API), for the DPS client's tests:
 * register (PUT), operation polling (GET) and the registration state lookup (POST),
 * symmetric-key (individual and group, derived keys) and X.509 attestation, DPS error
 * bodies, Retry-After, injected failures and an outage on the same port, and a hostile
 * mode (dps-emulator/hostile.ts: silent, a byte at a time, endless answers) and tampered
 * registration states (fields DPS should never send).
 *
 * Decisions where dps.md leaves room:
 * - Authentication picks the enrollment first: the individual enrollment of the
 *   registration id, else the group enrollments of the credential's kind. None → 404;
 *   some, but the credential proves none of them → 401.
 * - A request with an Authorization header counts as `sas` (even when it is not a
 *   valid token); otherwise a TLS client certificate makes it `x509`.
 * - Assignment is decided when the PUT is accepted; the lookup sees it once an answer
 *   has reported it as done (assigning is not "done").
 * - Error codes are HTTP status × 1000 + detail; 401002 comes from dps.md, the rest are
 *   this emulator's picks (dps-emulator/protocol.ts). `x-ms-error-code` carries the same number.
 * - Timestamps have 7 fractional digits like DPS's (.NET) ones, so a client's date
 *   parsing meets the real format.
 *
 * Its parts: dps-emulator/transport.ts (HTTPS, outage, misnamed host), protocol.ts
 * (routes, bodies, credentials as sent, error answers), enrollments.ts and
 * credentials.ts (which enrollment a request proves), registrations.ts (devices and
 * operations), hostile.ts (misbehaviours); this file routes requests between them.
 *
 * Secrets: the emulator logs nothing. Enrollment keys, derived device keys, device
 * certificate keys and every SAS signature it receives are registered with the secrets
 * scan, and its request log (which holds none of them) is handed to the scan on stop.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Koa, { type Context } from 'koa';
import { Enrollments } from './dps-emulator/enrollments.js';
import { type HostileBehaviour, misbehave } from './dps-emulator/hostile.js';
import { type Credential, DPS_API_VERSIONS, DpsError, answerError, parseRoute, readBody, readCredential } from './dps-emulator/protocol.js';
import { type Operation, Registrations } from './dps-emulator/registrations.js';
import { EmulatorTransport } from './dps-emulator/transport.js';
import type { Assignment, Attestation, DpsEmulatorOptions, Failure, RecordedRequest, RegistrationState, Substatus } from './dps-emulator/types.js';
import { makeCertificateAuthority, makeServerCertificate } from './pki.js';
import { recordOutput } from './secrets.js';
import { tempDir } from './tmp.js';

export { deriveDeviceKey } from './dps-emulator/credentials.js';
export { DPS_API_VERSIONS } from './dps-emulator/protocol.js';
export type { HostileBehaviour } from './dps-emulator/hostile.js';
export type { Assignment, Attestation, DpsEmulatorOptions, Failure, RecordedRequest, Substatus } from './dps-emulator/types.js';
export { type TestIdentity as DeviceCertificate, type TestCa as TestCertificateAuthority, makeCertificateAuthority, makeDeviceCertificate } from './pki.js';

// Counts, and Retry-After values: HTTP's Retry-After is whole seconds, so no fractions.
function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer`);
  }
  return value;
}

/** The emulators' TLS identity: a throwaway CA, its certificate in a file, and the server certificate. */
interface EmulatorPki {
  readonly caCertPem: string;
  readonly caCertFile: string;
  readonly tls: { readonly certPem: string; readonly keyPem: string };
}

let pki: EmulatorPki | undefined;

/**
 * Made once per test run and shared by every emulator: issuing costs tens of ms (two
 * openssl runs per certificate), and nothing depends on emulators having different
 * CAs (each has its own ID scope, so one's tokens never pass another).
 */
function emulatorPki(): EmulatorPki {
  if (pki === undefined) {
    const ca = makeCertificateAuthority('xprov DPS emulator CA - throwaway');
    const caCertFile = path.join(tempDir(), 'dps-emulator-ca.pem');
    writeFileSync(caCertFile, ca.certPem);
    pki = { caCertPem: ca.certPem, caCertFile, tls: makeServerCertificate(ca) };
  } else if (!existsSync(pki.caCertFile)) {
    // Temporary directories may be removed between test files: the CA file is cheap to remake.
    pki = { ...pki, caCertFile: path.join(tempDir(), 'dps-emulator-ca.pem') };
    writeFileSync(pki.caCertFile, pki.caCertPem);
  }
  return pki;
}

/** The emulated DPS instance: one ID scope, HTTPS on 127.0.0.1. */
export class DpsEmulator {
  /** e.g. "0ne00A1B2C3": random, so that one emulator's tokens never pass another's. */
  readonly idScope = `0ne${randomBytes(4).toString('hex').toUpperCase()}`;
  private readonly transport: EmulatorTransport;
  private readonly pollsBeforeAssigned: number;
  private readonly retryAfterSeconds: number;
  private readonly assignImmediately: boolean;
  private readonly enrollments = new Enrollments(this.idScope);
  private readonly registrations = new Registrations();
  private readonly failures: Failure[] = [];
  private readonly recorded: RecordedRequest[] = [];
  private hostile: HostileBehaviour | undefined;
  private tamper: ((state: RegistrationState) => Record<string, unknown>) | undefined;

  private constructor(
    options: DpsEmulatorOptions,
    /** The throwaway CA that signed the TLS server certificate. */
    readonly caCertPem: string,
    /** `caCertPem` in a temporary file, for clients that take a CA file. */
    readonly caCertFile: string,
    tls: { certPem: string; keyPem: string },
  ) {
    this.pollsBeforeAssigned = nonNegativeInteger('pollsBeforeAssigned', options.pollsBeforeAssigned ?? 1);
    this.retryAfterSeconds = nonNegativeInteger('retryAfterSeconds', options.retryAfterSeconds ?? 1);
    this.assignImmediately = options.assignImmediately ?? false;
    const app = new Koa();
    app.silent = true;
    app.use((ctx) => this.serve(ctx));
    this.transport = new EmulatorTransport(tls, app.callback());
  }

  /** Starts an emulator on a free port, with the throwaway CA and server certificate of the test run. */
  static async start(options: DpsEmulatorOptions = {}): Promise<DpsEmulator> {
    const { caCertPem, caCertFile, tls } = emulatorPki();
    const emulator = new DpsEmulator(options, caCertPem, caCertFile, tls);
    await emulator.transport.listen(0);
    return emulator;
  }

  /**
   * The same service under a loopback address its certificate does not name (a host
   * name mismatch): `127.0.0.2:PORT`, a second listener handing its connections over.
   */
  misnamedHost(): Promise<string> {
    return this.transport.misnamedHost();
  }

  /** "127.0.0.1:PORT": the global endpoint's stand-in, HTTPS. */
  get host(): string {
    return this.transport.host;
  }

  /** Every request answered so far, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  /** Enrolls one device; its device id and hub come from `assignment`. */
  addIndividualEnrollment(e: { registrationId: string; attestation: Attestation; assignment: Assignment }): void {
    this.enrollments.addIndividual(e);
  }

  /**
   * Enrolls a group: with symmetric keys, any registration id whose device key is
   * derived from the group key (deriveDeviceKey); with X.509, any certificate chaining
   * up to `caCertPem` whose CN is the registration id. Device id = registration id.
   */
  addGroupEnrollment(e: { enrollmentGroupId: string; attestation: Attestation; hub: string; payload?: unknown }): void {
    this.enrollments.addGroup(e);
  }

  /**
   * Makes the device's next successful registration land on `to.hub` with
   * `to.substatus` (default deviceDataMigrated, DPS's default reprovisioning policy).
   */
  moveRegistration(registrationId: string, to: { hub: string; substatus?: Substatus }): void {
    this.registrations.move(registrationId, { hub: to.hub, substatus: to.substatus ?? 'deviceDataMigrated' });
  }

  /** Enables or disables an individual enrollment (by registration id) or a group (by id). */
  setEnrollmentStatus(id: string, status: 'enabled' | 'disabled'): void {
    this.enrollments.setStatus(id, status);
  }

  /** Fails the next `count` routed requests (register, poll or lookup) with `failure`. */
  failNext(count: number, failure: Failure): void {
    if (failure.retryAfterSeconds !== undefined) nonNegativeInteger('retryAfterSeconds', failure.retryAfterSeconds);
    for (let i = 0; i < count; i++) this.failures.push(failure);
  }

  /** Down: closes the listener and every connection (clients get ECONNREFUSED); up: listens again on the same port. */
  async setDown(down: boolean): Promise<void> {
    if (down) await this.transport.close();
    else if (!this.transport.listening) await this.transport.listen();
  }

  /** Misbehaves for every request from now on (undefined: behaves again). Such requests are recorded with status 0. */
  setHostile(behaviour: HostileBehaviour | undefined): void {
    this.hostile = behaviour;
  }

  /** Rewrites the registrationState of every final answer (undefined: stops), e.g. to send a hub DPS never would. */
  tamperWithState(fn: ((state: RegistrationState) => Record<string, unknown>) | undefined): void {
    this.tamper = fn;
  }

  /** Register PUTs that passed authentication. */
  registrationCount(registrationId: string): number {
    return this.registrations.count(registrationId);
  }

  /** The `payload` of the device's last authenticated register PUT. */
  lastRegistrationPayload(registrationId: string): unknown {
    return this.registrations.lastPayload(registrationId);
  }

  /** Stops for good and hands the request log to the secrets scan. */
  async stop(): Promise<void> {
    await this.transport.stop();
    recordOutput('DPS emulator request log', JSON.stringify(this.recorded));
  }

  private async serve(ctx: Context): Promise<void> {
    const at = Date.now();
    if (this.hostile !== undefined) {
      this.recorded.push({ method: ctx.method, path: ctx.path, apiVersion: null, auth: 'none', at, status: 0, rejection: `hostile: ${this.hostile.kind}` });
      misbehave(ctx, this.hostile);
      return;
    }
    const credential = readCredential(ctx);
    const query = ctx.query['api-version'];
    const apiVersion = typeof query === 'string' ? query : null;
    let rejection: string | undefined;
    try {
      await this.dispatch(ctx, credential, apiVersion);
    } catch (err) {
      const error = err instanceof DpsError ? err : new DpsError(500, `emulator bug: ${err instanceof Error ? err.message : String(err)}`);
      rejection = error.reason;
      answerError(ctx, error);
    }
    const sas = credential.kind === 'sas' && typeof credential.token !== 'string' ? { sasResourceEncoded: credential.token.resourceEncoded } : {};
    this.recorded.push({
      method: ctx.method,
      path: ctx.path,
      apiVersion,
      auth: credential.kind,
      ...sas,
      at,
      status: ctx.status,
      ...(rejection ? { rejection } : {}),
    });
  }

  private async dispatch(ctx: Context, credential: Credential, apiVersion: string | null): Promise<void> {
    const route = parseRoute(ctx.method, ctx.path, this.idScope);
    const failure = this.failures.shift();
    if (failure) {
      // Throttling and outages happen in front of the service: before any other check.
      const retryAfter = failure.retryAfterSeconds ?? (failure.status === 429 || failure.status === 503 ? this.retryAfterSeconds : undefined);
      throw new DpsError(failure.status, 'failNext', undefined, undefined, retryAfter);
    }
    if (apiVersion === null || !DPS_API_VERSIONS.includes(apiVersion)) {
      throw new DpsError(400, `unsupported api-version ${String(apiVersion)}`, 400004, 'The api-version is invalid or not supported.');
    }
    const { registrationId } = route;
    if (route.op === 'poll') {
      this.enrollments.authenticate(registrationId, credential);
      const operation = this.registrations.operation(registrationId, route.operationId);
      if (operation.pollsLeft > 0) {
        operation.pollsLeft -= 1;
        this.answerAssigning(ctx, operation);
      } else {
        this.answerDone(ctx, operation);
      }
      return;
    }
    const body = await readBody(ctx, registrationId);
    const enrollment = this.enrollments.authenticate(registrationId, credential);
    if (route.op === 'lookup') {
      ctx.body = this.registrations.lookup(registrationId);
      return;
    }
    const operation = this.registrations.register(enrollment, registrationId, credential, body.payload, this.pollsBeforeAssigned);
    if (this.assignImmediately) this.answerDone(ctx, operation);
    else this.answerAssigning(ctx, operation);
  }

  private answerAssigning(ctx: Context, operation: Operation): void {
    ctx.status = 202;
    ctx.set('Retry-After', String(this.retryAfterSeconds));
    ctx.body = { operationId: operation.id, status: 'assigning' };
  }

  private answerDone(ctx: Context, operation: Operation): void {
    this.registrations.done(operation);
    ctx.status = 200;
    const state = this.tamper ? this.tamper(operation.state) : operation.state;
    ctx.body = { operationId: operation.id, status: operation.state.status, registrationState: state };
  }
}
