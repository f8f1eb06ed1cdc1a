/**
 * The store file's schema (openapi/store.schema.yaml), which takes the fields it
 * shares with the API from the spec by $ref, as OpenAPI components.
 */
import { at, componentSchemas, isObject, type Json, type JsonObject } from './json.js';

/** Where store.schema.yaml points into the API spec. */
const SPEC_REF = 'external-provisioning.yaml#/definitions/';

/**
 * The store file's schema as OpenAPI components: StoreDocument (the root) and its
 * definitions. References into the API spec are replaced by the spec's schema (from its
 * OpenAPI form, so both validators see the same thing); local ones are renamed to
 * components. Fails when the API has a field the store schema does not list, so that a
 * new API field cannot silently become impossible to store.
 */
export function storeComponents(storeSchema: JsonObject, openapi: JsonObject): JsonObject {
  const apiSchemas = componentSchemas(openapi);
  const resolve = (node: Json): Json => {
    if (Array.isArray(node)) {
      return node.map(resolve);
    }
    if (!isObject(node)) {
      return node;
    }
    const ref = node.$ref;
    if (typeof ref === 'string') {
      if (ref.startsWith(SPEC_REF)) {
        const target = at(apiSchemas, ref.slice(SPEC_REF.length), 'store.schema.yaml');
        if (JSON.stringify(target).includes('"$ref"')) {
          throw new Error(`store.schema.yaml: ${ref} has references of its own; refer to its fields instead`);
        }
        return structuredClone(target);
      }
      if (ref.startsWith('#/definitions/')) {
        return { $ref: ref.replace('#/definitions/', '#/components/schemas/') };
      }
      throw new Error(`store.schema.yaml: unsupported $ref ${ref}`);
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, resolve(value)]));
  };
  const { $schema: _dialect, title: _title, definitions, ...root } = storeSchema;
  const schemas: JsonObject = { StoreDocument: resolve(root) };
  for (const [name, schema] of Object.entries(isObject(definitions) ? definitions : {})) {
    schemas[name] = resolve(schema);
  }
  for (const [api, store] of [
    ['DeviceProvisioningInfo', 'StoreDocument'],
    ['Credentials', 'StoreCredentials'],
  ] as const) {
    const apiFields = Object.keys(at(apiSchemas, `${api}/properties`, 'spec') as JsonObject);
    const storeFields = Object.keys(at(schemas, `${store}/properties`, 'store.schema.yaml') as JsonObject);
    const missing = apiFields.filter((field) => !storeFields.includes(field));
    if (missing.length > 0) {
      throw new Error(`store.schema.yaml: ${store} lacks the API's ${api} fields ${missing.join(', ')}`);
    }
  }
  return schemas;
}
