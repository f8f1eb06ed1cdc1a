/**
 * One HTTP/1.1 exchange with an endpoint, sent byte for byte the way IoT Edge's daemon
 * sends it (IoT Edge 1.0.x-1.1, Azure/iotedge edgelet/): lower-case header names, only
 * `host` and `user-agent` (plus `content-length: 0` on a POST, which the daemon never
 * sends), the hyperlocal Host over a Unix socket, no body, one connection per request.
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { type Endpoint, daemonHostHeader, describeEndpoint } from '../endpoint/endpoint-url.js';
import { TransportError } from '../errors.js';

/** An answer as received, before any interpretation. */
export interface RawAnswer {
  readonly status: number;
  /** Header names in lower case, as node:http gives them. */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** How requests are sent. */
export interface TransportOptions {
  /** Give up when the whole answer has not arrived within this time. */
  readonly timeoutMs: number;
  /** The `user-agent` header; the daemon sends its version, e.g. `1.1.15 (commit)`. */
  readonly userAgent: string;
  /** Refuse answers larger than this (a provisioning answer is a few KiB). */
  readonly maxBodyBytes: number;
}

/** What a failed connection means, in words an operator can act on. */
function explain(endpoint: Endpoint, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no socket file at that path';
    case 'ECONNREFUSED':
      return endpoint.kind === 'unix' ? 'nothing listens on the socket' : 'nothing listens on that port';
    case 'EACCES':
      return 'permission denied on the socket';
    case 'ECONNRESET':
      return 'the connection was reset before an answer';
    default:
      return err.message;
  }
}

/** Sends `method path` (path with its query) and resolves with the raw answer. */
export function sendRequest(endpoint: Endpoint, method: string, path: string, options: TransportOptions): Promise<RawAnswer> {
  const where = describeEndpoint(endpoint);
  const headers: Record<string, string> = { host: daemonHostHeader(endpoint), 'user-agent': options.userAgent };
  if (method !== 'GET' && method !== 'HEAD') {
    // Without it node:http would announce a chunked body, which endpoints rightly refuse.
    headers['content-length'] = '0';
  }
  const target = endpoint.kind === 'unix' ? { socketPath: endpoint.path } : { host: endpoint.host, port: endpoint.port };
  return new Promise((resolve, reject) => {
    // The first failure wins: destroying the request afterwards makes node:http report
    // secondary errors (aborted, reset) that would hide the real reason.
    const fail = (err: TransportError): void => {
      clearTimeout(timer);
      reject(err);
      req.destroy();
    };
    const req = request({ ...target, method, path, headers, agent: false, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBodyBytes) {
          fail(new TransportError(`${where}: the answer is larger than ${options.maxBodyBytes} bytes`, 'ETOOBIG'));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (err: NodeJS.ErrnoException) =>
        fail(new TransportError(`${where}: the answer was cut off (${explain(endpoint, err)})`, err.code, { cause: err })),
      );
    });
    // node:http adds `Connection: close` on its own when there is no agent; the daemon
    // sends no such header, and a probe must look like the daemon.
    req.removeHeader('connection');
    const timer = setTimeout(() => fail(new TransportError(`${where}: no complete answer within ${options.timeoutMs} ms`, 'ETIMEDOUT')), options.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => fail(new TransportError(`cannot reach ${where}: ${explain(endpoint, err)}`, err.code, { cause: err })));
    req.end();
  });
}
