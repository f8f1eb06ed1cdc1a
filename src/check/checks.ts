/**
 * Runs the checks of `xprov check` (definitions.ts): an endpoint probed the way IoT
 * Edge's daemon probes it, judged against the spec (openapi-backend) and against what
 * the daemon accepts (contract/daemon-parse.ts). Each check names the precise reason it
 * fails, and its kind decides what a failure means: a fatal check fails the run, a
 * deviation warns, and fails the run only under `--strict`.
 *
 * Reasons may quote the endpoint's own error messages; masking them is the report's
 * job (report.ts), so that `--show-secrets` is decided in one place.
 */
import { operationSpecs } from '../../generated/operations.js';
import { API_VERSION, type ExternalProvisioningClient } from '../client/client.js';
import type { RawAnswer } from '../client/transport.js';
import { describeEndpoint } from '../endpoint/endpoint-url.js';
import { TransportError } from '../errors.js';
import type { SpecBackend } from '../shims/openapi-backend.js';
import type { Check, CheckKind, CheckOptions, Verdict } from './check.js';
import { CHECKS } from './definitions.js';

export type { CheckKind, CheckOptions } from './check.js';

/**
 * How one check ended: pass; fail (a fatal check, or a deviation under `--strict`);
 * warn (a deviation, without `--strict`); skip (not run, or nothing to judge).
 */
export type CheckOutcome = 'pass' | 'warn' | 'fail' | 'skip';

/** One check's result. */
export interface CheckResult {
  /** Stable id, for CI: e.g. `get.daemon`. */
  readonly id: string;
  /** What is checked, in words. */
  readonly title: string;
  readonly kind: CheckKind;
  readonly outcome: CheckOutcome;
  /** Why it failed, warned or was skipped; empty on pass. */
  readonly reasons: readonly string[];
  /** Things that pass but deserve a look. */
  readonly notes: readonly string[];
}

/** Everything `xprov check` found. */
export interface CheckReport {
  readonly endpoint: string;
  /** Whether deviations fail the run. */
  readonly strict: boolean;
  /** True when no check failed (warnings do not count). */
  readonly ok: boolean;
  readonly results: readonly CheckResult[];
  /** The provisioning information answer, as received; undefined when none came. */
  readonly answer: RawAnswer | undefined;
}

const GET_PATH = `${operationSpecs.GetDeviceProvisioningInformation.path}?api-version=${API_VERSION}`;

function result(check: Check, outcome: CheckOutcome, verdict: Verdict): CheckResult {
  return { id: check.id, title: check.title, kind: check.kind, outcome, reasons: verdict.reasons, notes: verdict.notes ?? [] };
}

/** The outcome of a check that did not pass. */
function failed(check: Check, options: CheckOptions): CheckOutcome {
  return check.kind === 'fatal' || options.strict ? 'fail' : 'warn';
}

/** `client.request`, once per method and path: a repeated request gets the first one's answer (or failure). */
function onceEach(client: ExternalProvisioningClient): (method: string, path: string) => Promise<RawAnswer> {
  const sent = new Map<string, Promise<RawAnswer>>();
  return (method, path) => {
    const key = `${method} ${path}`;
    let answer = sent.get(key);
    if (answer === undefined) {
      answer = client.request(method, path);
      sent.set(key, answer);
    }
    return answer;
  };
}

/** Runs every check against the client's endpoint. Throws only on bugs; endpoint failures are results. */
export async function runChecks(client: ExternalProvisioningClient, spec: SpecBackend, options: CheckOptions): Promise<CheckReport> {
  const endpoint = describeEndpoint(client.endpoint);
  const request = onceEach(client);
  let answer: RawAnswer;
  try {
    answer = await request('GET', GET_PATH);
  } catch (err) {
    if (!(err instanceof TransportError)) {
      throw err;
    }
    // No answer (unreachable, reset, timeout) fails the daemon's start: the first check is fatal.
    const [first, ...rest] = CHECKS as [Check, ...Check[]];
    const results = [
      result(first, 'fail', { reasons: [err.message] }),
      ...rest.map((check) => result(check, 'skip', { reasons: ['not run: the endpoint did not answer'] })),
    ];
    return { endpoint, strict: options.strict, ok: false, results, answer: undefined };
  }
  const results: CheckResult[] = [];
  for (const check of CHECKS) {
    const skipped = check.skip?.(options);
    const needed = check.after === undefined ? undefined : results.find((r) => r.id === check.after);
    if (skipped !== undefined) {
      results.push(result(check, 'skip', { reasons: [skipped] }));
    } else if (needed !== undefined && needed.outcome !== 'pass') {
      results.push(result(check, 'skip', { reasons: [`not judged: ${needed.id} did not pass`] }));
    } else {
      results.push(await runOne(check, { spec, answer, request }, options));
    }
  }
  return { endpoint, strict: options.strict, ok: results.every((r) => r.outcome !== 'fail'), results, answer };
}

async function runOne(check: Check, probe: Parameters<Check['run']>[0], options: CheckOptions): Promise<CheckResult> {
  try {
    const verdict = await check.run(probe);
    return result(check, verdict.reasons.length === 0 ? 'pass' : failed(check, options), verdict);
  } catch (err) {
    if (!(err instanceof TransportError)) {
      throw err;
    }
    return result(check, failed(check, options), { reasons: [err.message] });
  }
}
