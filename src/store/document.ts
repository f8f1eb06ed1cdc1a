/**
 * Parses and checks a store document: YAML or JSON text in the store file format
 * (openapi/store.schema.yaml: DeviceProvisioningInfo, where the X.509 identity may be
 * PEM file references). Checked with the precompiled validator generated from that
 * schema (closed to unknown keys, to catch typos) and with the rules about file
 * references the schema cannot state clearly. What is then served is decided by
 * resolve-document.ts. Problems name fields and positions, never values or excerpts.
 */
import { validateStoreDocument } from '../../generated/validators.js';
import { schemaMessages } from '../contract/schema-messages.js';
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
  return parsed.ok ? checkStoreValue(parsed.value) : parsed;
}

/** Checks an already parsed value (a store file's, or one assembled from a credentials directory). */
export function checkStoreValue(value: unknown): ParsedStore {
  if (!validateStoreDocument(value)) {
    return { ok: false, problems: schemaMessages(validateStoreDocument.errors ?? []) };
  }
  const problems = fileReferenceProblems(value.credentials);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, doc: value };
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
