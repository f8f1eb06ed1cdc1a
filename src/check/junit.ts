/**
 * The report of `xprov check` as JUnit XML (`--junit FILE`), for CI viewers: one
 * testcase per check. A failed check (fatal, or a deviation under `--strict`) is a
 * `<failure>`; a skipped one is `<skipped>`; a deviation without `--strict` passes,
 * with its warning in `<system-out>` (a `<skipped>` would hide it among the checks
 * that did not run, and viewers show a passing case's output on demand). Reasons and
 * notes are masked exactly as in the readable report (report.ts's `visible`).
 */
import { writeFileAtomic } from '../files/atomic-write.js';
import type { CheckReport, CheckResult } from './checks.js';
import { type RenderOptions, counts, visible } from './report.js';

/** Whether XML 1.0 can carry the code point at all, even escaped (its Char production). */
function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || code >= 0x10000;
}

/** `text` as XML character data; what XML cannot carry (an endpoint's message may hold it: controls, lone surrogates) becomes U+FFFD. */
function escapeText(text: string): string {
  let carried = '';
  // for...of walks code points; a lone surrogate comes alone, and is not a Char.
  for (const char of text) {
    carried += isXmlChar(char.codePointAt(0) ?? 0) ? char : '\uFFFD';
  }
  return carried.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `text` as a double-quoted attribute value; line breaks kept as references (a parser would normalise them to spaces). */
function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${escapeAttribute(String(value))}"`)
    .join('');
}

/** The lines of a check's reasons and notes, as the readable report words them. */
function detail(r: CheckResult, options: RenderOptions): string[] {
  return [...r.reasons.map((reason) => `- ${visible(reason, options)}`), ...r.notes.map((note) => `note: ${visible(note, options)}`)];
}

function testcase(r: CheckResult, options: RenderOptions): string {
  const open = `    <testcase${attributes({ classname: `xprov-check.${r.kind}`, name: `${r.id}: ${r.title}` })}`;
  const lines = detail(r, options);
  const first = r.reasons[0] === undefined ? '' : visible(r.reasons[0], options);
  switch (r.outcome) {
    case 'fail':
      return `${open}>\n      <failure${attributes({ message: first, type: r.kind })}>${escapeText(lines.join('\n'))}</failure>\n    </testcase>`;
    case 'skip':
      return `${open}>\n      <skipped${attributes({ message: first })}/>\n    </testcase>`;
    case 'warn':
      return `${open}>\n      <system-out>${escapeText([`WARN (a deviation: the spec says otherwise, but IoT Edge's daemon copes; --strict fails on it)`, ...lines].join('\n'))}</system-out>\n    </testcase>`;
    case 'pass':
      return lines.length === 0 ? `${open}/>` : `${open}>\n      <system-out>${escapeText(lines.join('\n'))}</system-out>\n    </testcase>`;
  }
}

/** The report as a JUnit XML document. */
export function renderJunit(report: CheckReport, options: RenderOptions): string {
  const { failed, skipped } = counts(report.results);
  const totals = { tests: report.results.length, failures: failed, errors: 0, skipped };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: 'xprov check', ...totals })}>`,
    `  <testsuite${attributes({ name: `xprov check ${report.endpoint}`, ...totals })}>`,
    `    <properties>\n      <property${attributes({ name: 'strict', value: String(report.strict) })}/>\n    </properties>`,
    ...report.results.map((r) => testcase(r, options)),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/**
 * Writes the JUnit report to `file` by a temporary file renamed over it, so that a CI
 * step never reads half a report. Owner-only when it shows secrets.
 */
export async function writeJunit(file: string, report: CheckReport, options: RenderOptions): Promise<void> {
  await writeFileAtomic(file, renderJunit(report, options), { mode: options.showSecrets ? 0o600 : 0o644, backup: false });
}
