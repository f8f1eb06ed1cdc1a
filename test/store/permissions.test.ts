import assert from 'node:assert/strict';
import { permissionProblem } from '../../src/store/permissions.js';

describe('store file permissions', () => {
  it('allow owner-only and group-readable files, and certificates readable by all', () => {
    for (const mode of [0o600, 0o400, 0o640, 0o440, 0o100600]) {
      assert.equal(permissionProblem('/f', mode, 'secret'), undefined, mode.toString(8));
    }
    assert.equal(permissionProblem('/f', 0o644, 'public'), undefined);
  });

  it('name every loose bit and the chmod that removes exactly those', () => {
    assert.equal(permissionProblem('/etc/xprov/p.yaml', 0o100644, 'secret'), 'has mode 0644 (readable by others); fix: chmod o-r /etc/xprov/p.yaml');
    assert.equal(permissionProblem('/f', 0o660, 'secret'), 'has mode 0660 (writable by group); fix: chmod g-w /f');
    assert.equal(permissionProblem('/f', 0o602, 'secret'), 'has mode 0602 (writable by others); fix: chmod o-w /f');
    assert.equal(permissionProblem('/f', 0o777, 'secret'), 'has mode 0777 (readable by others, writable by group, writable by others); fix: chmod g-w,o-rw /f');
    assert.equal(permissionProblem('/f', 0o666, 'public'), 'has mode 0666 (writable by group, writable by others); fix: chmod g-w,o-w /f');
  });

  it('quote a path the shell would split', () => {
    assert.equal(permissionProblem("/my store/it's.yaml", 0o604, 'secret'), `has mode 0604 (readable by others); fix: chmod o-r '/my store/it'\\''s.yaml'`);
  });
});
