import assert from 'node:assert/strict';
import type { CheckReport } from '../../src/check/checks.js';
import { renderJson, renderText } from '../../src/check/report.js';

const KEY = 'eHByb3YtZXhhbXBsZS1rZXktTk9ULUEtU0VDUkVUISE=';

const report: CheckReport = {
  endpoint: 'unix:///run/x.sock',
  ok: false,
  results: [
    { id: 'get.status', title: 'answers 2xx', outcome: 'fail', reasons: [`answered 503: bad key=${KEY}`], notes: [] },
    { id: 'get.daemon', title: 'the daemon would provision with it', outcome: 'pass', reasons: [], notes: ['the daemon ignores unknown fields: x'] },
    { id: 'reprovision.post', title: 'POST answers 2xx', outcome: 'skip', reasons: ['not run'], notes: [] },
  ],
  answer: { status: 503, headers: { 'content-type': 'text/plain' }, body: Buffer.from(`bad key=${KEY}`) },
};

describe('check reports', () => {
  it('render for people: a line per check, reasons and notes below, the counts; secrets redacted', () => {
    assert.equal(
      renderText(report, { showSecrets: false }),
      [
        'xprov check unix:///run/x.sock',
        'FAIL  get.status        answers 2xx',
        '      - answered 503: bad key=[redacted]',
        'PASS  get.daemon        the daemon would provision with it',
        '      note: the daemon ignores unknown fields: x',
        'SKIP  reprovision.post  POST answers 2xx',
        '      - not run',
        '1 passed, 1 failed, 1 skipped',
        '',
      ].join('\n'),
    );
    assert.ok(renderText(report, { showSecrets: true }).includes(`bad key=${KEY}`));
  });

  it('render as one JSON document for CI, the answer included and masked', () => {
    const masked = JSON.parse(renderJson(report, { showSecrets: false })) as Record<string, unknown>;
    assert.deepEqual(masked.summary, { passed: 1, failed: 1, skipped: 1 });
    assert.deepEqual(masked.answer, { status: 503, contentType: 'text/plain', body: 'bad key=[redacted]' });
    assert.equal(JSON.stringify(masked).includes(KEY), false);
    const shown = JSON.parse(renderJson(report, { showSecrets: true })) as { answer: { body: string } };
    assert.equal(shown.answer.body, `bad key=${KEY}`);
  });
});
