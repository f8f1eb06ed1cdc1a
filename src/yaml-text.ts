/**
 * Strict YAML (1.2, which includes JSON) parsing for files operators write: the store
 * document and the config file. Duplicate keys and alias bombs are refused. Problems
 * carry the error code and position only: yaml's own messages quote the offending
 * line, which in a store file may hold a key.
 */
import { type Document, LineCounter, isMap, isScalar, parseDocument } from 'yaml';

/** At most this many alias expansions (a provisioning file needs none). */
const MAX_ALIAS_COUNT = 16;

/** A position in the text, 1-based. */
export interface YamlPosition {
  readonly line: number;
  readonly col: number;
}

/** Where the key (or the value) at `path` of mappings is in the text; undefined when there is none. */
export type YamlLocate = (path: readonly string[], part: 'key' | 'value') => YamlPosition | undefined;

/** The parsed value (and a way to find its fields in the text), or every problem found. */
export type YamlResult =
  | { readonly ok: true; readonly value: unknown; readonly locate: YamlLocate }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Parses `text`; never throws. */
export function parseYamlStrict(text: string): YamlResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((err) => {
        const at = lineCounter.linePos(err.pos[0]);
        return `not valid YAML/JSON (${err.code} at line ${at.line}, column ${at.col})`;
      }),
    };
  }
  try {
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    return { ok: true, value, locate: (path, part) => locate(doc, lineCounter, path, part) };
  } catch {
    return { ok: false, problems: ['not valid YAML/JSON (aliases expand too far)'] };
  }
}

/** Walks mappings along `path` by their scalar keys, as toJS names them. */
function locate(doc: Document, lineCounter: LineCounter, path: readonly string[], part: 'key' | 'value'): YamlPosition | undefined {
  let node: unknown = doc.contents;
  for (const [index, key] of path.entries()) {
    if (!isMap(node)) {
      return undefined;
    }
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    if (pair === undefined) {
      return undefined;
    }
    node = index === path.length - 1 && part === 'key' ? pair.key : pair.value;
  }
  const range = (node as { range?: readonly number[] } | null | undefined)?.range;
  return range === undefined ? undefined : lineCounter.linePos(range[0] ?? 0);
}
