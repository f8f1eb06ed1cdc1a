/**
 * The shape of the DPS settings: checked by the validator generated from
 * openapi/dps-settings.schema.yaml, its first failure told with the message the
 * schema's `x-message` gives for that field (generated/dps-settings-messages.ts), e.g.
 * `registrationTimeoutMs must be a positive whole number`. One problem, as the
 * settings always reported: the operator fixes it and tries again.
 *
 * Messages name fields, never values. An unknown top-level key is text from the file,
 * and a typo glues a value to its key (`key:SECRET`): it is named only when it looks
 * like a name (isShownKey).
 */
import { DPS_SETTINGS_FIELDS, type DpsSettingsMessage, dpsSettingsMessages } from '../../generated/dps-settings-messages.js';
import type { components } from '../../generated/dps-settings-types.js';
import { type ValidationError, validateDpsSettings } from '../../generated/validators.js';
import { isShownKey } from '../contract/schema-messages.js';

/** A settings document of the right shape, before defaults, files and cross-field rules. */
export type DpsSettingsDocument = components['schemas']['DpsSettings'];

/** The document, or the one problem to report (without the `DPS settings FILE: ` prefix). */
export type CheckedDpsSettings = { readonly ok: true; readonly doc: DpsSettingsDocument } | { readonly ok: false; readonly problem: string };

/**
 * Schema path segments that only add a condition (`allOf/0`, `then`...): a field's
 * message is on its node in `properties`, and a conditional requirement (certFile with
 * x509) points into a condition. No setting is called `if`, `then` or `else`.
 */
const CONDITIONAL = /\/(?:allOf|anyOf|oneOf)\/\d+|\/(?:if|then|else)(?=\/|$)/g;

/** Checks the shape of a parsed settings document. */
export function checkDpsSettings(value: unknown): CheckedDpsSettings {
  if (validateDpsSettings(value)) return { ok: true, doc: value };
  return { ok: false, problem: firstProblem(validateDpsSettings.errors ?? []) };
}

function firstProblem(all: readonly ValidationError[]): string {
  // An `if` failure only says that its `then` failed, which has its own errors.
  const errors = all.filter((err) => err.keyword !== 'if');
  const unknown = errors.find((err) => err.keyword === 'additionalProperties' && err.instancePath === '');
  if (unknown !== undefined) {
    const key = String(unknown.params.additionalProperty);
    return `unknown setting ${isShownKey(key) ? JSON.stringify(key) : `(not shown: ${key.length} characters)`} (known: ${DPS_SETTINGS_FIELDS.join(', ')})`;
  }
  const first = errors[0];
  if (first === undefined) return 'is not valid';
  // Of the first field's failures the most general: `must be a non-empty string` before
  // the pattern a blank value fails too.
  const shortest = errors
    .filter((err) => err.instancePath === first.instancePath)
    .reduce((best, err) => (err.schemaPath.length < best.schemaPath.length ? err : best));
  return problemOf(shortest);
}

function problemOf(err: ValidationError): string {
  const parent = err.schemaPath.slice(0, err.schemaPath.lastIndexOf('/'));
  const instance = segments(err.instancePath);
  const missing = err.keyword === 'required' ? String(err.params.missingProperty) : undefined;
  const node = missing === undefined ? parent : `${parent}/properties/${missing}`;
  const fields = missing === undefined ? instance : [...instance, missing];
  const found = messageAt(node);
  if (found === undefined) return `${label(fields) || 'the document'} ${missing === undefined ? (err.message ?? `fails ${err.keyword}`) : 'is required'}`;
  const field = label(fields.slice(0, found.depth));
  return field === '' ? found.message : `${field} ${found.message}`;
}

/** The message of the schema node at `pointer`, or of its nearest ancestor that has one. */
function messageAt(pointer: string): DpsSettingsMessage | undefined {
  for (let p = pointer; p.length > 0; p = p.slice(0, p.lastIndexOf('/'))) {
    const found = dpsSettingsMessages[p] ?? dpsSettingsMessages[p.replace(CONDITIONAL, '')];
    if (found !== undefined) return found;
  }
  return undefined;
}

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `reprovisionHooks[0].argv`: the names are the schema's (only known fields get this far). */
function label(fields: readonly string[]): string {
  return fields.reduce((out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out === '' ? part : `${out}.${part}`), '');
}
