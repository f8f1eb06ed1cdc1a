/**
 * These operations take no request body. One that is announced is refused before a
 * byte of it is read, so a client cannot make the server read without bound.
 */
import type { IncomingMessage } from 'node:http';
import { BodyNotAllowedError } from '../errors.js';

/** Throws BodyNotAllowedError when `req` announces a body (a chunked one, or Content-Length > 0). */
export function refuseRequestBody(req: IncomingMessage): void {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) {
    throw new BodyNotAllowedError('this operation takes no request body');
  }
}
