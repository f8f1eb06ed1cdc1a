/**
 * The error catalogue: every error class xprov throws on purpose, in one file, so that
 * the set stays closed and each kind has one meaning everywhere.
 *
 * - Answered over HTTP (http/to-http-error.ts maps them; anything else answers 500):
 *   BadRequestError, NotFoundError, MethodNotAllowedError, BodyNotAllowedError,
 *   StoreUnavailableError. Their messages are shown to clients, so they must never
 *   contain a secret; `cause` is for the log only.
 * - Configuration: ConfigError (a setting) and UsageError (the command line). The CLI
 *   prints either as one line and exits 2 (exitCodeFor below, the one place).
 * - Upstream and client side: DpsError (a DPS registration failed), EndpointSyntaxError
 *   and TransportError (the public client's: xprov/client re-exports them).
 * - Signals inside one module that never escape it: DeadlineReached, RefusedError.
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

/**
 * A request body was sent to an operation that takes none. Answers 400 (a malformed
 * request), not 413: 413 means "too large" and invites a retry with a smaller body.
 */
export class BodyNotAllowedError extends Error {
  readonly kind = 'body-not-allowed';
  override readonly name = 'BodyNotAllowedError';
}

/**
 * The store has nothing valid to serve, or could not do what was asked (file missing
 * or invalid, registration pending, upstream refused). Answers 503. The message names
 * the problem for the operator and never carries a secret.
 */
export class StoreUnavailableError extends Error {
  readonly kind = 'store-unavailable';
  override readonly name = 'StoreUnavailableError';
}

/** Every error xprov answers with deliberately. Anything else is internal (500). */
export type XprovError = BadRequestError | NotFoundError | MethodNotAllowedError | BodyNotAllowedError | StoreUnavailableError;

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

/** A setting is missing, malformed or contradictory. The CLI prints the message as one line and exits 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Bad command line: the CLI prints the message on one line and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The exit code of a configuration or usage error (a runtime failure exits 1). */
export const CONFIGURATION_EXIT_CODE = 2;

/**
 * The exit code a command ends with when it throws `err`: CONFIGURATION_EXIT_CODE for
 * the configuration errors (ConfigError, UsageError), whose message is then printed on
 * one line; undefined for anything else, which the caller lets through as a failure.
 */
export function exitCodeFor(err: unknown): number | undefined {
  return err instanceof ConfigError || err instanceof UsageError ? CONFIGURATION_EXIT_CODE : undefined;
}

/** The kinds of DPS registration failure. */
export type DpsFailureKind =
  /** 401: the key or certificate is not accepted (final: fix the credentials). */
  | 'unauthorized'
  /** 404: no enrollment for this registration id in this id scope (final). */
  | 'not-found'
  /** Another 4xx: the request itself is wrong (final). */
  | 'rejected'
  /** DPS finished the registration with status failed or disabled (final until the enrollment changes). */
  | 'refused'
  /** Network errors, 429 or 5xx until the deadline (transient). */
  | 'unavailable'
  /** DPS answered something that does not follow its protocol, or an assignment xprov refuses (dps/assignment-rules.ts). */
  | 'protocol'
  /** The endpoint's TLS certificate did not verify (wrong CA, self-signed, other name): final, fix trustedCaFile or endpoint. */
  | 'tls'
  /** The registration was abandoned because xprov is stopping. */
  | 'aborted';

/**
 * A DPS registration did not produce an assignment; `message` is safe to show (no
 * secrets). The DPS store maps every one of these to StoreUnavailableError (answer 503,
 * keep serving what it had); the kind says whether retrying can help.
 */
export class DpsError extends Error {
  override readonly name = 'DpsError';

  constructor(
    readonly kind: DpsFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True when trying again later may succeed. */
  get transient(): boolean {
    return this.kind === 'unavailable' || this.kind === 'protocol';
  }
}

/** The text is not an endpoint URL; the message says why and what is expected. */
export class EndpointSyntaxError extends Error {
  override readonly name = 'EndpointSyntaxError';
}

/** No answer: the endpoint could not be reached, timed out, or sent something unusable. */
export class TransportError extends Error {
  override readonly name = 'TransportError';

  /** @param code the system error code (ENOENT, ECONNREFUSED, ...) or ETIMEDOUT / ETOOBIG. */
  constructor(
    message: string,
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The reason a DPS registration's signal is aborted with when its deadline passes (dps/client.ts). */
export class DeadlineReached extends Error {}

/** `xprov store set` checked the new document and would refuse it (cli/store-set.ts). */
export class RefusedError extends Error {
  constructor(readonly problems: readonly string[]) {
    super('refused');
  }
}
