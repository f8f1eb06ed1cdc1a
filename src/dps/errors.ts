/**
 * Why a DPS registration did not produce an assignment. The DPS store maps every one of
 * these to StoreUnavailableError (answer 503, keep serving what it had); the kind says
 * whether retrying can help.
 */

/** The kinds of registration failure. */
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
  /** DPS answered something that does not follow its protocol, or an assignment xprov refuses (assignment-rules.ts). */
  | 'protocol'
  /** The endpoint's TLS certificate did not verify (wrong CA, self-signed, other name): final, fix trustedCaFile or endpoint. */
  | 'tls'
  /** The registration was abandoned because xprov is stopping. */
  | 'aborted';

/** A registration failed; `message` is safe to show (no secrets). */
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
