/**
 * Strict YAML (1.2, which includes JSON) parsing for files operators write: the store
 * document and the config file. Duplicate keys and alias bombs are refused. Problems
 * carry the error code and position only: yaml's own messages quote the offending
 * line, which in a store file may hold a key.
 */
import { LineCounter, parseDocument } from 'yaml';

/** At most this many alias expansions (a provisioning file needs none). */
const MAX_ALIAS_COUNT = 16;

/** The parsed value, or every problem found. */
export type YamlResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problems: readonly string[] };

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
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch {
    return { ok: false, problems: ['not valid YAML/JSON (aliases expand too far)'] };
  }
}
