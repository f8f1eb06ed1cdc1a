/**
 * What one check of `xprov check` is: an id, a title, its kind, and how it is run.
 * Two kinds, so that a verdict says what to do about it: a *fatal* check fails where
 * IoT Edge's daemon would fail (its start, or dynamic reprovisioning); a *deviation*
 * fails where the spec says otherwise but the daemon copes. Each check is of one kind
 * only, so a check that would mix them is two checks.
 */
import type { RawAnswer } from '../client/transport.js';
import type { SpecBackend } from '../shims/openapi-backend.js';

/** Fatal: the daemon would fail. Deviation: the spec says otherwise, the daemon copes. */
export type CheckKind = 'fatal' | 'deviation';

/** What the caller allows and asks for. */
export interface CheckOptions {
  /** Send reprovision (POST and GET): it has side effects on the endpoint. */
  readonly reprovision: boolean;
  /** Deviations fail the run too, not only fatal checks. */
  readonly strict: boolean;
}

/** A check's verdict before it gets its id, title and kind. */
export interface Verdict {
  readonly reasons: readonly string[];
  readonly notes?: readonly string[];
}

/** What a check can use: the spec, the provisioning answer already fetched, and requests to send. */
export interface Probe {
  readonly spec: SpecBackend;
  readonly answer: RawAnswer;
  /**
   * Sends `method path` once per run: checks that judge the same request share its
   * answer (reprovision has side effects, and is sent once per method).
   */
  readonly request: (method: string, path: string) => Promise<RawAnswer>;
}

/** One check. */
export interface Check {
  readonly id: string;
  readonly title: string;
  readonly kind: CheckKind;
  /** Why the check does not run with these options, if it does not. */
  readonly skip?: (options: CheckOptions) => string | undefined;
  /** The id of a check whose pass this one needs: it judges the same answer further. */
  readonly after?: string;
  readonly run: (probe: Probe) => Promise<Verdict>;
}
