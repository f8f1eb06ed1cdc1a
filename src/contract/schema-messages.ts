/**
 * Turns validator failures into short, human messages that name the field and the
 * rule. ajv's own messages are fine but are keyed by JSON pointer; operators editing a
 * YAML file think in dotted paths. Values are never quoted: they may be secrets.
 *
 * Keys are not quoted blindly either: an unknown key is text from the document, and a
 * typo turns a value into a key (`key:SECRET`, a missing space, is one plain scalar,
 * and in a flow mapping `{key:SECRET}` it is a key). A key is shown only when it looks
 * like a field name (describeKey); otherwise the message gives its length and, when
 * the caller can tell (locate), its line and column.
 */
import type { ValidationError } from '../../generated/validators.js';

/**
 * The keys shown in messages: what a field name, or a typo of one, looks like (the
 * schema's names are camelCase letters). No digits, `+`, `/`, `=`, `:`, spaces, and a
 * short length: random secrets (base64, hex) nearly always hold one of those, and a
 * value glued to its key (`key:SECRET`) always does.
 */
const SHOWN_KEY = /^[A-Za-z][A-Za-z_-]{0,23}$/;

/** A position in the document's text, 1-based. */
export interface TextPosition {
  readonly line: number;
  readonly col: number;
}

/**
 * Finds a field in the document's text: the key itself when `part` is `key`, else its
 * value; undefined when not known (the value was not parsed from text).
 */
export type Locate = (path: readonly string[], part: 'key' | 'value') => TextPosition | undefined;

/** True when `key` may appear in a message as it is (see SHOWN_KEY). */
export function isShownKey(key: string): boolean {
  return SHOWN_KEY.test(key);
}

/** `key` as messages name it: itself when it looks like a field name, else its length only. */
export function describeKey(key: string): string {
  return isShownKey(key) ? key : `(a field name of ${key.length} characters, not shown)`;
}

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function dotted(parts: readonly string[]): string {
  return parts.map(describeKey).join('.');
}

/**
 * One message per failure, e.g. `credentials.authType must be one of: symmetric-key,
 * x509`; unknown fields with their position when `locate` is given.
 */
export function schemaMessages(errors: readonly ValidationError[], locate?: Locate): string[] {
  return errors.map((err) => {
    const parts = segments(err.instancePath);
    const where = dotted(parts);
    const subject = where === '' ? 'the document' : where;
    switch (err.keyword) {
      case 'required':
        return `${dotted([...parts, String(err.params.missingProperty)])} is required`;
      case 'additionalProperties': {
        const key = String(err.params.additionalProperty);
        const position = locate?.([...parts, key], 'key');
        if (isShownKey(key)) {
          return `${dotted([...parts, key])} is not a known field${position === undefined ? '' : ` (line ${position.line}, column ${position.col})`}`;
        }
        const found = position === undefined ? '' : ` at line ${position.line}, column ${position.col}`;
        return `${subject} has an unknown field${found} (its name is not shown, ${key.length} characters: it may hold a value)`;
      }
      case 'enum':
        return `${subject} must be one of: ${(err.params.allowedValues as unknown[]).join(', ')}`;
      case 'type':
        return `${subject} must be ${err.params.type === 'object' ? 'an object' : `a ${String(err.params.type)}`}`;
      case 'minLength':
        return `${subject} must not be empty`;
      default:
        return `${subject} ${err.message ?? `fails ${err.keyword}`}`;
    }
  });
}
