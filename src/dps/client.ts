/**
 * A DPS device registration client over node:https (shared/reference/dps.md):
 * PUT register, poll the operation honouring Retry-After, exponential backoff with
 * jitter on 429, 5xx and network errors within a bounded deadline; 401 and 404 are
 * final. Written on node:https rather than the official SDK, which cannot use a custom
 * port or CA, pins its api-version and does not retry 429.
 */
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { redactSecrets } from '../redact.js';
import { DpsError } from './errors.js';
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
}

/** What DPS assigned. */
export interface RegistrationResult {
  readonly assignedHub: string;
  readonly deviceId: string;
  readonly status: 'assigned';
  readonly substatus?: string;
  readonly lastUpdatedDateTimeUtc?: string;
}

/** Called before each retry, for logging. */
export type RetryListener = (event: { attempt: number; delayMs: number; reason: string }) => void;

interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

const SAS_LIFETIME_S = 3600;

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
   * failures are retried with backoff until the deadline.
   */
  async register(onRetry?: RetryListener): Promise<RegistrationResult> {
    const deadline = Date.now() + this.#options.deadlineMs;
    const { registrationId, payload } = this.#options;
    const body = JSON.stringify(payload === undefined ? { registrationId } : { registrationId, payload });
    let answer = await this.#withRetries('PUT', this.#path('/register'), body, deadline, onRetry);
    // DPS answers 202 while assigning; some versions answer 200 with status "assigning".
    const assigning = (a: HttpAnswer): boolean => a.status === 202 || (isObject(a.body) && a.body.status === 'assigning');
    for (let poll = 0; assigning(answer); poll++) {
      const operationId = isObject(answer.body) ? answer.body.operationId : undefined;
      if (typeof operationId !== 'string' || operationId === '') {
        throw new DpsError('protocol', 'DPS answered "assigning" without an operationId');
      }
      // DPS says when to ask again; 3 s is the SDKs' default when it does not.
      const wait = parseRetryAfter(answer.headers['retry-after']) ?? 3000;
      await this.#sleepUntil(Math.min(Date.now() + wait, deadline), deadline, `registration still assigning after ${poll + 1} polls`);
      answer = await this.#withRetries('GET', this.#path(`/operations/${encodeURIComponent(operationId)}`), undefined, deadline, onRetry);
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
      throw new DpsError('refused', `DPS registration ${status}${state.errorCode !== undefined ? ` (${describeErrorBody({ errorCode: state.errorCode, message: state.errorMessage })})` : ''}`);
    }
    if (status !== 'assigned') {
      throw new DpsError('protocol', `DPS registration ended with unexpected status ${JSON.stringify(String(status)).slice(0, 40)}`);
    }
    const { assignedHub, deviceId, substatus, lastUpdatedDateTimeUtc } = state;
    if (typeof assignedHub !== 'string' || assignedHub === '' || typeof deviceId !== 'string' || deviceId === '') {
      throw new DpsError('protocol', 'DPS registration is assigned but lacks assignedHub or deviceId');
    }
    return {
      assignedHub,
      deviceId,
      status: 'assigned',
      ...(typeof substatus === 'string' ? { substatus } : {}),
      ...(typeof lastUpdatedDateTimeUtc === 'string' ? { lastUpdatedDateTimeUtc } : {}),
    };
  }

  /** One logical request, retried on network errors, 429 and 5xx until the deadline. */
  async #withRetries(method: string, path: string, body: string | undefined, deadline: number, onRetry?: RetryListener): Promise<HttpAnswer> {
    for (let attempt = 0; ; attempt++) {
      let reason: string;
      let retryAfterMs: number | undefined;
      try {
        const answer = await this.#send(method, path, body, deadline);
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
        if (err instanceof DpsError) {
          throw err;
        }
        const code = (err as NodeJS.ErrnoException).code;
        reason = redactSecrets(`network error: ${code ?? (err as Error).message}`);
      }
      const delayMs = backoffDelay(this.#options.backoff ?? DEFAULT_BACKOFF, attempt, retryAfterMs);
      if (Date.now() + delayMs >= deadline) {
        throw new DpsError('unavailable', `DPS unavailable: ${reason} (gave up after ${attempt + 1} attempts within ${this.#options.deadlineMs} ms)`);
      }
      onRetry?.({ attempt: attempt + 1, delayMs, reason });
      // The deadline was checked just above, with this very delay: plain sleep.
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  async #sleepUntil(when: number, deadline: number, reason: string): Promise<void> {
    if (when >= deadline) {
      throw new DpsError('unavailable', `DPS unavailable: ${reason} (deadline of ${this.#options.deadlineMs} ms reached)`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, when - Date.now())));
  }

  #send(method: string, path: string, body: string | undefined, deadline: number): Promise<HttpAnswer> {
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
    const timeout = Math.max(1, Math.min(this.#options.requestTimeoutMs ?? 30_000, deadline - Date.now()));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: url.port === '' ? 443 : Number(url.port),
          method,
          path,
          headers,
          timeout,
          agent: false,
          ...(this.#ca ? { ca: this.#ca } : {}),
          ...(credentials.kind === 'x509' ? { cert: credentials.certChainPem, key: credentials.privateKeyPem } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            // A registration answer is a few KiB; refuse to buffer more.
            if (size > 1024 * 1024) {
              req.destroy(new Error('answer too large'));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  }
}
