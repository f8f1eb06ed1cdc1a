/**
 * A typed client of the external provisioning API, speaking exactly like IoT Edge's
 * daemon (see transport.ts), over a Unix socket or TCP. Answers are results, not
 * exceptions: `{ ok: true, body }` or `{ ok: false, message }` with the endpoint's
 * ErrorResponse message. Only a missing answer (unreachable, timeout) throws
 * TransportError.
 */
import { operationSpecs } from '../../generated/operations.js';
import type { components, paths } from '../../generated/types.js';
import { readLikeDaemon } from '../contract/daemon-parse.js';
import type { DeviceProvisioningInfo } from '../contract/types.js';
import { type Endpoint, parseEndpoint } from '../endpoint/endpoint-url.js';
import { type RawAnswer, type TransportOptions, sendRequest } from './transport.js';

/** The one API version, as the spec types it. */
export const API_VERSION: components['parameters']['api-version'] = '2019-04-10';

/** The methods reprovision is served with: POST as the spec says, GET as the daemon sends it. */
export type ReprovisionMethod = Uppercase<Extract<keyof paths['/device/reprovision'], 'get' | 'post'>>;

/** The outcome of one call. `raw` is the answer as received, for diagnostics. */
export type ClientResult<T> =
  | { readonly ok: true; readonly status: number; readonly body: T; readonly raw: RawAnswer }
  | { readonly ok: false; readonly status: number; readonly message: string; readonly raw: RawAnswer };

/** Client settings; every one has a default. */
export interface ClientOptions {
  /** Give up on an answer after this long (default 10000 ms). */
  readonly timeoutMs?: number;
  /** The `user-agent` header (default `xprov-client`; the daemon sends its version). */
  readonly userAgent?: string;
  /** Refuse larger answers (default 1 MiB). */
  readonly maxBodyBytes?: number;
}

const DEFAULTS: TransportOptions = { timeoutMs: 10_000, userAgent: 'xprov-client', maxBodyBytes: 1024 * 1024 };

/** `path?api-version=...` of an operation, from the generated route table. */
function operationPath(operationId: keyof typeof operationSpecs): string {
  return `${operationSpecs[operationId].path}?api-version=${API_VERSION}`;
}

/**
 * The message of an error answer: its ErrorResponse `message`, or a description of
 * what came instead (the body itself is left in `raw`: it may hold anything).
 */
export function errorMessage(raw: RawAnswer): string {
  const type = raw.headers['content-type'] ?? '';
  try {
    const body: unknown = JSON.parse(raw.body.toString('utf8'));
    if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
      return (body as components['schemas']['ErrorResponse']).message;
    }
  } catch {
    // Not JSON: described below.
  }
  return `answered ${raw.status} without an ErrorResponse body (${raw.body.length === 0 ? 'empty' : type === '' ? 'no content type' : type})`;
}

/** `value`, when it is a positive whole number; throws RangeError naming the option otherwise. */
function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive whole number`);
  }
  return value;
}

/** True for the answers the daemon treats as success: any 2xx. */
export function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

/** A client of one endpoint. */
export class ExternalProvisioningClient {
  /** The endpoint this client talks to. */
  readonly endpoint: Endpoint;
  readonly #options: TransportOptions;

  /**
   * @param endpoint `unix:///path.sock` or `http://host:port` (throws EndpointSyntaxError), or a parsed Endpoint.
   */
  constructor(endpoint: string | Endpoint, options: ClientOptions = {}) {
    this.endpoint = typeof endpoint === 'string' ? parseEndpoint(endpoint) : endpoint;
    this.#options = {
      timeoutMs: positive('timeoutMs', options.timeoutMs ?? DEFAULTS.timeoutMs),
      userAgent: options.userAgent ?? DEFAULTS.userAgent,
      maxBodyBytes: positive('maxBodyBytes', options.maxBodyBytes ?? DEFAULTS.maxBodyBytes),
    };
  }

  /** Sends any request (`path` with its query), as the daemon would; for probes and tests. */
  request(method: string, path: string): Promise<RawAnswer> {
    return sendRequest(this.endpoint, method, path, this.#options);
  }

  /**
   * GetDeviceProvisioningInformation. `ok` only when the answer is a 2xx the daemon
   * would provision with; `body` is what the daemon takes from it (unknown fields
   * dropped, nulls absent). Otherwise `message` says why.
   */
  async getDeviceProvisioningInformation(): Promise<ClientResult<DeviceProvisioningInfo>> {
    const raw = await this.request('GET', operationPath('GetDeviceProvisioningInformation'));
    if (!isSuccess(raw.status)) {
      return { ok: false, status: raw.status, message: errorMessage(raw), raw };
    }
    const reading = readLikeDaemon(raw.body);
    return reading.ok
      ? { ok: true, status: raw.status, body: reading.info, raw }
      : { ok: false, status: raw.status, message: `the daemon would refuse this answer: ${reading.refusals.join('; ')}`, raw };
  }

  /**
   * ReprovisionDevice: tells the endpoint the device may have been re-provisioned.
   * POST by default (the spec); `{ method: 'GET' }` sends what the daemon sends.
   * Any 2xx is success; a body is ignored, as the daemon ignores it.
   */
  async reprovisionDevice(options: { readonly method?: ReprovisionMethod } = {}): Promise<ClientResult<undefined>> {
    const method = options.method ?? 'POST';
    const raw = await this.request(method, operationPath(method === 'POST' ? 'ReprovisionDevice' : 'ReprovisionDeviceByGet'));
    return isSuccess(raw.status) ? { ok: true, status: raw.status, body: undefined, raw } : { ok: false, status: raw.status, message: errorMessage(raw), raw };
  }
}
