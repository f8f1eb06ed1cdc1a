/**
 * Routing from the generated route table: exact path match, then method. The daemon
 * always requests absolute paths at the root, so no prefix or trailing-slash leniency.
 */
import { routes } from '../../generated/operations.js';
import type { OperationId } from '../contract/types.js';
import { MethodNotAllowedError, NotFoundError } from '../errors.js';

/** The operationId for `method` on `path`; throws NotFoundError or MethodNotAllowedError. */
export function route(method: string, path: string): OperationId {
  const methods = Object.hasOwn(routes, path) ? routes[path] : undefined;
  if (methods === undefined) {
    throw new NotFoundError(`no such path: ${path.length > 200 ? `${path.slice(0, 200)}...` : path}`);
  }
  const operationId = Object.hasOwn(methods, method) ? methods[method] : undefined;
  if (operationId === undefined) {
    const allow = Object.keys(methods);
    throw new MethodNotAllowedError(`method ${method} is not allowed on ${path}; allowed: ${allow.join(', ')}`, allow);
  }
  return operationId;
}
