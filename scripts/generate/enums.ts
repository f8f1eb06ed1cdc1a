/**
 * generated/enums.ts: the spec's enums as readonly arrays and their union types, so
 * that code listing the allowed values (the daemon's reading of an answer, the checks
 * of what DPS sends) takes them from the spec instead of a hand-made copy.
 */
import { SPEC_HEADER } from './header.js';
import { componentSchemas, isObject, type JsonObject } from './json.js';

/** Each enum the spec declares, by schema and property, and the names it is exported under. */
const ENUMS = [
  { schema: 'DeviceProvisioningInfo', property: 'status', values: 'REGISTRATION_STATUSES', type: 'RegistrationStatus' },
  { schema: 'DeviceProvisioningInfo', property: 'substatus', values: 'SUBSTATUSES', type: 'Substatus' },
  { schema: 'Credentials', property: 'authType', values: 'AUTH_TYPES', type: 'AuthType' },
  { schema: 'Credentials', property: 'source', values: 'CREDENTIAL_SOURCES', type: 'CredentialSource' },
] as const;

/** The enums module. Fails when the spec has an enum this table does not name, or names one it lacks. */
export function renderEnums(openapi: JsonObject): string {
  const schemas = componentSchemas(openapi);
  const found: string[] = [];
  for (const [name, schema] of Object.entries(schemas)) {
    const properties = isObject(schema) ? schema.properties : undefined;
    for (const [property, node] of Object.entries(isObject(properties) ? properties : {})) {
      if (isObject(node) && node.enum !== undefined) found.push(`${name}.${property}`);
    }
  }
  const named: string[] = ENUMS.map((e) => `${e.schema}.${e.property}`);
  const unnamed = found.filter((f) => !named.includes(f));
  const stale = named.filter((n) => !found.includes(n));
  if (unnamed.length > 0 || stale.length > 0) {
    throw new Error(
      `generate/enums.ts: the spec's enums are ${found.join(', ')}; name each in ENUMS (new: ${unnamed.join(', ') || 'none'}, gone: ${stale.join(', ') || 'none'})`,
    );
  }
  const blocks = ENUMS.map((e) => {
    const node = ((schemas[e.schema] as JsonObject).properties as JsonObject)[e.property] as JsonObject;
    const values = (node.enum as string[]).map((v) => JSON.stringify(v)).join(', ');
    return [
      `/** Every ${e.schema}.${e.property} the spec allows, in its order. */`,
      `export const ${e.values} = [${values}] as const;`,
      `/** One ${e.schema}.${e.property}. */`,
      `export type ${e.type} = (typeof ${e.values})[number];`,
    ].join('\n');
  });
  return `${SPEC_HEADER}\n\n${blocks.join('\n\n')}\n`;
}
