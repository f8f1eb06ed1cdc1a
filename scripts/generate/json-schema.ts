/** OpenAPI 3.0 schemas turned into the plain JSON Schema ajv compiles. */
import { isObject, type Json, type JsonObject } from './json.js';

/** Keywords that carry documentation only; dropped before compiling validators. */
const ANNOTATIONS = new Set(['description', 'example', 'examples', 'title', 'deprecated', 'format']);

/**
 * Turns an OpenAPI 3.0 schema into plain JSON Schema for ajv: resolves local $refs,
 * drops annotations and x- extensions. `closed` adds additionalProperties: false to
 * every object (the store document rejects unknown keys to catch typos). `format`
 * is dropped because the daemon's own encoding rules (checked by hand, with precise
 * messages) are stricter and depend on the credential mode.
 */
export function toJsonSchema(schema: Json, components: JsonObject, closed: boolean): Json {
  if (Array.isArray(schema)) {
    return schema.map((item) => toJsonSchema(item, components, closed));
  }
  if (!isObject(schema)) {
    return schema;
  }
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '');
    const target = components[name];
    if (target === undefined) {
      throw new Error(`unresolved $ref ${ref}`);
    }
    return toJsonSchema(target, components, closed);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key) || key.startsWith('x-')) {
      continue;
    }
    out[key] =
      key === 'properties' && isObject(value)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v, components, closed)]))
        : toJsonSchema(value, components, closed);
  }
  if (closed && out.type === 'object' && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}
