/**
 * The DPS store's settings schema (openapi/dps-settings.schema.yaml): the JSON Schema
 * ajv compiles, the schema openapi-typescript types, and the table of messages taken
 * from its `x-message`s (generated/dps-settings-messages.ts).
 */
import { header } from './header.js';
import { isObject, type Json, type JsonObject } from './json.js';
import { toJsonSchema } from './json-schema.js';

/** What the codegen makes of the settings schema. */
export interface DpsSettingsSchema {
  /** Plain JSON Schema for ajv (annotations and x- extensions dropped). */
  readonly jsonSchema: JsonObject;
  /** The schema as an OpenAPI 3.0 component, for openapi-typescript: no conditionals, no tuples. */
  readonly typeSchema: JsonObject;
  /** generated/dps-settings-messages.ts. */
  readonly messagesModule: string;
}

/** Keywords that only add conditions: they change no field's type. */
const CONDITIONALS = new Set(['allOf', 'if', 'then', 'else']);
/** Schema keywords whose value is a map of property names to schemas. */
const PROPERTY_MAPS = new Set(['properties']);

/** One message of the table: the failure's field is the first `depth` segments of its instance path. */
interface FieldMessage {
  depth: number;
  message: string;
}

/** How many instance path segments a step from a schema node to its child adds. */
function instanceSteps(keyword: string): number {
  return keyword === 'properties' || keyword === 'items' || keyword === 'additionalItems' ? 1 : 0;
}

/** Collects every x-message under its JSON pointer, as ajv's schemaPath names the node. */
function collectMessages(node: Json, pointer: string, depth: number, out: Record<string, FieldMessage>): void {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) collectMessages(item, `${pointer}/${i}`, depth, out);
    return;
  }
  if (!isObject(node)) return;
  const message = node['x-message'];
  if (typeof message === 'string') out[pointer] = { depth, message };
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-')) continue;
    if (PROPERTY_MAPS.has(key) && isObject(value)) {
      for (const [name, schema] of Object.entries(value)) collectMessages(schema, `${pointer}/${key}/${name}`, depth + 1, out);
    } else if (isObject(value) || Array.isArray(value)) {
      collectMessages(value, `${pointer}/${key}`, depth + instanceSteps(key), out);
    }
  }
}

/** A copy without conditionals, tuples as lists of their additional items: what openapi-typescript can type. */
function forTypes(node: Json): Json {
  if (Array.isArray(node)) return node.map(forTypes);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (CONDITIONALS.has(key) || key.startsWith('x-') || key === 'additionalItems') continue;
    if (key === 'items' && Array.isArray(value)) {
      out.items = forTypes(node.additionalItems ?? {});
    } else if (PROPERTY_MAPS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, forTypes(schema)]));
    } else {
      out[key] = forTypes(value);
    }
  }
  return out;
}

/** Reads the settings schema. */
export function dpsSettingsSchema(raw: JsonObject): DpsSettingsSchema {
  const { $schema: _dialect, title: _title, ...root } = raw;
  if (JSON.stringify(root).includes('"$ref"')) {
    // The message table is keyed by schema position, which a $ref would move.
    throw new Error('dps-settings.schema.yaml: no $ref, please (use YAML anchors)');
  }
  const messages: Record<string, FieldMessage> = {};
  collectMessages(root, '#', 0, messages);
  const fields = Object.keys(isObject(root.properties) ? root.properties : {});
  const messagesModule = `${header('openapi/dps-settings.schema.yaml')}

/** Every top-level setting, in the schema's order. */
export const DPS_SETTINGS_FIELDS = ${JSON.stringify(fields)} as const;

/** The message for a failure at or below a schema node; its field is the first \`depth\` segments of the instance path. */
export interface DpsSettingsMessage {
  readonly depth: number;
  readonly message: string;
}

/** Each x-message of the schema, by the node's JSON pointer (as ajv's schemaPath names it). */
export const dpsSettingsMessages: { readonly [schemaPath: string]: DpsSettingsMessage } = ${JSON.stringify(messages, null, 2)};
`;
  return {
    jsonSchema: toJsonSchema(root, {}, false) as JsonObject,
    typeSchema: forTypes(root) as JsonObject,
    messagesModule,
  };
}
