/**
 * `xprov store show`: prints the store document (a store file, or the document a
 * credentials directory makes) as YAML with its secrets masked, followed by the
 * verdict `xprov store validate` would give, as comments. The values of unknown
 * fields are not shown (a misspelt `kye:` holds the key), nor are names that may be
 * values (maskJson).
 */
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { maskJson } from '../contract/mask.js';
import { loadSource } from '../store/store-source.js';
import { parseOrUsage } from './shared/parse-or-usage.js';
import { reportLines } from './shared/store-report.js';
import { TARGET_OPTIONS, TARGET_USAGE, storeSource, storeTarget } from './shared/store-target.js';
import type { CliIo } from './shared/io.js';

/** Usage of `xprov store show`. */
export const SHOW_USAGE = `usage: xprov store show [--store LOCATION | --config FILE] [--insecure-permissions]

Prints the store as YAML with its secrets masked (length and a short SHA-256
fingerprint, enough to compare two keys, never to use one), then, as comments, whether
xprov serve would serve it. Exit code 1 when the store cannot be read at all.

${TARGET_USAGE}`;

/** The fields of a store document (openapi/store.schema.yaml), top level and in `credentials`. */
const FIELDS = new Set(['hubName', 'deviceId', 'credentials', 'status', 'substatus']);
const CREDENTIAL_FIELDS = new Set(['authType', 'source', 'key', 'identityCert', 'identityPrivateKey', 'identityCertFile', 'identityPrivateKeyFile']);

/** Marks what an unknown field holds as not shown: a misspelt `key` holds the key. */
function hideUnknown(value: unknown, known: ReadonlySet<string>): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return value;
  }
  return Object.fromEntries(
    Object.entries(value).map(([name, field]) => [
      name,
      !known.has(name) ? '<not shown: not a known field>' : name === 'credentials' ? hideUnknown(field, CREDENTIAL_FIELDS) : field,
    ]),
  );
}

/** Runs `xprov store show`; resolves with the exit code. */
export async function storeShow(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseOrUsage(() => parseArgs({ args: [...argv], options: TARGET_OPTIONS, strict: true, allowPositionals: false }));
  const target = storeTarget(values, io);
  const source = storeSource(target);
  // Shown even when its permissions are too open (whoever can run this can read it);
  // the verdict below says whether serve would accept them.
  const read = await storeSource({ ...target, insecurePermissions: true }).read();
  if (!read.ok) {
    io.stderr.write(`xprov: store ${source.label}: ${read.problems.join('; ')}\n`);
    return 1;
  }
  const verdict = reportLines(source.label, await loadSource(source));
  io.stdout.write(
    `# store ${source.label}, secrets masked\n${YAML.stringify(maskJson(hideUnknown(read.value, FIELDS)))}${verdict.map((l) => `# ${l}\n`).join('')}`,
  );
  return 0;
}
