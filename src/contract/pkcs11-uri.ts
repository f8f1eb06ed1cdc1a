/**
 * PKCS#11 URIs (RFC 7512), the usual form of the HSM references served with
 * `source: hsm`: `pkcs11:token=edge;object=device-id;type=cert`. Only the syntax is
 * checked; what the device's HSM library makes of a well-formed URI is its business.
 * Problems name the attribute, never its value (a URI may carry a PIN), and an
 * attribute's name only when it looks like one (schema-messages.ts: isShownKey).
 */
import { isShownKey } from './schema-messages.js';

/** Attributes RFC 7512 defines for the path part; others must be vendor ones (`x-…`). */
const PATH_ATTRIBUTES = new Set([
  'token',
  'manufacturer',
  'serial',
  'model',
  'library-manufacturer',
  'library-description',
  'library-version',
  'object',
  'type',
  'id',
  'slot-description',
  'slot-manufacturer',
  'slot-id',
]);
/** Attributes RFC 7512 defines for the query part. */
const QUERY_ATTRIBUTES = new Set(['pin-source', 'pin-value', 'module-name', 'module-path']);
/** The attributes whose values are names, not secrets: shown in descriptions. */
export const PLAIN_ATTRIBUTES: ReadonlySet<string> = new Set([...PATH_ATTRIBUTES, 'pin-source', 'module-name', 'module-path']);
/** Values of `type`. */
export const PKCS11_OBJECT_TYPES = ['cert', 'data', 'private', 'public', 'secret-key'] as const;

// pk11-pchar plus what each part allows besides (RFC 7512, section 2.3).
const PATH_VALUE = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=&]|%[0-9A-Fa-f]{2})*$/;
const QUERY_VALUE = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|]|%[0-9A-Fa-f]{2})*$/;
const NAME = /^[A-Za-z0-9\-._]+$/;

/** A parsed URI: attribute values percent-decoded, by name. */
export interface Pkcs11Uri {
  readonly path: ReadonlyMap<string, string>;
  readonly query: ReadonlyMap<string, string>;
  /** Attribute names RFC 7512 does not define and that are not vendor ones (`x-…`): likely typos. */
  readonly unknown: readonly string[];
}

/** True when `text` claims to be a PKCS#11 URI (the scheme is case-insensitive). */
export function isPkcs11Uri(text: string): boolean {
  return /^pkcs11:/i.test(text);
}

/** An attribute's name for messages: itself when it looks like a name, else its length. */
export function describeAttributeName(name: string): string {
  return PATH_ATTRIBUTES.has(name) || QUERY_ATTRIBUTES.has(name) || isShownKey(name) ? name : `(a name of ${name.length} characters, not shown)`;
}

function parseAttributes(
  part: string,
  separator: string,
  value: RegExp,
  known: ReadonlySet<string>,
  where: string,
): { ok: true; attributes: Map<string, string>; unknown: string[] } | { ok: false; problem: string } {
  const attributes = new Map<string, string>();
  const unknown: string[] = [];
  if (part === '') {
    return { ok: true, attributes, unknown };
  }
  for (const [index, attribute] of part.split(separator).entries()) {
    const eq = attribute.indexOf('=');
    const name = eq < 0 ? attribute : attribute.slice(0, eq);
    if (eq < 0 || !NAME.test(name)) {
      return { ok: false, problem: `${where} attribute ${index + 1} is not name=value` };
    }
    const raw = attribute.slice(eq + 1);
    if (!value.test(raw)) {
      return { ok: false, problem: `${where} attribute ${describeAttributeName(name)} has characters that must be percent-encoded, or a bad %-escape` };
    }
    if (attributes.has(name)) {
      return { ok: false, problem: `${where} attribute ${describeAttributeName(name)} is given twice` };
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // A well-formed escape of bytes that are not UTF-8 (an id, say): keep it as written.
      decoded = raw;
    }
    attributes.set(name, decoded);
    if (!known.has(name) && !name.startsWith('x-')) {
      unknown.push(name);
    }
  }
  return { ok: true, attributes, unknown };
}

/** Parses `text` as a PKCS#11 URI. */
export function parsePkcs11Uri(text: string): { readonly ok: true; readonly uri: Pkcs11Uri } | { readonly ok: false; readonly problem: string } {
  if (!isPkcs11Uri(text)) {
    return { ok: false, problem: 'does not start with pkcs11:' };
  }
  const rest = text.slice('pkcs11:'.length);
  const q = rest.indexOf('?');
  const path = parseAttributes(q < 0 ? rest : rest.slice(0, q), ';', PATH_VALUE, PATH_ATTRIBUTES, 'path');
  if (!path.ok) return path;
  const query = parseAttributes(q < 0 ? '' : rest.slice(q + 1), '&', QUERY_VALUE, QUERY_ATTRIBUTES, 'query');
  if (!query.ok) return query;
  const type = path.attributes.get('type');
  if (type !== undefined && !(PKCS11_OBJECT_TYPES as readonly string[]).includes(type)) {
    return { ok: false, problem: `type must be one of: ${PKCS11_OBJECT_TYPES.join(', ')}` };
  }
  const slotId = path.attributes.get('slot-id');
  if (slotId !== undefined && !/^\d+$/.test(slotId)) {
    return { ok: false, problem: 'slot-id must be a decimal number' };
  }
  if (query.attributes.has('pin-source') && query.attributes.has('pin-value')) {
    return { ok: false, problem: 'pin-source and pin-value exclude each other' };
  }
  return { ok: true, uri: { path: path.attributes, query: query.attributes, unknown: [...path.unknown, ...query.unknown] } };
}
