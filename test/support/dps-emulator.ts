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
 * Secrets: the emulator logs nothing. Enrollment keys, derived device keys, device
 * certificate keys and every SAS signature it receives are registered with the secrets
 * scan, and its request log (which holds none of them) is handed to the scan on stop.
 */
import { X509Certificate, constants, randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:https';
import { type AddressInfo, type Server as NetServer, createServer as createNetServer } from 'node:net';
import path from 'node:path';
import Koa, { type Context } from 'koa';
import { checkSas, checkX509, deriveDeviceKey } from './dps-emulator/credentials.js';
import { type HostileBehaviour, misbehave } from './dps-emulator/hostile.js';
import { makeCertificateAuthority, makeServerCertificate } from './dps-emulator/pki.js';
import { type Credential, DPS_API_VERSIONS, DpsError, answerError, attestationResult, parseRoute, readBody, readCredential, timestamp } from './dps-emulator/protocol.js';
import type { Attestation, Assignment, DpsEmulatorOptions, Enrollment, Failure, RecordedRequest, RegistrationState, Substatus } from './dps-emulator/types.js';
import { recordOutput, registerSecret } from './secrets.js';
import { tempDir } from './tmp.js';

export { deriveDeviceKey } from './dps-emulator/credentials.js';
export { type DeviceCertificate, type TestCertificateAuthority, makeCertificateAuthority, makeDeviceCertificate } from './dps-emulator/pki.js';
export { DPS_API_VERSIONS } from './dps-emulator/protocol.js';
export type { HostileBehaviour } from './dps-emulator/hostile.js';
export type { Assignment, Attestation, DpsEmulatorOptions, Failure, RecordedRequest, Substatus } from './dps-emulator/types.js';

interface Device {
  registrations: number;
  assignedHub?: string;
  pendingMove?: { hub: string; substatus: Substatus };
  created?: string;
  state?: RegistrationState;
  lastPayload?: unknown;
}

interface Operation {
  readonly id: string;
  readonly registrationId: string;
  pollsLeft: number;
  readonly state: RegistrationState;
}

// Counts, and Retry-After values: HTTP's Retry-After is whole seconds, so no fractions.
function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer`);
  }
  return value;
}

function registerKeys(attestation: Attestation): void {
  if (attestation.type === 'symmetricKey') {
    for (const key of [attestation.primaryKey, attestation.secondaryKey]) {
      if (key !== undefined && key.length >= 16) registerSecret(key);
    }
  } else {
    new X509Certificate(attestation.caCertPem); // fail at enrollment, not at the first request
  }
}

/** The emulated DPS instance: one ID scope, HTTPS on 127.0.0.1. */
export class DpsEmulator {
  /** e.g. "0ne00A1B2C3": random, so that one emulator's tokens never pass another's. */
  readonly idScope = `0ne${randomBytes(4).toString('hex').toUpperCase()}`;
  private readonly server: Server;
  private port = 0;
  private readonly pollsBeforeAssigned: number;
  private readonly retryAfterSeconds: number;
  private readonly assignImmediately: boolean;
  private readonly individuals = new Map<string, Enrollment>();
  private readonly groups = new Map<string, Enrollment>();
  private readonly devices = new Map<string, Device>();
  private readonly operations = new Map<string, Operation>();
  private readonly failures: Failure[] = [];
  private readonly recorded: RecordedRequest[] = [];
  private hostile: HostileBehaviour | undefined;
  private readonly aliases: NetServer[] = [];
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
    this.server = createServer(
      {
        cert: tls.certPem,
        key: tls.keyPem,
        // Ask for a client certificate but judge it ourselves, against the enrollment.
        requestCert: true,
        rejectUnauthorized: false,
        // No session tickets: a resumed session does not carry the client's chain.
        secureOptions: constants.SSL_OP_NO_TICKET,
      },
      app.callback(),
    );
  }

  /** Starts an emulator on a free port with a fresh CA and server certificate. */
  static async start(options: DpsEmulatorOptions = {}): Promise<DpsEmulator> {
    const ca = makeCertificateAuthority('xprov DPS emulator CA - throwaway');
    const caCertFile = path.join(tempDir(), 'dps-emulator-ca.pem');
    writeFileSync(caCertFile, ca.certPem);
    const emulator = new DpsEmulator(options, ca.certPem, caCertFile, makeServerCertificate(ca));
    await emulator.listen(0);
    return emulator;
  }

  /**
   * The same service under a loopback address its certificate does not name (a host
   * name mismatch): `127.0.0.2:PORT`, a second listener handing its connections over.
   */
  async misnamedHost(): Promise<string> {
    const alias = createNetServer((socket) => this.server.emit('connection', socket));
    this.aliases.push(alias);
    await new Promise<void>((resolve, reject) => {
      alias.once('error', reject);
      alias.listen(0, '127.0.0.2', () => resolve());
    });
    return `127.0.0.2:${(alias.address() as AddressInfo).port}`;
  }

  /** "127.0.0.1:PORT": the global endpoint's stand-in, HTTPS. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Every request answered so far, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  /** Enrolls one device; its device id and hub come from `assignment`. */
  addIndividualEnrollment(e: { registrationId: string; attestation: Attestation; assignment: Assignment }): void {
    if (this.individuals.has(e.registrationId)) throw new Error(`${e.registrationId} is already enrolled`);
    registerKeys(e.attestation);
    const { hub, deviceId, substatus, payload } = e.assignment;
    this.individuals.set(e.registrationId, { kind: 'individual', id: e.registrationId, attestation: e.attestation, hub, deviceId, substatus, payload, enabled: true });
  }

  /**
   * Enrolls a group: with symmetric keys, any registration id whose device key is
   * derived from the group key (deriveDeviceKey); with X.509, any certificate chaining
   * up to `caCertPem` whose CN is the registration id. Device id = registration id.
   */
  addGroupEnrollment(e: { enrollmentGroupId: string; attestation: Attestation; hub: string; payload?: unknown }): void {
    if (this.groups.has(e.enrollmentGroupId)) throw new Error(`group ${e.enrollmentGroupId} already exists`);
    registerKeys(e.attestation);
    this.groups.set(e.enrollmentGroupId, { kind: 'group', id: e.enrollmentGroupId, attestation: e.attestation, hub: e.hub, payload: e.payload, enabled: true });
  }

  /**
   * Makes the device's next successful registration land on `to.hub` with
   * `to.substatus` (default deviceDataMigrated, DPS's default reprovisioning policy).
   */
  moveRegistration(registrationId: string, to: { hub: string; substatus?: Substatus }): void {
    this.device(registrationId).pendingMove = { hub: to.hub, substatus: to.substatus ?? 'deviceDataMigrated' };
  }

  /** Enables or disables an individual enrollment (by registration id) or a group (by id). */
  setEnrollmentStatus(id: string, status: 'enabled' | 'disabled'): void {
    const found = [this.individuals.get(id), this.groups.get(id)].filter((e) => e !== undefined);
    if (found.length === 0) throw new Error(`no enrollment ${id}`);
    for (const e of found) e.enabled = status === 'enabled';
  }

  /** Fails the next `count` routed requests (register, poll or lookup) with `failure`. */
  failNext(count: number, failure: Failure): void {
    if (failure.retryAfterSeconds !== undefined) nonNegativeInteger('retryAfterSeconds', failure.retryAfterSeconds);
    for (let i = 0; i < count; i++) this.failures.push(failure);
  }

  /** Down: closes the listener and every connection (clients get ECONNREFUSED); up: listens again on the same port. */
  async setDown(down: boolean): Promise<void> {
    if (down) await this.close();
    else if (!this.server.listening) await this.listen(this.port);
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
    return this.devices.get(registrationId)?.registrations ?? 0;
  }

  /** The `payload` of the device's last authenticated register PUT. */
  lastRegistrationPayload(registrationId: string): unknown {
    return this.devices.get(registrationId)?.lastPayload;
  }

  /** Stops for good and hands the request log to the secrets scan. */
  async stop(): Promise<void> {
    for (const alias of this.aliases.splice(0)) alias.close();
    await this.close();
    recordOutput('DPS emulator request log', JSON.stringify(this.recorded));
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private device(registrationId: string): Device {
    let device = this.devices.get(registrationId);
    if (!device) {
      device = { registrations: 0 };
      this.devices.set(registrationId, device);
    }
    return device;
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
    this.recorded.push({ method: ctx.method, path: ctx.path, apiVersion, auth: credential.kind, ...sas, at, status: ctx.status, ...(rejection ? { rejection } : {}) });
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
      this.authenticate(registrationId, credential);
      const operation = this.operations.get(route.operationId);
      if (operation?.registrationId !== registrationId) {
        throw new DpsError(404, 'unknown operation id', 404203, 'The operation was not found.');
      }
      if (operation.pollsLeft > 0) {
        operation.pollsLeft -= 1;
        this.answerAssigning(ctx, operation);
      } else {
        this.answerDone(ctx, operation);
      }
      return;
    }
    const body = await readBody(ctx, registrationId);
    const enrollment = this.authenticate(registrationId, credential);
    const device = this.device(registrationId);
    if (route.op === 'lookup') {
      if (!device.state) throw new DpsError(404, 'never registered', 404202, 'The registration was not found.');
      ctx.body = device.state;
      return;
    }
    device.registrations += 1;
    device.lastPayload = body.payload;
    const operation: Operation = {
      // The shape of DPS's operation ids: "4.<16 hex>.<uuid>".
      id: `4.${randomBytes(8).toString('hex')}.${randomUUID()}`,
      registrationId,
      pollsLeft: this.pollsBeforeAssigned,
      state: this.assign(enrollment, device, registrationId, credential),
    };
    this.operations.set(operation.id, operation);
    if (this.assignImmediately) this.answerDone(ctx, operation);
    else this.answerAssigning(ctx, operation);
  }

  /**
   * Finds the enrollment `credential` proves for `registrationId`: its individual
   * enrollment, else a group of the credential's kind.
   */
  private authenticate(registrationId: string, credential: Credential): Enrollment {
    const individual = this.individuals.get(registrationId);
    const candidates = individual
      ? [individual]
      : [...this.groups.values()].filter((g) => credential.kind === 'none' || (g.attestation.type === 'x509') === (credential.kind === 'x509'));
    if (candidates.length === 0) {
      throw new DpsError(404, `no enrollment for ${registrationId}`);
    }
    let reason = '';
    for (const enrollment of candidates) {
      const refused = this.verify(enrollment, registrationId, credential);
      if (refused === undefined) return enrollment;
      reason = refused;
    }
    throw new DpsError(401, reason);
  }

  private verify(enrollment: Enrollment, registrationId: string, credential: Credential): string | undefined {
    const { attestation } = enrollment;
    if (credential.kind === 'none') return 'no Authorization header and no client certificate';
    if (attestation.type === 'x509') {
      return credential.kind === 'x509' ? checkX509(credential.peer, registrationId, attestation.caCertPem, new Date()) : 'the enrollment uses X.509';
    }
    if (credential.kind !== 'sas') return 'the enrollment uses symmetric keys';
    if (typeof credential.token === 'string') return credential.token;
    const keys = [attestation.primaryKey, attestation.secondaryKey].filter((k) => k !== undefined);
    const deviceKeys = enrollment.kind === 'group' ? keys.map((k) => deriveDeviceKey(k, registrationId)) : keys;
    const refused = checkSas(credential.token, `${this.idScope}/registrations/${registrationId}`, deviceKeys, new Date());
    if (refused === undefined && enrollment.kind === 'group') {
      // The derived key is what the client under test holds: it must not print it either.
      deviceKeys.forEach(registerSecret);
    }
    return refused;
  }

  /** Decides the outcome of an accepted PUT: disabled, or a hub and substatus. */
  private assign(enrollment: Enrollment, device: Device, registrationId: string, credential: Credential): RegistrationState {
    const now = timestamp();
    device.created ??= now;
    const common = { registrationId, createdDateTimeUtc: device.created };
    const trailer = { lastUpdatedDateTimeUtc: now, etag: Buffer.from(`"${randomUUID()}"`).toString('base64'), ...attestationResult(enrollment, credential) };
    if (!enrollment.enabled) {
      // The move (if any) waits for a registration that succeeds.
      return { ...common, status: 'disabled', errorCode: 401003, errorMessage: 'The enrollment is disabled.', ...trailer };
    }
    const move = device.pendingMove;
    device.pendingMove = undefined;
    // A move wins; else a known device keeps its hub; else the enrollment's hub.
    const substatus = move?.substatus ?? (device.assignedHub === undefined ? enrollment.substatus : undefined) ?? 'initialAssignment';
    device.assignedHub = move?.hub ?? device.assignedHub ?? enrollment.hub;
    const deviceId = enrollment.deviceId ?? registrationId;
    return { ...common, assignedHub: device.assignedHub, deviceId, status: 'assigned', substatus, ...trailer, payload: enrollment.payload };
  }

  private answerAssigning(ctx: Context, operation: Operation): void {
    ctx.status = 202;
    ctx.set('Retry-After', String(this.retryAfterSeconds));
    ctx.body = { operationId: operation.id, status: 'assigning' };
  }

  private answerDone(ctx: Context, operation: Operation): void {
    this.device(operation.registrationId).state = operation.state;
    ctx.status = 200;
    const state = this.tamper ? this.tamper(operation.state) : operation.state;
    ctx.body = { operationId: operation.id, status: operation.state.status, registrationState: state };
  }
}
