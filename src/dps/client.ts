/**
 * A DPS device registration client over node:https (DPS's device registration REST API):
 * PUT register, poll the operation honouring Retry-After, exponential backoff with
 * jitter on 429, 5xx and network errors within a bounded deadline; 401 and 404 are
 * final. One deadline (an AbortSignal) covers every byte: the PUT, the polls, the
 * waits between retries and the reading of each answer, whose size is bounded too; a
 * caller's signal (xprov stopping) aborts the same way. A TLS verification failure is
 * final: retrying cannot make a wrong CA right. What DPS assigns is checked
 * (assignment-rules.ts) before the caller sees it. Written on node:https
 * (https-request.ts) rather than the official SDK, which cannot use a custom port or
 * CA, pins its api-version and does not retry 429.
 */
import { rootCertificates } from 'node:tls';
import { DeadlineReached, DpsError } from '../errors.js';
import { redactSecrets } from '../redact.js';
import { type Assignment, checkAssignment, isRegistrationStatus } from './assignment-rules.js';
import { type HttpAnswer, httpsRequest, isTlsVerifyError, sleep } from './https-request.js';
import { type BackoffPolicy, DEFAULT_BACKOFF, backoffDelay, parseRetryAfter } from './retry.js';
import { registrationSasToken } from './sas.js';

/** How the device proves its identity to DPS. */
export type DpsCredentials =
  | { readonly kind: 'symmetric-key'; readonly deviceKeyBase64: string }
  | { readonly kind: 'x509'; readonly certChainPem: string; readonly privateKeyPem: string };

/** Everything one registration needs. */
export interface DpsClientOptions {
  /** `host` or `host:port` of the DPS endpoint. */
  readonly endpoint: string;
  readonly idScope: string;
  readonly registrationId: string;
  readonly apiVersion: string;
  readonly credentials: DpsCredentials;
  /** Optional JSON payload sent with the registration (custom allocation). */
  readonly payload?: unknown;
  /** Extra CA certificates (PEM) trusted besides the system's, e.g. for a private DPS endpoint. */
  readonly extraCaPem?: string;
  /** The whole registration, retries included, must finish within this many ms. */
  readonly deadlineMs: number;
  /** Per-request timeout. */
  readonly requestTimeoutMs?: number;
  readonly backoff?: BackoffPolicy;
  /**
   * The wait between requests (Retry-After, backoff), ended early by the signal:
   * real timers by default; tests inject one that records the waits instead of sleeping.
   */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** What DPS assigned, checked (assignment-rules.ts). */
export type RegistrationResult = Assignment;

export { MAX_ANSWER_BYTES } from './https-request.js';

/** Called before each retry, for logging. */
export type RetryListener = (event: { attempt: number; delayMs: number; reason: string }) => void;

const SAS_LIFETIME_S = 3600;
/** What a registration has seen so far. */
interface Progress {
  last: string | undefined;
  attempts: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A DPS error body as one line: `401002: message` (redacted: DPS echoes some input). */
function describeErrorBody(body: unknown): string {
  if (!isObject(body)) {
    return 'no error details';
  }
  const code = typeof body.errorCode === 'number' || typeof body.errorCode === 'string' ? String(body.errorCode) : undefined;
  const message = typeof body.message === 'string' ? body.message.slice(0, 300) : undefined;
  return redactSecrets([code, message].filter((part) => part !== undefined).join(': ') || 'no error details');
}

/** Registers one device with DPS. */
export class DpsClient {
  readonly #options: DpsClientOptions;
  readonly #ca: string[] | undefined;

  constructor(options: DpsClientOptions) {
    this.#options = options;
    // `ca` replaces Node's trust store, so the system roots are passed along explicitly.
    this.#ca = options.extraCaPem ? [...rootCertificates, options.extraCaPem] : undefined;
  }

