/**
 * These operations take no request body. One that is announced is refused before a
 * byte of it is read, so a client cannot make the server read without bound; and
 * whatever the answer (404, 405 or 400), the connection is closed after it rather
 * than kept alive, which would read (drain) the unread body to reach the next request.
 */
import type { IncomingMessage } from 'node:http';
import { BodyNotAllowedError } from '../errors.js';

/** True when `req` announces a body: a Transfer-Encoding (chunked), or Content-Length > 0. */
export function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Throws BodyNotAllowedError when `req` announces a body. */
export function refuseRequestBody(req: IncomingMessage): void {
  if (announcesBody(req)) {
    throw new BodyNotAllowedError('this operation takes no request body');
  }
}
