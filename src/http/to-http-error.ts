/**
 * The one mapping from errors to HTTP answers. Errors of the closed union (errors.ts)
 * answer with their own message; anything else is internal: 500 with a generic
 * message, its cause chain going to the log only (Koa's `expose` idea).
 */
import { type XprovError, isXprovError } from '../errors.js';

/** An error answer: status, extra headers, and the client-visible message. */
export interface HttpError {
  readonly status: number;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
  /** False for internal errors, whose cause must be logged (never sent). */
  readonly expected: boolean;
}

const INTERNAL_MESSAGE = 'internal error; see the xprov log';

function fromXprovError(err: XprovError): HttpError {
  switch (err.kind) {
    case 'bad-request':
      return { status: 400, message: err.message, headers: {}, expected: true };
    case 'not-found':
      return { status: 404, message: err.message, headers: {}, expected: true };
    case 'method-not-allowed':
      return { status: 405, message: err.message, headers: { Allow: err.allow.join(', ') }, expected: true };
    case 'body-not-allowed':
      // 400, not 413 (too large) or 415 (media type): no body of any size or type is
      // accepted. Close the connection: the unread body must not be parsed as the next request.
      return { status: 400, message: err.message, headers: { Connection: 'close' }, expected: true };
    case 'store-unavailable':
      return { status: 503, message: err.message, headers: {}, expected: true };
  }
}

/** Maps any thrown value to its answer. */
export function toHttpError(err: unknown): HttpError {
  return isXprovError(err) ? fromXprovError(err) : { status: 500, message: INTERNAL_MESSAGE, headers: {}, expected: false };
}
