/**
 * Parses and checks a store document: YAML or JSON text in the store file format
 * (openapi/store.schema.yaml: DeviceProvisioningInfo, where the X.509 identity may be
 * PEM file references). Checked with the precompiled validator generated from that
 * schema (closed to unknown keys, to catch typos) and with the rules about file
 * references the schema cannot state clearly. What is then served is decided by
 * resolve-document.ts. Problems name fields and positions, never values or excerpts.
 */
import { validateStoreDocument } from '../../generated/validators.js';
import { type Locate, schemaMessages } from '../contract/schema-messages.js';
import type { StoreCredentials, StoreDocument } from '../contract/types.js';
import { parseYamlStrict } from '../yaml-text.js';

/** The checked document, or every problem found. */
export type ParsedStore = { readonly ok: true; readonly doc: StoreDocument } | { readonly ok: false; readonly problems: readonly string[] };

/** Each inline identity field and its file twin. */
export const FILE_FIELDS = [
  ['identityCert', 'identityCertFile'],
  ['identityPrivateKey', 'identityPrivateKeyFile'],
] as const;

/**
 * Parses `text` (YAML 1.2, which includes JSON) and checks it. Duplicate keys are
 * refused: they would make what is served ambiguous.
 */
export function parseStoreDocument(text: string): ParsedStore {
  const parsed = parseYamlStrict(text);
  return parsed.ok ? checkStoreValue(parsed.value, parsed.locate) : parsed;
}

/**
 * Checks an already parsed value (a store file's, or one assembled from a credentials
 * directory); `locate` finds fields in the text it was parsed from, for messages.
 */
export function checkStoreValue(value: unknown, locate?: Locate): ParsedStore {
  if (!validateStoreDocument(value)) {
    return { ok: false, problems: schemaMessages(validateStoreDocument.errors ?? [], locate) };
  }
  const problems = [...nameProblems(value, locate), ...fileReferenceProblems(value.credentials)];
  return problems.length > 0 ? { ok: false, problems } : { ok: true, doc: value };
}

/** Whitespace and control characters: in no host name or device id. */
const NOT_IN_NAMES = /[\s\p{Cc}]/u;

/**
 * The names are served and logged as they are, so they must be names: a YAML line
 * that continues the value (a key with a lost colon, a secret pasted below it) folds
 * into it with a space, and would put that text into every `store loaded` line.
 */
function nameProblems(doc: StoreDocument, locate: Locate | undefined): string[] {
  const problems: string[] = [];
  for (const field of ['hubName', 'deviceId'] as const) {
    if (NOT_IN_NAMES.test(doc[field])) {
      const position = locate?.([field], 'value');
      const at = position === undefined ? '' : ` (line ${position.line}, column ${position.col})`;
      problems.push(`${field} must not contain spaces, line breaks or control characters${at}`);
    }
  }
  return problems;
}

function fileReferenceProblems(credentials: StoreCredentials): string[] {
  const problems: string[] = [];
  for (const [field, fileField] of FILE_FIELDS) {
    if (credentials[fileField] === undefined) {
      continue;
    }
    if (credentials.authType !== 'x509' || credentials.source !== 'payload') {
      // With source hsm the fields are references for the HSM library, not files to serve.
      problems.push(`credentials.${fileField} is only for authType x509 with source payload`);
    } else if (credentials[field] !== undefined) {
      problems.push(`credentials.${field} and credentials.${fileField} exclude each other: give one`);
    }
  }
  return problems;
}
