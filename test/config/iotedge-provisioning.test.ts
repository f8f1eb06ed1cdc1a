import assert from 'node:assert/strict';
import YAML from 'yaml';
import { daemonEndpoint, provisioningBlock } from '../../src/config/iotedge-provisioning.js';
import { ConfigError } from '../../src/errors.js';

describe("IoT Edge's provisioning block", () => {
  it('points at the first Unix socket, else a passed socket, else TCP', () => {
    const tcp = { kind: 'tcp', host: '127.0.0.1', port: 9999 } as const;
    assert.equal(daemonEndpoint([tcp, { kind: 'unix', path: '/run/a.sock' }, { kind: 'unix', path: '/run/b.sock' }], undefined), 'unix:///run/a.sock');
    assert.equal(daemonEndpoint([tcp, { kind: 'systemd', name: 'xprov' }], '/run/external/external.sock'), 'unix:///run/external/external.sock');
    assert.equal(daemonEndpoint([tcp], undefined), 'http://127.0.0.1:9999');
  });

  it('turns wildcard addresses into loopback: the daemon runs on the same machine', () => {
    assert.equal(daemonEndpoint([{ kind: 'tcp', host: '0.0.0.0', port: 1 }], undefined), 'http://127.0.0.1:1');
    assert.equal(daemonEndpoint([{ kind: 'tcp', host: '::', port: 1 }], undefined), 'http://[::1]:1');
    assert.equal(daemonEndpoint([{ kind: 'tcp', host: 'localhost', port: 1 }], undefined), 'http://localhost:1');
  });

  it('needs the path of a socket systemd passes', () => {
    assert.throws(
      () => daemonEndpoint([{ kind: 'systemd', name: 'xprov' }], undefined),
      (err: unknown) => err instanceof ConfigError && /^fd:\/\/xprov is a socket systemd creates .* --socket-path/.test(err.message),
    );
    assert.throws(() => daemonEndpoint([{ kind: 'systemd' }], 'run/x.sock'), /--socket-path must be an absolute path/);
  });

  it('is YAML with exactly the keys IoT Edge reads', () => {
    const weird = 'unix:///run/a "quoted" \\ path.sock';
    assert.deepEqual(YAML.parse(provisioningBlock(weird)), { provisioning: { source: 'external', endpoint: weird, dynamic_reprovisioning: true } });
  });
});
