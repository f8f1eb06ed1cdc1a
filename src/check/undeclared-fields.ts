/**
 * The fields of a provisioning answer that the spec does not declare. The spec does
 * not forbid them (no `additionalProperties: false`) and the daemon ignores them, but a
 * client generated from the spec drops them too: worth a warning, never a failure.
 */
import definition from '../../generated/openapi.json' with { type: 'json' };

const SCHEMAS = definition.components.schemas;
const ROOT = new Set(Object.keys(SCHEMAS.DeviceProvisioningInfo.properties));
const CREDENTIALS = new Set(Object.keys(SCHEMAS.Credentials.properties));

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The undeclared field names of `body` (a DeviceProvisioningInfo), as paths (`credentials.x`); none when it is not a JSON object. */
export function undeclaredFields(body: Buffer): string[] {
  let root: unknown;
  try {
    root = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  if (!isObject(root)) {
    return [];
  }
  const unknown = Object.keys(root).filter((name) => !ROOT.has(name));
  const credentials = root.credentials;
  if (isObject(credentials)) {
    unknown.push(
      ...Object.keys(credentials)
        .filter((name) => !CREDENTIALS.has(name))
        .map((name) => `credentials.${name}`),
    );
  }
  return unknown;
}
