/**
 * One HTTPS request to DPS, bounded: an AbortSignal (the registration's deadline, or
 * xprov stopping) ends it at any point, headers, body or not yet connected, and the
 * answer's size is limited. Also the abortable wait between requests and the test of
 * whether a failure is the server certificate's.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { DpsError } from '../errors.js';

/** A registration answer is a few KiB (its payload included); more is refused, not buffered. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** An answer, its body parsed as JSON (undefined when empty or not JSON). */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

/** What to send where. */
export interface HttpsRequestOptions {
  readonly host: string;
  readonly port: number;
  readonly method: string;
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body: string | undefined;
  /** The socket is cut after this long without traffic. */
  readonly idleTimeoutMs: number;
  /** Trusted CAs (replaces Node's store); the TLS client certificate and key. */
  readonly ca?: readonly string[];
  readonly cert?: string;
  readonly key?: string;
}

/**
 * The error codes of a server certificate that did not verify: OpenSSL's X509_V_ERR_*
 * names as Node reports them, and Node's own host name check.
 */
const TLS_VERIFY_CODES =
  /^(?:ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|UNABLE_TO_DECRYPT_CERT_SIGNATURE|UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY|CERT_[A-Z_]+|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED|ERROR_IN_CERT_(?:NOT_BEFORE|NOT_AFTER)_FIELD)$/;

/** True when a request's error `code` says the server certificate did not verify. */
export function isTlsVerifyError(code: unknown): boolean {
  return typeof code === 'string' && TLS_VERIFY_CODES.test(code);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Sends one request and reads its whole answer. Rejects with the signal's reason when
 * it aborts, with a DpsError (`protocol`) for an answer over MAX_ANSWER_BYTES, and with
 * the request's error otherwise (network, TLS).
 */
export function httpsRequest(options: HttpsRequestOptions, signal: AbortSignal): Promise<HttpAnswer> {
  if (signal.aborted) {
    // Nothing is created: a request destroyed before its error listener is an uncaught exception.
    return Promise.reject(signal.reason);
  }
  const { body, idleTimeoutMs, ca, cert, key, ...target } = options;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      req.destroy();
      reject(signal.reason);
    };
    const settle =
      <T>(fn: (value: T) => void) =>
      (value: T): void => {
        signal.removeEventListener('abort', onAbort);
        fn(value);
      };
    const done = settle(resolve);
    const fail = settle(reject);
    const req = request(
      { ...target, timeout: idleTimeoutMs, agent: false, ...(ca ? { ca: [...ca] } : {}), ...(cert !== undefined ? { cert, key } : {}) },
      (res) => {
        const tooLarge = (): void => {
          req.destroy();
          fail(new DpsError('protocol', `DPS sent an answer larger than ${MAX_ANSWER_BYTES} bytes`));
        };
        if (Number(res.headers['content-length'] ?? 0) > MAX_ANSWER_BYTES) {
          tooLarge();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            tooLarge();
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
          done({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
        res.on('error', fail);
      },
    );
    // Listeners first: destroying the request (abort, too large) emits 'error'.
    req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', fail);
    signal.addEventListener('abort', onAbort, { once: true });
    req.end(body);
  });
}
