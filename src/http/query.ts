/**
 * Query parsing and validation with the precompiled validators generated from the
 * spec. Repeated parameters become arrays, which the validators refuse: a duplicated
 * `api-version` is ambiguous and answered 400 like a missing one.
 */
import { operationSpecs } from '../../generated/operations.js';
import { queryValidators, type ValidationError } from '../../generated/validators.js';
import type { OperationId, OperationQuery } from '../contract/types.js';
import { BadRequestError } from '../errors.js';

/** Decodes one component: `+` is a space, `%XX` escapes; undecodable text is kept as sent. */
function decodeComponent(text: string): string {
  if (!text.includes('%') && !text.includes('+')) {
    return text;
  }
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/**
 * The query string as an object: a value per name, an array when a name repeats
 * (which the validators refuse). Written here rather than taken from URLSearchParams
 * or node:querystring: on this path both cost more than the rest of the request's own
 * work (measured: server CPU per request under load). A plain object with fast
 * properties and index scanning keep it nearly free; an object without a prototype,
 * or split(), measurably did not.
 */
export function parseQueryString(queryString: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let start = 0;
  while (start < queryString.length) {
    let end = queryString.indexOf('&', start);
    if (end === -1) end = queryString.length;
    if (end > start) {
      const eq = queryString.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const name = decodeComponent(queryString.slice(start, hasValue ? eq : end));
      const value = hasValue ? decodeComponent(queryString.slice(eq + 1, end)) : '';
      // __proto__ would set the object's prototype, not a property; no parameter has that name.
      if (name !== '__proto__') {
        const seen = Object.hasOwn(out, name) ? out[name] : undefined;
        out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
      }
    }
    start = end + 1;
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
