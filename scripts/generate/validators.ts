/**
 * generated/validators.js and .d.ts: precompiled standalone ajv validators, so that
 * the server compiles no schema at start-up and ships without ajv.
 */
import { Ajv } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { header } from './header.js';
import type { JsonObject } from './json.js';
import { toJsonSchema } from './json-schema.js';
import type { OperationEntry } from './operations.js';

const VALIDATORS_HEADER = header('openapi/external-provisioning.yaml, openapi/store.schema.yaml and openapi/dps-settings.schema.yaml');

/** ajv warns that `unicode` is deprecated; it is set on purpose (see renderValidators). */
function warnUnlessUnicodeDeprecation(...args: unknown[]): void {
  if (!String(args[0]).includes('option unicode')) {
    console.warn(...args);
  }
}

function queryValidatorName(operationId: string): string {
  return `validate${operationId}Query`;
}

/** The validators module and its declarations. */
export function renderValidators(operations: OperationEntry[], storeSchemas: JsonObject, dpsSettings: JsonObject): { js: string; dts: string } {
  // unicode: false makes minLength count UTF-16 units with .length instead of calling
  // ajv's ucs2length runtime helper; the only length rule is minLength: 1, where the two agree.
  const ajv = new Ajv({
    code: { source: true, esm: true, lines: true },
    allErrors: true,
    strict: true,
    unicode: false,
    // The settings' hook argv is a tuple (an absolute program, then any strings):
    // items as a list with schema-valued additionalItems, which strictTuples would log.
    strictTuples: false,
    // Its conditional requirements (certFile with x509, hsm with serveAs hsm) name
    // properties declared once, on the attestation, which strictRequired refuses.
    strictRequired: false,
    logger: { log: console.log, error: console.error, warn: warnUnlessUnicodeDeprecation },
  });

  ajv.addSchema(toJsonSchema({ $ref: '#/components/schemas/StoreDocument' }, storeSchemas, true) as object, 'StoreDocument');
  ajv.addSchema(dpsSettings, 'DpsSettings');
  const exports: Record<string, string> = { validateStoreDocument: 'StoreDocument', validateDpsSettings: 'DpsSettings' };

  for (const op of operations) {
    const querySchema = {
      type: 'object',
      required: op.query.filter((q) => q.required).map((q) => q.name),
      properties: Object.fromEntries(op.query.map((q) => [q.name, q.enum ? { type: 'string', enum: q.enum } : { type: 'string' }])),
    };
    ajv.addSchema(querySchema, `${op.operationId}Query`);
    exports[queryValidatorName(op.operationId)] = `${op.operationId}Query`;
  }

  const code = standalone.default(ajv, exports);
  if (/\brequire\(|^import /m.test(code)) {
    // The server ships without ajv: a validator needing ajv's runtime would break it.
    throw new Error('a generated validator depends on the ajv runtime; simplify the schema');
  }
  const table = operations.map((op) => `  ${op.operationId}: ${queryValidatorName(op.operationId)},`).join('\n');
  const js = `${VALIDATORS_HEADER}\n${code}\n\n/** Each operation's query validator, by operationId. */\nexport const queryValidators = {\n${table}\n};\n`;

  const queryDecls = operations
    .map(
      (op) =>
        `/** Validates the query of ${op.operationId} (values: string, or string[] when repeated). */\n` +
        `export declare const ${queryValidatorName(op.operationId)}: Validator<NonNullable<operations[${JSON.stringify(op.operationId)}]['parameters']['query']>>;`,
    )
    .join('\n');
  const dts = `${VALIDATORS_HEADER}

import type { OperationId } from './operations.js';
import type { components as dpsSettingsComponents } from './dps-settings-types.js';
import type { components as storeComponents } from './store-types.js';
import type { operations } from './types.js';

/** One validation failure, as ajv reports it (the subset xprov reads). */
export interface ValidationError {
  readonly instancePath: string;
  /** The failing keyword's place in the schema, e.g. \`#/properties/endpoint/pattern\`. */
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: { readonly [key: string]: unknown };
  readonly message?: string;
}

/** A precompiled validator: a type guard that leaves its failures in \`errors\`. */
export interface Validator<T> {
  (data: unknown): data is T;
  errors?: ValidationError[] | null;
}

/** Validates a store file (openapi/store.schema.yaml), closed to unknown keys. */
export declare const validateStoreDocument: Validator<storeComponents['schemas']['StoreDocument']>;
/** Validates DPS settings (openapi/dps-settings.schema.yaml), closed to unknown top-level keys. */
export declare const validateDpsSettings: Validator<dpsSettingsComponents['schemas']['DpsSettings']>;
${queryDecls}

/** Each operation's query validator, by operationId. */
export declare const queryValidators: {
  readonly [Op in OperationId]: Validator<NonNullable<operations[Op]['parameters']['query']>>;
};
`;
  return { js, dts };
}
