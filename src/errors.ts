/**
 * The closed set of errors xprov answers with. Every failure that reaches the HTTP
 * layer is one of these classes or is treated as internal (see http/to-http-error.ts).
 * Messages of these classes are shown to clients, so they must never contain a secret;
 * `cause` is for the log only.
 */

/** The request is malformed (query parameters). Answers 400. */
export class BadRequestError extends Error {
  readonly kind = 'bad-request';
  override readonly name = 'BadRequestError';
}

/** No route has this path. Answers 404. */
export class NotFoundError extends Error {
  readonly kind = 'not-found';
  override readonly name = 'NotFoundError';
}

/** The path exists but not with this method. Answers 405 with `Allow`. */
export class MethodNotAllowedError extends Error {
  readonly kind = 'method-not-allowed';
  override readonly name = 'MethodNotAllowedError';

  /** @param allow the methods the path accepts, for the `Allow` header. */
  constructor(
    message: string,
    readonly allow: readonly string[],
  ) {
    super(message);
  }
}

/** A request body was sent to an operation that takes none. Answers 413. */
export class BodyNotAllowedError extends Error {
  readonly kind = 'body-not-allowed';
  override readonly name = 'BodyNotAllowedError';
}

/**
 * The secrets store has nothing valid to serve, or could not do what was asked
 * (file missing or invalid, registration pending, upstream refused). Answers 503.
 * The message names the problem for the operator and never carries a secret.
 */
export class StoreUnavailableError extends Error {
  readonly kind = 'store-unavailable';
  override readonly name = 'StoreUnavailableError';
}

/** Every error xprov answers with deliberately. Anything else is internal (500). */
export type XprovError =
  | BadRequestError
  | NotFoundError
  | MethodNotAllowedError
  | BodyNotAllowedError
  | StoreUnavailableError;

/** True for the closed set above; everything else is an internal error. */
export function isXprovError(err: unknown): err is XprovError {
  return (
    err instanceof BadRequestError ||
    err instanceof NotFoundError ||
    err instanceof MethodNotAllowedError ||
    err instanceof BodyNotAllowedError ||
    err instanceof StoreUnavailableError
  );
}
