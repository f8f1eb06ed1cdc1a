/**
 * Codegen: derives everything in generated/ from the Swagger 2.0 spec in openapi/,
 * the store file's schema in openapi/store.schema.yaml (which takes the fields it
 * shares with the API from the spec by $ref) and the DPS settings' schema in
 * openapi/dps-settings.schema.yaml.
 *
 *   node build/scripts/generate.js OUT_DIR
 *
 * Writes, all deterministic (no dates, stable key order) so that CI can regenerate
 * into a temporary directory and diff against the committed copy:
 * - swagger.json: the Swagger 2.0 source as JSON, for generators that want 2.0;
 * - openapi.json: the OpenAPI 3.0 document (swagger2openapi);
 * - types.ts: TypeScript types for paths, operations and schemas (openapi-typescript);
 * - enums.ts: the spec's enums (status, substatus, authType, source) as readonly
 *   arrays and union types (generate/enums.ts);
 * - operations.ts: the route table (path -> method -> operationId) and, per
 *   operation, its query parameters, walked from the spec by openapi-backend
 *   (generate/operations.ts);
 * - store-types.ts: TypeScript types of the store file (StoreDocument), from its schema;
 * - dps-settings-types.ts, dps-settings-messages.ts: the DPS settings' types and the
 *   messages of their schema (openapi/dps-settings.schema.yaml, generate/dps-settings.ts);
 * - validators.js + validators.d.ts: precompiled standalone ajv validators for every
 *   operation's query, for the store file and for the DPS settings, so the server
 *   compiles no schema at start-up (generate/validators.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { dpsSettingsSchema } from './generate/dps-settings.js';
import { renderEnums } from './generate/enums.js';
import { header, SPEC_HEADER } from './generate/header.js';
import { renderOperations, walkOperations } from './generate/operations.js';
import { loadSpec, readYaml } from './generate/spec.js';
import { storeComponents } from './generate/store-schema.js';
import { renderValidators } from './generate/validators.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const openapiDir = path.join(repoRoot, 'openapi');

/** Every generated file's name and content. */
async function render(): Promise<Map<string, string>> {
  const { swagger, openapi } = await loadSpec(openapiDir);
  const files = new Map<string, string>();
  files.set('swagger.json', `${JSON.stringify(swagger, null, 2)}\n`);
  files.set('openapi.json', `${JSON.stringify(openapi, null, 2)}\n`);
  files.set('types.ts', `${SPEC_HEADER}\n\n${astToString(await openapiTS(openapi as never))}`);

  files.set('enums.ts', renderEnums(openapi));

  const operations = await walkOperations(openapi);
  files.set('operations.ts', renderOperations(operations));

  const storeSchemas = storeComponents(await readYaml(path.join(openapiDir, 'store.schema.yaml')), openapi);
  const storeTypes = await openapiTS({
    openapi: '3.0.3',
    info: { title: 'xprov store file', version: '1' },
    paths: {},
    components: { schemas: storeSchemas },
  } as never);
  files.set('store-types.ts', `${header('openapi/store.schema.yaml')}\n\n${astToString(storeTypes)}`);

  const dps = dpsSettingsSchema(await readYaml(path.join(openapiDir, 'dps-settings.schema.yaml')));
  const dpsTypes = await openapiTS(
    { openapi: '3.0.3', info: { title: 'xprov DPS settings', version: '1' }, paths: {}, components: { schemas: { DpsSettings: dps.typeSchema } } } as never,
    {
      // The defaults are documentation: the validator does not fill them in.
      defaultNonNullable: false,
    },
  );
  files.set('dps-settings-types.ts', `${header('openapi/dps-settings.schema.yaml')}\n\n${astToString(dpsTypes)}`);
  files.set('dps-settings-messages.ts', dps.messagesModule);

  const { js, dts } = renderValidators(operations, storeSchemas, dps.jsonSchema);
  files.set('validators.js', js);
  files.set('validators.d.ts', dts);
  return files;
}

async function main(): Promise<void> {
  const outDir = process.argv[2];
  if (!outDir) {
    throw new Error('usage: generate.js OUT_DIR');
  }
  const files = await render();
  await mkdir(outDir, { recursive: true });
  for (const [name, content] of files) {
    await writeFile(path.join(outDir, name), content);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
