import assert from 'node:assert/strict';
import { hostName, isLoopbackName, normaliseAllowedHost } from '../../src/endpoint/host-names.js';

describe('host names', () => {
  it('takes the name of a Host header: lower case, without port, brackets or final dot', () => {
    const cases: [string, string | undefined][] = [
      ['LocalHost:9999', 'localhost'],
      ['localhost.', 'localhost'],
      ['127.0.0.1:80', '127.0.0.1'],
      ['[::1]:9999', '::1'],
      ['[::1]', '::1'],
      ['edge.local', 'edge.local'],
      ['2f72756e2f782e736f636b:0', '2f72756e2f782e736f636b'],
      ['evil.example:99999999', undefined],
      ['a b', undefined],
      ['user@evil.example', undefined],
      ['', undefined],
    ];
    for (const [host, name] of cases) {
      assert.equal(hostName(host), name, host);
    }
  });

  it('knows loopback names: localhost, 127.0.0.0/8, ::1', () => {
    for (const name of ['localhost', '127.0.0.1', '127.255.255.255', '::1']) assert.equal(isLoopbackName(name), true, name);
    for (const name of ['127.0.0.256', '127.0.0', '127.0.0.1.evil.example', 'localhost.evil.example', '::2', '0.0.0.0'])
      assert.equal(isLoopbackName(name), false, name);
  });

  it('normalises allowed hosts and refuses ports, schemes and paths', () => {
    assert.equal(normaliseAllowedHost('Edge.Local.'), 'edge.local');
    assert.equal(normaliseAllowedHost('[FD00::1]'), 'fd00::1');
    assert.equal(normaliseAllowedHost('fd00::1'), 'fd00::1');
    assert.equal(normaliseAllowedHost('10.0.0.5'), '10.0.0.5');
    for (const bad of ['edge.local:80', 'http://edge.local', 'edge.local/x', '', '.']) assert.equal(normaliseAllowedHost(bad), undefined, bad);
  });
});
