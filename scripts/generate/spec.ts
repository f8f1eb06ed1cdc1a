/**
 * Loads the Swagger 2.0 spec (openapi/external-provisioning.yaml), checks it and
 * converts it to OpenAPI 3.0, which every later step reads.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import swagger2openapi from 'swagger2openapi';
import YAML from 'yaml';
import type { JsonObject } from './json.js';

/** The spec in both forms. */
export interface LoadedSpec {
  /** The Swagger 2.0 source, as parsed. */
  readonly swagger: JsonObject;
  /** The same contract as OpenAPI 3.0 (swagger2openapi). */
  readonly openapi: JsonObject;
}

/** Reads a YAML file of openapi/ as JSON. */
export async function readYaml(file: string): Promise<JsonObject> {
  return YAML.parse(await readFile(file, 'utf8')) as JsonObject;
}

/**
 * A copy of `swagger` whose root `produces` is every media type its operations declare.
 * The spec declares `produces` per operation only (a global one would say that
 * reprovision's body-less 200 is JSON), but swagger2openapi types the shared
 * `responses` (the error answers every operation references) by the root `produces`
 * alone, `*\/*` without one: the error answers would lose their `application/json`.
 */
function withSharedProduces(swagger: JsonObject): JsonObject {
  const copy = structuredClone(swagger);
  const types = new Set<string>();
  for (const item of Object.values((copy.paths ?? {}) as unknown as Record<string, Record<string, { produces?: string[] }>>)) {
    for (const operation of Object.values(item)) {
      for (const type of operation.produces ?? []) types.add(type);
    }
  }
  if (copy.produces === undefined && types.size > 0) {
    copy.produces = [...types];
  }
  return copy;
}

/** Reads, validates and converts the spec in `openapiDir`. */
export async function loadSpec(openapiDir: string): Promise<LoadedSpec> {
  const swagger = await readYaml(path.join(openapiDir, 'external-provisioning.yaml'));
  // Fails on any structural error in the spec (the same check `make test` lints with).
  await SwaggerParser.validate(structuredClone(swagger) as never);
  const converted = await swagger2openapi.convertObj(withSharedProduces(swagger) as never, {
    patch: false,
    warnOnly: false,
  });
  return { swagger, openapi: converted.openapi as unknown as JsonObject };
}
