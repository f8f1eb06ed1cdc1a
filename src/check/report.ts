/**
 * Renders a CheckReport: lines for people (the default) or one JSON document for CI
 * (`--json`). Unless secrets are shown on purpose, the endpoint's answer is masked
 * (contract/mask.ts) and every reason and note passes through redactSecrets: reasons
 * quote error messages of endpoints xprov does not control.
 */
import type { RawAnswer } from '../client/transport.js';
import { maskJson } from '../contract/mask.js';
import { redactSecrets } from '../redact.js';
import type { CheckReport, CheckResult } from './checks.js';

/** How to render. */
export interface RenderOptions {
  readonly showSecrets: boolean;
}

/** How many checks passed, warned, failed and were skipped. */
export function counts(results: readonly CheckResult[]): { passed: number; warned: number; failed: number; skipped: number } {
  const count = (outcome: CheckResult['outcome']): number => results.filter((r) => r.outcome === outcome).length;
  return { passed: count('pass'), warned: count('warn'), failed: count('fail'), skipped: count('skip') };
}

/** The body for display: parsed JSON (masked), else the text (redacted). */
function displayBody(answer: RawAnswer, options: RenderOptions): unknown {
  const text = answer.body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  return options.showSecrets ? value : maskJson(value);
}

/** `text` as the report shows it: redacted unless secrets are shown on purpose. */
export function visible(text: string, options: RenderOptions): string {
  return options.showSecrets ? text : redactSecrets(text);
}

/**
 * The report as JSON: `{ endpoint, ok, strict, summary: {passed, warned, failed,
 * skipped}, checks: [{id, title, kind, outcome, reasons, notes}], answer: {status,
 * contentType, body} | null }`; kind is fatal or deviation, outcome pass, warn, fail or skip.
 */
export function renderJson(report: CheckReport, options: RenderOptions): string {
  const document = {
    endpoint: report.endpoint,
    ok: report.ok,
    strict: report.strict,
    summary: counts(report.results),
    checks: report.results.map((r) => ({
      id: r.id,
      title: r.title,
      kind: r.kind,
      outcome: r.outcome,
      reasons: r.reasons.map((reason) => visible(reason, options)),
      notes: r.notes.map((note) => visible(note, options)),
    })),
    answer:
      report.answer === undefined
        ? null
        : { status: report.answer.status, contentType: report.answer.headers['content-type'] ?? null, body: displayBody(report.answer, options) },
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

const LABEL = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' } as const;

/** The report as lines: one per check, its reasons and notes indented below it, then the counts. */
export function renderText(report: CheckReport, options: RenderOptions): string {
  const width = Math.max(...report.results.map((r) => r.id.length));
  const lines = [`xprov check ${report.endpoint}`];
  for (const r of report.results) {
    lines.push(`${LABEL[r.outcome]}  ${r.id.padEnd(width)}  ${r.title}`);
    for (const reason of r.reasons) {
      lines.push(`      - ${visible(reason, options)}`);
    }
    for (const note of r.notes) {
      lines.push(`      note: ${visible(note, options)}`);
    }
  }
  const { passed, warned, failed, skipped } = counts(report.results);
  lines.push(`${passed} passed, ${warned} warned, ${failed} failed, ${skipped} skipped`);
  if (warned > 0) {
    lines.push("WARN: the spec says otherwise, but IoT Edge's daemon copes (--strict fails on these too)");
  } else if (report.strict && report.results.some((r) => r.outcome === 'fail' && r.kind === 'deviation')) {
    lines.push("--strict: a deviation fails too (the spec says otherwise, but IoT Edge's daemon copes)");
  }
  return `${lines.join('\n')}\n`;
}
