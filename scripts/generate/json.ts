/** JSON as the codegen reads it from the specs, and the two helpers every step uses. */

/** A JSON value as it appears in a parsed spec. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object (a schema, a spec node). */
export type JsonObject = { [key: string]: Json };

/** True for a JSON object (not null, not an array). */
export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The node at `pointer` (slash-separated, no escapes needed for the spec's names) below `root`. */
export function at(root: JsonObject, pointer: string, what: string): Json {
  let node: Json = root;
  for (const part of pointer.split('/')) {
    if (!isObject(node) || node[part] === undefined) {
      throw new Error(`${what}: nothing at ${pointer}`);
    }
    node = node[part];
  }
  return node;
}

/** The schemas of an OpenAPI 3.0 document (components.schemas). */
export function componentSchemas(openapi: JsonObject): JsonObject {
  return (openapi.components as JsonObject).schemas as JsonObject;
}
