/**
 * The types every operation handler is written against, all derived from the generated
 * `operations` so that a handler that drifts from the spec does not compile.
 */
import type { OperationId, OperationQuery, SuccessBody } from '../contract/types.js';
import type { ProvisioningService } from '../service.js';

/** What the HTTP layer hands a handler: the validated request. */
export interface OperationRequest<Op extends OperationId> {
  readonly query: OperationQuery<Op>;
}

/** What a handler returns; the response writer turns it into the answer. */
export interface OperationResult<Op extends OperationId> {
  readonly status: 200;
  /** The JSON body, or undefined for operations whose 200 answer has none. */
  readonly body: SuccessBody<Op>;
}

/** Translates one HTTP operation into a service call. Errors are thrown as XprovError. */
export type OperationHandler<Op extends OperationId> = (service: ProvisioningService, request: OperationRequest<Op>) => Promise<OperationResult<Op>>;
