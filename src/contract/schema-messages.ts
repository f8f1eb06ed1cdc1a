/**
 * Turns validator failures into short, human messages that name the field and the
 * rule. ajv's own messages are fine but are keyed by JSON pointer; operators editing a
 * YAML file think in dotted paths. Values are never quoted: they may be secrets.
 */
import type { ValidationError } from '../../generated/validators.js';

function dotted(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function join(parent: string, child: string): string {
  return parent === '' ? child : `${parent}.${child}`;
}

/** One message per failure, e.g. `credentials.authType must be one of: symmetric-key, x509`. */
export function schemaMessages(errors: readonly ValidationError[]): string[] {
  return errors.map((err) => {
    const where = dotted(err.instancePath);
    const subject = where === '' ? 'the document' : where;
    switch (err.keyword) {
      case 'required':
        return `${join(where, String(err.params.missingProperty))} is required`;
      case 'additionalProperties':
        return `${join(where, String(err.params.additionalProperty))} is not a known field`;
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