  /**
   * Runs a registration to its end: assigned (resolves), or a DpsError. Transient
   * failures are retried with backoff until the deadline; `signal` (xprov stopping)
   * abandons it at once with kind `aborted`.
   */
  async register(onRetry?: RetryListener, signal?: AbortSignal): Promise<RegistrationResult> {
    const { deadlineMs } = this.#options;
    const deadline = Date.now() + deadlineMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DeadlineReached()), deadlineMs);
    const onAbort = (): void => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    // For the give-up message: the last failure seen, and how many requests were sent.
    const progress: Progress = { last: undefined, attempts: 0 };
    try {
      return await this.#register(deadline, controller.signal, progress, onRetry);
    } catch (err) {
      if (err instanceof DeadlineReached) {
        // The same words as a give-up between retries: one message, whichever comes first.
        throw new DpsError(
          'unavailable',
          `DPS unavailable: ${progress.last ?? 'no complete answer'} (gave up after ${progress.attempts} attempts within ${deadlineMs} ms)`,
        );
      }
      if (controller.signal.aborted && !(err instanceof DpsError)) {
        throw new DpsError('aborted', 'DPS registration abandoned: xprov is stopping');
      }
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #register(deadline: number, signal: AbortSignal, progress: Progress, onRetry?: RetryListener): Promise<RegistrationResult> {
    const { registrationId, payload } = this.#options;
    const body = JSON.stringify(payload === undefined ? { registrationId } : { registrationId, payload });
    let answer = await this.#withRetries('PUT', this.#path('/register'), body, deadline, signal, progress, onRetry);
    // DPS answers 202 while assigning; some versions answer 200 with status "assigning".
    const assigning = (a: HttpAnswer): boolean => a.status === 202 || (isObject(a.body) && a.body.status === 'assigning');
    for (let poll = 0; assigning(answer); poll++) {
      const operationId = isObject(answer.body) ? answer.body.operationId : undefined;
      if (typeof operationId !== 'string' || operationId === '' || operationId.length > 512) {
        throw new DpsError('protocol', 'DPS answered "assigning" without a usable operationId');
      }
      // DPS says when to ask again; 3 s is the SDKs' default when it does not.
      const wait = parseRetryAfter(answer.headers['retry-after']) ?? 3000;
      if (Date.now() + wait >= deadline) {
        throw new DpsError(
          'unavailable',
          `DPS unavailable: registration still assigning after ${poll + 1} polls (deadline of ${this.#options.deadlineMs} ms reached)`,
        );
      }
      progress.last = `registration still assigning after ${poll + 1} polls`;
      await (this.#options.sleep ?? sleep)(wait, signal);
      answer = await this.#withRetries('GET', this.#path(`/operations/${encodeURIComponent(operationId)}`), undefined, deadline, signal, progress, onRetry);
    }
    return this.#result(answer);
  }

  #path(suffix: string): string {
    const { idScope, registrationId, apiVersion } = this.#options;
    return `/${encodeURIComponent(idScope)}/registrations/${encodeURIComponent(registrationId)}${suffix}?api-version=${encodeURIComponent(apiVersion)}`;
  }

  #result(answer: HttpAnswer): RegistrationResult {
    if (answer.status !== 200 || !isObject(answer.body)) {
      throw new DpsError('protocol', `DPS answered ${answer.status} where a registration result was expected`);
    }
    const state = isObject(answer.body.registrationState) ? answer.body.registrationState : answer.body;
    const status = state.status ?? answer.body.status;
    if (status === 'failed' || status === 'disabled') {
      throw new DpsError(
        'refused',
        `DPS registration ${status}${state.errorCode !== undefined ? ` (${describeErrorBody({ errorCode: state.errorCode, message: state.errorMessage })})` : ''}`,
      );
    }
    if (status !== 'assigned') {
      // The value is named only when it is one of the spec's: anything else is DPS's text.
      throw new DpsError('protocol', `DPS registration ended with ${isRegistrationStatus(status) ? `status ${status}` : "a status outside the spec's enum"}`);
    }
    const checked = checkAssignment({ ...state, status });
    if (!checked.ok) {
      throw new DpsError('protocol', `DPS assigned a registration xprov refuses to save or serve: ${checked.problems.join('; ')}`);
    }
    return checked.assignment;
  }

