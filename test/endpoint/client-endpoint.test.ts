import assert from 'node:assert/strict';
import { daemonHostHeader, describeEndpoint, parseEndpoint } from '../../src/endpoint/endpoint-url.js';
import { EndpointSyntaxError } from '../../src/errors.js';

describe('client endpoints', () => {
  it("parses IoT Edge's endpoint syntax, any host included", () => {
    assert.deepEqual(parseEndpoint('unix:///var/run/external/external.sock'), { kind: 'unix', path: '/var/run/external/external.sock' });
    assert.deepEqual(parseEndpoint('unix:///run/with%20space.sock'), { kind: 'unix', path: '/run/with space.sock' });
    assert.deepEqual(parseEndpoint('http://localhost:9999'), { kind: 'tcp', host: 'localhost', port: 9999 });
    assert.deepEqual(parseEndpoint('http://10.1.2.3:9999/'), { kind: 'tcp', host: '10.1.2.3', port: 9999 });
    assert.deepEqual(parseEndpoint('http://[::1]:9999'), { kind: 'tcp', host: '::1', port: 9999 });
    assert.deepEqual(parseEndpoint('http://device'), { kind: 'tcp', host: 'device', port: 80 });
  });

  it('refuses anything else with the reason', () => {
    const cases: [string, RegExp][] = [
      ['localhost:9999', /has unsupported scheme localhost: \(expected unix:\/\/\/path\/to\.sock or http:\/\/host:port\)/],
      ['/run/x.sock', /is not a URL/],
      ['https://localhost:9999', /speaks plain HTTP only/],
      ['http://localhost:9999/prefix', /must not have a path: IoT Edge ignores it/],
      ['http://localhost:9999/?api-version=2019-04-10', /must not have a user, query or fragment/],
      ['unix://run/x.sock', /absolute socket path with no host/],
      ['unix:///run/', /absolute socket path with no host/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseEndpoint(text),
        (err: unknown) => err instanceof EndpointSyntaxError && message.test(err.message),
        text,
      );
    }
  });

  it('describes endpoints and builds the Host header the daemon sends', () => {
    assert.equal(describeEndpoint({ kind: 'tcp', host: '::1', port: 1 }), 'http://[::1]:1');
    assert.equal(describeEndpoint({ kind: 'unix', path: '/a.sock' }), 'unix:///a.sock');
    assert.equal(daemonHostHeader({ kind: 'unix', path: '/a.sock' }), '2f612e736f636b:0');
    assert.equal(daemonHostHeader({ kind: 'tcp', host: 'localhost', port: 9999 }), 'localhost:9999');
  });
});
