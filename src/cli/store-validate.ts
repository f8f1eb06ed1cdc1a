/**
 * `xprov store validate`: loads the store exactly as `xprov serve` would and says
 * whether it would be served; exit code 1, with every reason, when it would not.
 */
import { parseArgs } from 'node:util';
import { loadSource } from '../store/store-source.js';
import { parseOrUsage } from './shared/parse-or-usage.js';
import { reportLines } from './shared/store-report.js';
import { TARGET_OPTIONS, TARGET_USAGE, storeSource, storeTarget } from './shared/store-target.js';
import type { CliIo } from './shared/io.js';

/** Usage of `xprov store validate`. */
export const VALIDATE_USAGE = `usage: xprov store validate [--store LOCATION | --config FILE] [--insecure-permissions]

Checks the store as xprov serve would (schema, PEM files, certificates, permissions,
the daemon's own rules) and prints what would be served or why not: exit code 0 when
it would be served, 1 when it would be refused.

${TARGET_USAGE}`;

/** Runs `xprov store validate`; resolves with the exit code. */
export async function storeValidate(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseOrUsage(() => parseArgs({ args: [...argv], options: TARGET_OPTIONS, strict: true, allowPositionals: false }));
  const source = storeSource(storeTarget(values, io));
  const outcome = await loadSource(source);
  const text = `${reportLines(source.label, outcome).join('\n')}\n`;
  if (!outcome.ok) {
    io.stderr.write(`xprov: ${text}`);
    return 1;
  }
  io.stdout.write(text);
  return 0;
}
