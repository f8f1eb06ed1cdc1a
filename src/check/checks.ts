/**
 * The checks of `xprov check`: an endpoint probed the way IoT Edge's daemon probes it,
 * judged against the spec (openapi-backend) and against what the daemon accepts
 * (contract/daemon-parse.ts). Each check names the precise reason it fails.
 *
 * Reasons may quote the endpoint's own error messages; masking them is the report's
 * job (report.ts), so that `--show-secrets` is decided in one place.
 */
import { operationSpecs } from '../../generated/operations.js';
import { API_VERSION, type ExternalProvisioningClient, errorMessage, isSuccess } from '../client/client.js';
import type { RawAnswer } from '../client/transport.js';
import { readLikeDaemon } from '../contract/daemon-parse.js';
import { describeEndpoint } from '../endpoint/endpoint-url.js';
import { TransportError } from '../errors.js';
import type { SpecBackend } from '../shims/openapi-backend.js';

/** How one check ended. */
export type CheckOutcome = 'pass' | 'fail' | 'skip';

/** One check's result. */
export interface CheckResult {
  /** Stable id, for CI: e.g. `get.daemon`. */
  readonly id: string;
  /** What is checked, in words. */
  readonly title: string;
  readonly outcome: CheckOutcome;
  /** Why it failed or was skipped; empty on pass. */
  readonly reasons: readonly string[];
  /** Things that pass but deserve a look. */
  readonly notes: readonly string[];
}

/** Everything `xprov check` found. */
export interface CheckReport {
  readonly endpoint: string;
  /** True when no check failed. */
  readonly ok: boolean;
  readonly results: readonly CheckResult[];
  /** The provisioning information answer, as received; undefined when none came. */
  readonly answer: RawAnswer | undefined;
}

/** What the caller allows. */
export interface CheckOptions {
  /** Send reprovision (POST and GET): it has side effects on the endpoint. */
  readonly reprovision: boolean;
}

/** A check's verdict before it gets its id and title. */
interface Verdict {
  readonly reasons: readonly string[];
  readonly notes?: readonly string[];
}

interface Check {
  readonly id: string;
  readonly title: string;
  /** Why the check does not run with these options, if it does not. */
  readonly skip?: (options: CheckOptions) => string | undefined;
  readonly run: (probe: Probe) => Promise<Verdict>;
}

/** What a check can use: the client, the spec, and the provisioning answer already fetched. */
interface Probe {
  readonly client: ExternalProvisioningClient;
  readonly spec: SpecBackend;
  readonly answer: RawAnswer;
}

const Q = `?api-version=${API_VERSION}`;
const GET = operationSpecs.GetDeviceProvisioningInformation;
const REPROVISION = operationSpecs.ReprovisionDevice;
/** A path no endpoint serves. */
const UNKNOWN_PATH = '/device/xprov-check-unknown-path';

/** The reasons an error answer is not `expected` with a spec-shaped ErrorResponse. */
function errorAnswerProblems(spec: SpecBackend, raw: RawAnswer, expected: number): string[] {
  const problems = raw.status === expected ? [] : [`answered ${raw.status}, expected ${expected}`];
  // Unrouted requests have no operation; every operation's error answers share one schema.
  const shape = spec.answerProblems('GetDeviceProvisioningInformation', { status: raw.status, contentType: raw.headers['content-type'], body: raw.body });
  return [...problems, ...shape.map((problem) => `not an ErrorResponse: ${problem}`)];
}

/** A check that a reprovision request with `method` is answered 2xx. */
function reprovisionCheck(method: 'POST' | 'GET', why: string): Check {
  return {
    id: `reprovision.${method.toLowerCase()}`,
    title: `${method} ${REPROVISION.path} answers 2xx (${why})`,
    skip: (options) => (options.reprovision ? undefined : 'not run: pass --reprovision to send it (it has side effects on the endpoint)'),
    run: async ({ client }) => {
      const raw = await client.request(method, `${REPROVISION.path}${Q}`);
      if (isSuccess(raw.status)) {
        return { reasons: [] };
      }
      const reasons = [`answered ${raw.status}: ${errorMessage(raw)}`];
      if (method === 'GET' && (raw.status === 404 || raw.status === 405)) {
        reasons.push('IoT Edge daemons (1.0.x-1.1) send GET /device/reprovision: dynamic reprovisioning fails against this endpoint');
      }
      return { reasons };
    },
  };
}

