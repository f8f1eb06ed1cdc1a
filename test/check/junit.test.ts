import assert from 'node:assert/strict';
import type { CheckReport } from '../../src/check/checks.js';
import { renderJunit } from '../../src/check/junit.js';
import { parseXml } from '../support/xml.js';

const KEY = 'eHByb3YtZXhhbXBsZS1rZXktTk9ULUEtU0VDUkVUISE=';

const report: CheckReport = {
  endpoint: 'http://127.0.0.1:9999',
  strict: false,
  ok: false,
  results: [
    { id: 'get.status', title: 'answers 2xx', kind: 'fatal', outcome: 'fail', reasons: [`answered 503: <b>"bad" & key=${KEY}`, 'second'], notes: [] },
    { id: 'get.daemon', title: 'provisions', kind: 'fatal', outcome: 'pass', reasons: [], notes: ['the daemon ignores unknown fields: x'] },
    { id: 'errors.api-version', title: 'without api-version: 400', kind: 'deviation', outcome: 'warn', reasons: ['answered 200, expected 400'], notes: [] },
    { id: 'errors.unknown-path', title: 'an unknown path: 404', kind: 'deviation', outcome: 'pass', reasons: [], notes: [] },
    { id: 'reprovision.post', title: 'POST', kind: 'deviation', outcome: 'skip', reasons: ['not run: pass --reprovision'], notes: [] },
  ],
  answer: undefined,
};

describe('the JUnit report of xprov check', () => {
  it('has one testcase per check: failure for a failed one, system-out for a warning or notes, skipped for one not run; escaped and masked', () => {
    assert.equal(
      renderJunit(report, { showSecrets: false }),
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="xprov check" tests="5" failures="1" errors="0" skipped="1">',
        '  <testsuite name="xprov check http://127.0.0.1:9999" tests="5" failures="1" errors="0" skipped="1">',
        '    <properties>',
        '      <property name="strict" value="false"/>',
        '    </properties>',
        '    <testcase classname="xprov-check.fatal" name="get.status: answers 2xx">',
        '      <failure message="answered 503: &lt;b&gt;&quot;bad&quot; &amp; key=[redacted]" type="fatal">- answered 503: &lt;b&gt;"bad" &amp; key=[redacted]',
        '- second</failure>',
        '    </testcase>',
        '    <testcase classname="xprov-check.fatal" name="get.daemon: provisions">',
        '      <system-out>note: the daemon ignores unknown fields: x</system-out>',
        '    </testcase>',
        '    <testcase classname="xprov-check.deviation" name="errors.api-version: without api-version: 400">',
        "      <system-out>WARN (a deviation: the spec says otherwise, but IoT Edge's daemon copes; --strict fails on it)",
        '- answered 200, expected 400</system-out>',
        '    </testcase>',
        '    <testcase classname="xprov-check.deviation" name="errors.unknown-path: an unknown path: 404"/>',
        '    <testcase classname="xprov-check.deviation" name="reprovision.post: POST">',
        '      <skipped message="not run: pass --reprovision"/>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });

  it('is well-formed XML whatever the endpoint put in its messages, which read back as sent', () => {
    const hostile = `a\u0000b\u001bc]]></failure><x y="1"/>&amp;\ud800 \n\t"'`;
    const shown = { ...report, results: [{ ...report.results[0]!, reasons: [hostile] }] };
    const root = parseXml(renderJunit(shown, { showSecrets: true }));
    const failure = root.children[0]!.children[1]!.children[0]!;
    assert.equal(failure.name, 'failure');
    // Attribute values keep their line breaks as references; what XML cannot carry becomes U+FFFD.
    assert.equal(failure.attributes.message, `a\ufffdb\ufffdc]]></failure><x y="1"/>&amp;\ufffd \n\t"'`);
    assert.equal(failure.text, `- a\ufffdb\ufffdc]]></failure><x y="1"/>&amp;\ufffd \n\t"'`);
  });

  it('shows secrets only when asked, as the readable report does', () => {
    assert.equal(renderJunit(report, { showSecrets: false }).includes(KEY), false);
    assert.ok(renderJunit(report, { showSecrets: true }).includes(`key=${KEY}`));
  });
});
