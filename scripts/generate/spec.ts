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

/** Reads, validates and converts the spec in `openapiDir`. */
export async function loadSpec(openapiDir: string): Promise<LoadedSpec> {
  const swagger = await readYaml(path.join(openapiDir, 'external-provisioning.yaml'));
  // Fails on any structural error in the spec (the same check `make test` lints with).
  await SwaggerParser.validate(structuredClone(swagger) as never);
  const converted = await swagger2openapi.convertObj(structuredClone(swagger) as never, {
    patch: false,
    warnOnly: false,
  });
  return { swagger, openapi: converted.openapi as unknown as JsonObject };
}