/** Every check, in the order they run and are reported. */
const CHECKS: readonly Check[] = [
  {
    id: 'get.status',
    title: `GET ${GET.path} answers 2xx`,
    run: ({ answer }) => Promise.resolve({ reasons: isSuccess(answer.status) ? [] : [`answered ${answer.status}: ${errorMessage(answer)}`] }),
  },
  {
    id: 'get.spec',
    title: 'its answer conforms to the spec',
    run: ({ spec, answer }) =>
      Promise.resolve({
        reasons: spec.answerProblems('GetDeviceProvisioningInformation', {
          status: answer.status,
          contentType: answer.headers['content-type'],
          body: answer.body,
        }),
      }),
  },
  {
    id: 'get.daemon',
    title: 'the IoT Edge daemon would provision with its answer',
    run: ({ answer }) => {
      if (!isSuccess(answer.status)) {
        return Promise.resolve({ reasons: [`the daemon fails its start on a ${answer.status} answer`] });
      }
      const reading = readLikeDaemon(answer.body);
      return Promise.resolve(reading.ok ? { reasons: [], notes: reading.notes } : { reasons: reading.refusals });
    },
  },
  {
    id: 'errors.api-version',
    title: 'without api-version: 400 with an ErrorResponse',
    run: async ({ client, spec }) => ({ reasons: errorAnswerProblems(spec, await client.request('GET', GET.path), 400) }),
  },
  {
    id: 'errors.unknown-path',
    title: 'an unknown path: 404 with an ErrorResponse',
    run: async ({ client, spec }) => ({ reasons: errorAnswerProblems(spec, await client.request('GET', `${UNKNOWN_PATH}${Q}`), 404) }),
  },
  {
    id: 'errors.wrong-method',
    title: `DELETE ${GET.path}: 405 with Allow and an ErrorResponse`,
    run: async ({ client, spec }) => {
      const raw = await client.request('DELETE', `${GET.path}${Q}`);
      const allow = raw.status === 405 && raw.headers.allow === undefined ? ['405 without an Allow header'] : [];
      return { reasons: [...errorAnswerProblems(spec, raw, 405), ...allow] };
    },
  },
  reprovisionCheck('POST', 'as the spec says'),
  reprovisionCheck('GET', 'as the daemon sends it'),
];

function result(check: Check, outcome: CheckOutcome, verdict: Verdict): CheckResult {
  return { id: check.id, title: check.title, outcome, reasons: verdict.reasons, notes: verdict.notes ?? [] };
}

/** Runs every check against the client's endpoint. Throws only on bugs; endpoint failures are results. */
export async function runChecks(client: ExternalProvisioningClient, spec: SpecBackend, options: CheckOptions): Promise<CheckReport> {
  const endpoint = describeEndpoint(client.endpoint);
  let answer: RawAnswer;
  try {
    answer = await client.request('GET', `${GET.path}${Q}`);
  } catch (err) {
    if (!(err instanceof TransportError)) {
      throw err;
    }
    const [first, ...rest] = CHECKS as [Check, ...Check[]];
    const results = [
      result(first, 'fail', { reasons: [err.message] }),
      ...rest.map((check) => result(check, 'skip', { reasons: ['not run: the endpoint did not answer'] })),
    ];
    return { endpoint, ok: false, results, answer: undefined };
  }
  const results: CheckResult[] = [];
  for (const check of CHECKS) {
    const skipped = check.skip?.(options);
    if (skipped !== undefined) {
      results.push(result(check, 'skip', { reasons: [skipped] }));
      continue;
    }
    try {
      const verdict = await check.run({ client, spec, answer });
      results.push(result(check, verdict.reasons.length === 0 ? 'pass' : 'fail', verdict));
    } catch (err) {
      if (!(err instanceof TransportError)) {
        throw err;
      }
      results.push(result(check, 'fail', { reasons: [err.message] }));
    }
  }
  return { endpoint, ok: results.every((r) => r.outcome !== 'fail'), results, answer };
}
