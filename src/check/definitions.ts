/**
 * Every check of `xprov check`, in the order they run and are reported, each of one
 * kind (check.ts). Fatal: what the daemon sends (GET of the provisioning information,
 * GET reprovision) must get a 2xx answer, and the information must pass the daemon's
 * rules (contract/daemon-parse.ts). Deviations: everything the spec says beyond that,
 * which the daemon does not depend on (answer shapes, error answers to requests it
 * never sends, POST reprovision, the exact 2xx status).
 */
import { operationSpecs } from '../../generated/operations.js';
import { API_VERSION, errorMessage, isSuccess } from '../client/client.js';
import type { RawAnswer } from '../client/transport.js';
import { readLikeDaemon } from '../contract/daemon-parse.js';
import type { OperationId } from '../contract/types.js';
import type { SpecBackend } from '../shims/openapi-backend.js';
import type { Check } from './check.js';
import { undeclaredFields } from './undeclared-fields.js';

const Q = `?api-version=${API_VERSION}`;
const GET = operationSpecs.GetDeviceProvisioningInformation;
const REPROVISION = operationSpecs.ReprovisionDevice;
/** A path no endpoint serves. */
const UNKNOWN_PATH = '/device/xprov-check-unknown-path';
const REPROVISION_SKIP = 'not run: pass --reprovision to send it (it has side effects on the endpoint)';

/** The reasons an error answer is not `expected` with a spec-shaped ErrorResponse. */
function errorAnswerProblems(spec: SpecBackend, raw: RawAnswer, expected: number): string[] {
  const problems = raw.status === expected ? [] : [`answered ${raw.status}, expected ${expected}`];
  // Unrouted requests have no operation; every operation's error answers share one schema.
  const shape = spec.answerProblems('GetDeviceProvisioningInformation', { status: raw.status, contentType: raw.headers['content-type'], body: raw.body });
  return [...problems, ...shape.map((problem) => `not an ErrorResponse: ${problem}`)];
}

/** Why a reprovision answer is not the spec's 200 with no body. */
function reprovisionSpecProblems(spec: SpecBackend, operationId: OperationId, raw: RawAnswer): string[] {
  if (!isSuccess(raw.status)) {
    return [`answered ${raw.status}: ${errorMessage(raw)}`];
  }
  if (raw.status !== 200) {
    return [`answered ${raw.status}; the spec says 200 with no body (the daemon accepts any 2xx)`];
  }
  return spec.answerProblems(operationId, { status: raw.status, contentType: raw.headers['content-type'], body: raw.body });
}

const reprovisionSkip = (options: { readonly reprovision: boolean }): string | undefined => (options.reprovision ? undefined : REPROVISION_SKIP);

/** Every check, in the order they run and are reported. */
export const CHECKS: readonly Check[] = [
  {
    id: 'get.status',
    title: `GET ${GET.path} answers 2xx`,
    kind: 'fatal',
    run: ({ answer }) => Promise.resolve({ reasons: isSuccess(answer.status) ? [] : [`answered ${answer.status}: ${errorMessage(answer)}`] }),
  },
  {
    id: 'get.spec',
    title: 'its answer conforms to the spec',
    kind: 'deviation',
    run: ({ spec, answer }) => {
      const problems = spec.answerProblems('GetDeviceProvisioningInformation', {
        status: answer.status,
        contentType: answer.headers['content-type'],
        body: answer.body,
      });
      const undeclared = isSuccess(answer.status) ? undeclaredFields(answer.body) : [];
      const fields = undeclared.length === 0 ? [] : [`fields the spec does not declare: ${undeclared.join(', ')}`];
      return Promise.resolve({ reasons: [...problems, ...fields] });
    },
  },
  {
    id: 'get.daemon',
    title: 'the IoT Edge daemon would provision with its answer',
    kind: 'fatal',
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
    kind: 'deviation',
    run: async ({ request, spec }) => ({ reasons: errorAnswerProblems(spec, await request('GET', GET.path), 400) }),
  },
  {
    id: 'errors.unknown-path',
    title: 'an unknown path: 404 with an ErrorResponse',
    kind: 'deviation',
    run: async ({ request, spec }) => ({ reasons: errorAnswerProblems(spec, await request('GET', `${UNKNOWN_PATH}${Q}`), 404) }),
  },
  {
    id: 'errors.wrong-method',
    title: `DELETE ${GET.path}: 405 with Allow and an ErrorResponse`,
    kind: 'deviation',
    run: async ({ request, spec }) => {
      const raw = await request('DELETE', `${GET.path}${Q}`);
      const allow = raw.status === 405 && raw.headers.allow === undefined ? ['405 without an Allow header'] : [];
      return { reasons: [...errorAnswerProblems(spec, raw, 405), ...allow] };
    },
  },
  {
    id: 'reprovision.post',
    title: `POST ${REPROVISION.path}: 200 with no body (as the spec says; the daemon sends GET)`,
    kind: 'deviation',
    skip: reprovisionSkip,
    run: async ({ request, spec }) => ({ reasons: reprovisionSpecProblems(spec, 'ReprovisionDevice', await request('POST', `${REPROVISION.path}${Q}`)) }),
  },
  {
    id: 'reprovision.get',
    title: `GET ${REPROVISION.path} answers 2xx (as the daemon sends it)`,
    kind: 'fatal',
    skip: reprovisionSkip,
    run: async ({ request }) => {
      const raw = await request('GET', `${REPROVISION.path}${Q}`);
      if (isSuccess(raw.status)) {
        return { reasons: [] };
      }
      const reasons = [`answered ${raw.status}: ${errorMessage(raw)}`];
      if (raw.status === 404 || raw.status === 405) {
        reasons.push('IoT Edge daemons (1.0.x-1.1) send GET /device/reprovision: dynamic reprovisioning fails against this endpoint');
      }
      return { reasons };
    },
  },
  {
    id: 'reprovision.get.spec',
    title: 'its answer: 200 with no body, as the spec says',
    kind: 'deviation',
    skip: reprovisionSkip,
    after: 'reprovision.get',
    run: async ({ request, spec }) => ({ reasons: reprovisionSpecProblems(spec, 'ReprovisionDeviceByGet', await request('GET', `${REPROVISION.path}${Q}`)) }),
  },
];
