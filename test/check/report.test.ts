import assert from 'node:assert/strict';
import type { CheckReport } from '../../src/check/checks.js';
import { renderJson, renderText } from '../../src/check/report.js';

const KEY = 'eHByb3YtZXhhbXBsZS1rZXktTk9ULUEtU0VDUkVUISE=';

const report: CheckReport = {
  endpoint: 'unix:///run/x.sock',
  strict: false,
  ok: false,
  results: [
    { id: 'get.status', title: 'answers 2xx', kind: 'fatal', outcome: 'fail', reasons: [`answered 503: bad key=${KEY}`], notes: [] },
    {
      id: 'get.daemon',
      title: 'the daemon would provision with it',
      kind: 'fatal',
      outcome: 'pass',
      reasons: [],
      notes: ['the daemon ignores unknown fields: x'],
    },
    { id: 'errors.api-version', title: 'without api-version: 400', kind: 'deviation', outcome: 'warn', reasons: ['answered 200, expected 400'], notes: [] },
    { id: 'reprovision.post', title: 'POST answers 2xx', kind: 'deviation', outcome: 'skip', reasons: ['not run'], notes: [] },
  ],
  answer: { status: 503, headers: { 'content-type': 'text/plain' }, body: Buffer.from(`bad key=${KEY}`) },
};

describe('check reports', () => {
  it('render for people: FAIL / WARN / PASS / SKIP per check, reasons and notes below, the counts; secrets redacted', () => {
    assert.equal(
      renderText(report, { showSecrets: false }),
      [
        'xprov check unix:///run/x.sock',
        'FAIL  get.status          answers 2xx',
        '      - answered 503: bad key=[redacted]',
        'PASS  get.daemon          the daemon would provision with it',
        '      note: the daemon ignores unknown fields: x',
        'WARN  errors.api-version  without api-version: 400',
        '      - answered 200, expected 400',
        'SKIP  reprovision.post    POST answers 2xx',
        '      - not run',
        '1 passed, 1 warned, 1 failed, 1 skipped',
        "WARN: the spec says otherwise, but IoT Edge's daemon copes (--strict fails on these too)",
        '',
      ].join('\n'),
    );
    assert.ok(renderText(report, { showSecrets: true }).includes(`bad key=${KEY}`));
  });

  it('say under --strict that a deviation failed the run', () => {
    const strict: CheckReport = {
      ...report,
      strict: true,
      results: report.results.map((r) => (r.outcome === 'warn' ? { ...r, outcome: 'fail' } : r)),
    };
    const lines = renderText(strict, { showSecrets: false }).split('\n');
    assert.equal(lines[5], 'FAIL  errors.api-version  without api-version: 400');
    assert.deepEqual(lines.slice(-3), [
      '1 passed, 0 warned, 2 failed, 1 skipped',
      "--strict: a deviation fails too (the spec says otherwise, but IoT Edge's daemon copes)",
      '',
    ]);
  });

  it('render as one JSON document for CI, with each kind, the answer included and masked', () => {
    const masked = JSON.parse(renderJson(report, { showSecrets: false })) as Record<string, unknown> & { checks: { kind: string; outcome: string }[] };
    assert.deepEqual(masked.summary, { passed: 1, warned: 1, failed: 1, skipped: 1 });
    assert.equal(masked.strict, false);
    assert.deepEqual(
      masked.checks.map((c) => [c.kind, c.outcome]),
      [
        ['fatal', 'fail'],
        ['fatal', 'pass'],
        ['deviation', 'warn'],
        ['deviation', 'skip'],
      ],
    );
    assert.deepEqual(masked.answer, { status: 503, contentType: 'text/plain', body: 'bad key=[redacted]' });
    assert.equal(JSON.stringify(masked).includes(KEY), false);
    const shown = JSON.parse(renderJson(report, { showSecrets: true })) as { answer: { body: string } };
    assert.equal(shown.answer.body, `bad key=${KEY}`);
  });
});
