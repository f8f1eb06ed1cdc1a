import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { resolveGroup } from '../../src/server/group.js';
import { tempDir } from '../support/tmp.js';

describe('group resolution', () => {
  const groupFile = path.join(tempDir(), 'group');
  writeFileSync(groupFile, 'root:x:0:\niotedge:x:997:iotedge,xprov\nbroken:x:notanumber:\n');

  it('resolves names from the group file and passes gids through', () => {
    assert.equal(resolveGroup('iotedge', groupFile), 997);
    assert.equal(resolveGroup('root', groupFile), 0);
    assert.equal(resolveGroup('1234', groupFile), 1234);
  });

  it('refuses unknown groups and unreadable files as configuration errors (exit 2)', () => {
    assert.throws(
      () => resolveGroup('nobody-here', groupFile),
      (err: unknown) =>
        err instanceof ConfigError && /^socketGroup: unknown group "nobody-here" \(not in .*group; create it with groupadd, or give a gid\)$/.test(err.message),
    );
    assert.throws(() => resolveGroup('broken', groupFile), /unknown group "broken"/);
    assert.throws(
      () => resolveGroup('x', path.join(tempDir(), 'none')),
      (err: unknown) => err instanceof ConfigError && /is not readable/.test(err.message),
    );
  });
});