  /** One logical request, retried on network errors, 429 and 5xx until the deadline. */
  async #withRetries(
    method: string,
    path: string,
    body: string | undefined,
    deadline: number,
    signal: AbortSignal,
    progress: Progress,
    onRetry?: RetryListener,
  ): Promise<HttpAnswer> {
    for (let attempt = 0; ; attempt++) {
      let reason: string;
      let retryAfterMs: number | undefined;
      try {
        progress.attempts += 1;
        const answer = await this.#send(method, path, body, signal);
        if (answer.status === 200 || answer.status === 202) {
          return answer;
        }
        const details = describeErrorBody(answer.body);
        if (answer.status === 401) {
          throw new DpsError('unauthorized', `DPS refused the device's credentials (401 ${details})`);
        }
        if (answer.status === 404) {
          throw new DpsError('not-found', `DPS has no enrollment for this registration (404 ${details})`);
        }
        if (answer.status !== 429 && answer.status < 500) {
          throw new DpsError('rejected', `DPS rejected the request (${answer.status} ${details})`);
        }
        reason = `${answer.status} ${details}`;
        retryAfterMs = parseRetryAfter(answer.headers['retry-after']);
      } catch (err) {
        if (err instanceof DpsError || signal.aborted) {
          throw signal.aborted && !(err instanceof DpsError) ? signal.reason : err;
        }
        const code = (err as NodeJS.ErrnoException).code;
        if (isTlsVerifyError(code)) {
          // Node's message names the cause (e.g. "self-signed certificate in certificate chain"); it holds no secret.
          throw new DpsError(
            'tls',
            `the DPS endpoint's TLS certificate did not verify: ${code} (${redactSecrets((err as Error).message).slice(0, 200)}); check trustedCaFile and endpoint`,
          );
        }
        reason = redactSecrets(`network error: ${code ?? (err as Error).message}`);
      }
      progress.last = reason;
      const delayMs = backoffDelay(this.#options.backoff ?? DEFAULT_BACKOFF, attempt, retryAfterMs);
      if (Date.now() + delayMs >= deadline) {
        throw new DpsError('unavailable', `DPS unavailable: ${reason} (gave up after ${progress.attempts} attempts within ${this.#options.deadlineMs} ms)`);
      }
      onRetry?.({ attempt: attempt + 1, delayMs, reason });
      await (this.#options.sleep ?? sleep)(delayMs, signal);
    }
  }

  #send(method: string, path: string, body: string | undefined, signal: AbortSignal): Promise<HttpAnswer> {
    const { endpoint, credentials, idScope, registrationId } = this.#options;
    const url = new URL(`https://${endpoint}`);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'xprov' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json; charset=utf-8';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    if (credentials.kind === 'symmetric-key') {
      headers.authorization = registrationSasToken({
        idScope,
        registrationId,
        deviceKeyBase64: credentials.deviceKeyBase64,
        expiresAt: Math.floor(Date.now() / 1000) + SAS_LIFETIME_S,
      });
    }
    return httpsRequest(
      {
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? 443 : Number(url.port),
        method,
        path,
        headers,
        body,
        // An idle socket is cut after this; a slow but steady one, and any request at the
        // deadline, by the deadline's signal alone. Not shortened to the time left: that
        // timer (set from the wall clock) and the deadline's raced, and a request still
        // connecting on a busy or clock-stepped device was reported as a network timeout
        // (ETIMEDOUT) instead of the last failure DPS gave.
        idleTimeoutMs: this.#options.requestTimeoutMs ?? 30_000,
        ...(this.#ca ? { ca: this.#ca } : {}),
        ...(credentials.kind === 'x509' ? { cert: credentials.certChainPem, key: credentials.privateKeyPem } : {}),
      },
      signal,
    );
  }
}
