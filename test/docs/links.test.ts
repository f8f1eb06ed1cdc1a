import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brokenLinks, headingAnchors, slug } from '../support/doc-links.js';
import { repoRoot } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

/** The documents people read: the README, CONTRIBUTING.md and everything in docs/. */
function documents(): string[] {
  const docs = readdirSync(path.join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join('docs', name));
  return ['README.md', 'CONTRIBUTING.md', ...docs];
}

describe('docs links', () => {
  it('every relative link and anchor in README.md, CONTRIBUTING.md and docs/*.md resolves', () => {
    const files = documents();
    assert.ok(files.length >= 10, `only ${files.length} documents found`);
    const broken = brokenLinks(repoRoot, files).map((b) => `${b.file}:${b.line}: ${b.target}: ${b.problem}`);
    assert.deepEqual(broken, []);
  });

  it('slugs headings as GitHub does', () => {
    assert.equal(slug('`xprov store`: writing, showing and checking the store'), 'xprov-store-writing-showing-and-checking-the-store');
    assert.equal(slug('With systemd: the device key encrypted at rest'), 'with-systemd-the-device-key-encrypted-at-rest');
    assert.equal(slug('The client library (`xprov/client`)'), 'the-client-library-xprovclient');
    assert.equal(slug('2a / 2b body_drain'), '2a--2b-body_drain');
    assert.deepEqual([...headingAnchors('# A\n## A\n```\n# not a heading\n```\n### A #\n')], ['a', 'a-1', 'a-2']);
  });

  it('finds a missing file, a missing anchor and a link out of the repository, and ignores code and URLs', () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'docs'));
    writeFileSync(path.join(root, 'docs', 'other.md'), '# Other\n\n## Real section\n');
    writeFileSync(
      path.join(root, 'README.md'),
      [
        '# Top',
        '[fine](docs/other.md#real-section) [fine too](#top) [dir](docs/) [web](https://example.com/x#y)',
        '[gone](docs/missing.md)',
        '[no anchor](docs/other.md#no-such-section)',
        '[no local anchor](#nowhere)',
        '[outside](../elsewhere.md)',
        '`[in code](docs/missing.md)`',
        '```',
        '[in a block](docs/missing.md)',
        '```',
      ].join('\n'),
    );
    assert.deepEqual(
      brokenLinks(root, ['README.md']).map((b) => [b.line, b.target, b.problem]),
      [
        [3, 'docs/missing.md', 'docs/missing.md does not exist'],
        [4, 'docs/other.md#no-such-section', 'docs/other.md has no heading #no-such-section'],
        [5, '#nowhere', 'README.md has no heading #nowhere'],
        [6, '../elsewhere.md', 'points outside the repository'],
      ],
    );
  });
});
