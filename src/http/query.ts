/**
 * Query parsing and validation with the precompiled validators generated from the
 * spec. Repeated parameters become arrays, which the validators refuse: a duplicated
 * `api-version` is ambiguous and answered 400 like a missing one. Parsing is linear in
 * the query's length and the number of parameters is bounded.
 */
import { operationSpecs } from '../../generated/operations.js';
import { queryValidators, type ValidationError } from '../../generated/validators.js';
import type { OperationId, OperationQuery } from '../contract/types.js';
import { BadRequestError } from '../errors.js';

/**
 * The most parameters a query may have. The daemon sends one; the bound keeps a hostile
 * query from costing work per parameter (validators, arrays) beyond a fixed amount.
 */
export const MAX_QUERY_PARAMETERS = 32;

/** Throws BadRequestError when `queryString` has more than MAX_QUERY_PARAMETERS pairs (empty ones count). */
function checkParameterCount(queryString: string): void {
  let count = 1;
  for (let at = queryString.indexOf('&'); at !== -1; at = queryString.indexOf('&', at + 1)) {
    if (++count > MAX_QUERY_PARAMETERS) {
      throw new BadRequestError(`too many query parameters (at most ${MAX_QUERY_PARAMETERS})`);
    }
  }
}

/**
 * The query string as an object: a value per name, an array when a name repeats
 * (which the validators refuse). URLSearchParams does the decoding (WHATWG rules: `+`
 * is a space, bad escapes kept or replaced, never thrown); it and the loop below are
 * linear in the query's length, and the parameter count is bounded first. Measured per
 * parse of the daemon's query: URLSearchParams ~0.3 us, node:querystring ~1.0-1.4 us
 * (a request costs ~16 us of server CPU), so not node:querystring.
 */
export function parseQueryString(queryString: string): Record<string, string | string[]> {
  checkParameterCount(queryString);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(queryString)) {
    // __proto__ would set the object's prototype, not a property; no parameter has that name.
    if (name === '__proto__') continue;
    const seen = Object.hasOwn(out, name) ? out[name] : undefined;
    if (seen === undefined) {
      out[name] = value;
    } else if (Array.isArray(seen)) {
      seen.push(value);
    } else {
      out[name] = [seen, value];
    }
  }
  return out;
}

/** A message naming the parameter and, where the spec lists them, the supported values. */
function describe(operationId: OperationId, err: ValidationError): string {
  const name = err.keyword === 'required' ? String(err.params.missingProperty) : err.instancePath.slice(1);
  const spec = operationSpecs[operationId].query.find((q) => q.name === name);
  const supported = spec?.enum ? ` (supported: ${spec.enum.join(', ')})` : '';
  switch (err.keyword) {
    case 'required':
      return `missing required query parameter ${name}${supported}`;
    case 'type':
      return `query parameter ${name} must be given exactly once${supported}`;
    case 'enum':
      return `unsupported ${name}${supported}`;
    default:
      return `invalid query parameter ${name}: ${err.message ?? err.keyword}`;
  }
}

/** Parses and validates the query of `operationId`; throws BadRequestError naming the problem. */
export function parseQuery<Op extends OperationId>(operationId: Op, queryString: string): OperationQuery<Op> {
  const query: unknown = parseQueryString(queryString);
  const validate = queryValidators[operationId];
  if (!validate(query)) {
    const first = validate.errors?.[0];
    throw new BadRequestError(first ? describe(operationId, first) : 'invalid query');
  }
  return query;
}
