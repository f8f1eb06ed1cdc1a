/**
 * What loading a store found, in words for `xprov store validate` and `show`: the
 * verdict, what would be served (names, never secrets), until when its certificates
 * are valid, and every note and warning.
 */
import { formatDate } from '../../contract/x509-checks.js';
import type { LoadOutcome } from '../../store/store-source.js';

/** The verdict on `label`'s store and the lines that explain it. */
export function reportLines(label: string, outcome: LoadOutcome): string[] {
  if (!outcome.ok) {
    return [`store ${label} would be refused:`, ...outcome.problems.map((p) => `  ${p}`)];
  }
  const { hubName, deviceId, credentials } = outcome.info;
  const lines = [`store ${label} is valid: device ${deviceId} on ${hubName}, ${credentials.authType} with source ${credentials.source}`];
  if (outcome.validity !== undefined) {
    lines.push(`  certificates valid until ${formatDate(outcome.validity.notAfter)} (${outcome.validity.notAfterOf})`);
  }
  lines.push(...outcome.notes.map((n) => `  ${n}`), ...outcome.warnings.map((w) => `  warning: ${w}`));
  return lines;
}
