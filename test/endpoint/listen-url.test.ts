import assert from 'node:assert/strict';
import { describeListener, isLoopbackHost, parseListenUrl } from '../../src/endpoint/endpoint-url.js';

describe('listen URLs', () => {
  it('parses the daemon endpoint syntax into tagged listeners', () => {
    assert.deepEqual(parseListenUrl('unix:///var/run/external/external.sock', false), { kind: 'unix', path: '/var/run/external/external.sock' });
    assert.deepEqual(parseListenUrl('unix:///tmp/with%20space.sock', false), { kind: 'unix', path: '/tmp/with space.sock' });
    assert.deepEqual(parseListenUrl('http://localhost:9999', false), { kind: 'tcp', host: 'localhost', port: 9999 });
    assert.deepEqual(parseListenUrl('http://[::1]:9999/', false), { kind: 'tcp', host: '::1', port: 9999 });
    assert.deepEqual(parseListenUrl('http://127.0.0.1', false), { kind: 'tcp', host: '127.0.0.1', port: 80 });
    assert.deepEqual(parseListenUrl('fd://xprov', false), { kind: 'systemd', name: 'xprov' });
    assert.deepEqual(parseListenUrl('fd://', false), { kind: 'systemd' });
  });

  it('knows loopback from remote', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1']) {
      assert.equal(isLoopbackHost(host), true, host);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1', '127.0.0.256', 'localhost.example.com']) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });

  it('describes listeners as the URLs they came from', () => {
    for (const url of ['unix:///run/x.sock', 'http://127.0.0.1:9999', 'http://[::1]:80', 'fd://xprov']) {
      assert.equal(describeListener(parseListenUrl(url, false)), url);
    }
  });
});
