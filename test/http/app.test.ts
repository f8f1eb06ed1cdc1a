import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { type Socket, createConnection } from 'node:net';
import path from 'node:path';
import type { DeviceProvisioningInfo } from '../../src/contract/types.js';
import { BadRequestError, StoreUnavailableError } from '../../src/errors.js';
import { createApp } from '../../src/http/app.js';
import { MAX_QUERY_PARAMETERS, parseQueryString } from '../../src/http/query.js';
import { ProvisioningService } from '../../src/service.js';
import { FileStore } from '../../src/store/file-store.js';
import type { Store } from '../../src/store/store.js';
import { API_VERSION_QUERY, daemonRequest, parseLikeDaemon } from '../support/daemon-client.js';
import { type InProcessServer, serveInProcess } from '../support/in-process.js';
import { captureLog } from '../support/log-capture.js';
import { privateExample } from '../support/private-examples.js';
import { registerSecret } from '../support/secrets.js';
import { assertConformsToSpec } from '../support/spec.js';
import { tempDir } from '../support/tmp.js';

const SECRET_IN_CAUSE = 'HostName=h;DeviceId=d;SharedAccessKey=c2VjcmV0LWluLWEtY2F1c2U=';
registerSecret(SECRET_IN_CAUSE);

/** A store whose every call fails in a way no store may let escape (a bug). */
class BrokenStore implements Store {
  readonly description = 'broken';
  getProvisioningInfo(): Promise<DeviceProvisioningInfo> {
    return Promise.reject(new TypeError('boom', { cause: new Error(SECRET_IN_CAUSE) }));
  }
  reprovision(): Promise<void> {
    return Promise.reject(new RangeError('bang'));
  }
  async close(): Promise<void> {}
}

/** A store that is always unavailable. */
class UnavailableStore extends BrokenStore {
  override getProvisioningInfo(): Promise<DeviceProvisioningInfo> {
    return Promise.reject(new StoreUnavailableError('registration pending'));
  }
  override reprovision(): Promise<void> {
    return Promise.reject(new StoreUnavailableError('DPS unreachable'));
  }
}

function json(body: Buffer): unknown {
  return JSON.parse(body.toString('utf8'));
}

describe('HTTP app', () => {
  let server: InProcessServer;
  let store: FileStore;

  before(async () => {
    store = await FileStore.open(privateExample('symmetric-key-payload.yaml'), captureLog().log, { watch: false });
    server = await serveInProcess(store);
  });
  after(async () => {
    await server.close();
    await store.close();
  });

  it('serves GetDeviceProvisioningInformation to a daemon-like client (hex Host over a Unix socket)', async () => {
    const res = await daemonRequest(server.endpoint, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
    assert.equal(res.status, 200);
    assertConformsToSpec('GetDeviceProvisioningInformation', res);
    const info = parseLikeDaemon(res.body);
    assert.equal(info.hubName, 'example-hub.azure-devices.net');
    assert.equal(info.credentials.kind, 'symmetric-key-payload');
  });

  it('answers reprovision by POST and by GET with 200 and no body', async () => {
    for (const [method, operationId] of [
      ['POST', 'ReprovisionDevice'],
      ['GET', 'ReprovisionDeviceByGet'],
    ] as const) {
      const res = await daemonRequest(server.endpoint, method, `/device/reprovision${API_VERSION_QUERY}`);
      assert.equal(res.status, 200, method);
      assert.equal(res.headers['content-length'], '0');
      assert.equal(res.headers['content-type'], undefined);
      assertConformsToSpec(operationId, res);
    }
  });

  const errorCases: [string, string, string, Record<string, string>, number, string][] = [
    ['missing api-version', 'GET', '/device/provisioninginformation', {}, 400, 'missing required query parameter api-version (supported: 2019-04-10)'],
    ['empty query', 'GET', '/device/provisioninginformation?', {}, 400, 'missing required query parameter api-version (supported: 2019-04-10)'],
    ['unsupported api-version', 'GET', '/device/provisioninginformation?api-version=2020-07-07', {}, 400, 'unsupported api-version (supported: 2019-04-10)'],
    [
      'duplicated api-version',
      'POST',
      '/device/reprovision?api-version=2019-04-10&api-version=2019-04-10',
      {},
      400,
      'query parameter api-version must be given exactly once (supported: 2019-04-10)',
    ],
    ['unknown path', 'GET', `/device/provisioning${API_VERSION_QUERY}`, {}, 404, 'no such path: /device/provisioning'],
    ['trailing slash', 'GET', `/device/provisioninginformation/${API_VERSION_QUERY}`, {}, 404, 'no such path: /device/provisioninginformation/'],
    ['path prefix', 'GET', `/edge/device/provisioninginformation${API_VERSION_QUERY}`, {}, 404, 'no such path: /edge/device/provisioninginformation'],
    [
      'wrong method',
      'POST',
      `/device/provisioninginformation${API_VERSION_QUERY}`,
      {},
      405,
      'method POST is not allowed on /device/provisioninginformation; allowed: GET',
    ],
    ['HEAD', 'HEAD', `/device/provisioninginformation${API_VERSION_QUERY}`, {}, 405, ''],
    ['a chunked body', 'POST', `/device/reprovision${API_VERSION_QUERY}`, { 'transfer-encoding': 'chunked' }, 400, 'this operation takes no request body'],
  ];
  for (const [name, method, urlPath, headers, status, message] of errorCases) {
    it(`answers ${name} with ${status} and a spec-shaped error`, async () => {
      const res = await daemonRequest(server.endpoint, method, urlPath, headers);
      assert.equal(res.status, status);
      if (method === 'HEAD') {
        return;
      }
      assert.deepEqual(json(res.body), { message });
      const operationId = status === 400 ? (method === 'POST' ? 'ReprovisionDevice' : 'GetDeviceProvisioningInformation') : undefined;
      assertConformsToSpec(operationId, res);
    });
  }

  it('names the allowed methods in Allow on 405', async () => {
    const res = await daemonRequest(server.endpoint, 'DELETE', `/device/reprovision${API_VERSION_QUERY}`);
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET, POST');
  });

  it('refuses a request body before reading it and closes the connection', async () => {
    const res = await daemonRequest(server.endpoint, 'POST', `/device/reprovision${API_VERSION_QUERY}`, {}, Buffer.alloc(64 * 1024, 0x61));
    assert.equal(res.status, 400);
    assert.equal(res.headers.connection, 'close');
    assert.deepEqual(json(res.body), { message: 'this operation takes no request body' });
    assertConformsToSpec('ReprovisionDevice', res);
  });

  it('answers a 15 KB a&a&... query with 400 naming the bound', async () => {
    const res = await daemonRequest(server.endpoint, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}${'&a'.repeat(7500)}`);
    assert.equal(res.status, 400);
    assert.deepEqual(json(res.body), { message: `too many query parameters (at most ${MAX_QUERY_PARAMETERS})` });
    assertConformsToSpec('GetDeviceProvisioningInformation', res);
  });

  it('accepts an empty body announced with content-length: 0', async () => {
    const res = await daemonRequest(server.endpoint, 'POST', `/device/reprovision${API_VERSION_QUERY}`, { 'content-length': '0' });
    assert.equal(res.status, 200);
  });

  it('ignores the Host header (the TCP listeners check it, not the app) and unknown query parameters', async () => {
    const res = await daemonRequest(server.endpoint, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}&trace=1`, { host: 'anything.invalid:1' });
    assert.equal(res.status, 200);
  });

  it('logs one line per request with method, path, status and duration, never the query', async () => {
    const before = server.captured.lines().length;
    await daemonRequest(server.endpoint, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
    const lines = server.captured
      .lines()
      .slice(before)
      .filter((l) => l.msg === 'request');
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.deepEqual(
      { ...line, durationMs: typeof line?.durationMs, time: undefined, pid: undefined },
      {
        level: 30,
        msg: 'request',
        method: 'GET',
        path: '/device/provisioninginformation',
        status: 200,
        durationMs: 'number',
        time: undefined,
        pid: undefined,
      },
    );
  });

  describe('with a failing store', () => {
    it('answers 503 with the store problem when it is unavailable', async () => {
      const unavailable = await serveInProcess(new UnavailableStore());
      try {
        const get = await daemonRequest(unavailable.endpoint, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
        assert.equal(get.status, 503);
        assert.deepEqual(json(get.body), { message: 'registration pending' });
        assertConformsToSpec('GetDeviceProvisioningInformation', get);
        const reprovision = await daemonRequest(unavailable.endpoint, 'GET', `/device/reprovision${API_VERSION_QUERY}`);
        assert.equal(reprovision.status, 503);
        assert.deepEqual(json(reprovision.body), { message: 'DPS unreachable' });
      } finally {
        await unavailable.close();
      }
    });

    it('answers 500 with a generic message; the cause chain goes to the log only', async () => {
      const broken = await serveInProcess(new BrokenStore());
      try {
        const res = await daemonRequest(broken.endpoint, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
        assert.equal(res.status, 500);
        assert.deepEqual(json(res.body), { message: 'internal error; see the xprov log' });
        assertConformsToSpec('GetDeviceProvisioningInformation', res);
        const logged = broken.captured.lines().find((l) => l.msg === 'internal error');
        assert.deepEqual(logged?.cause, ['TypeError: boom', 'Error: HostName=h;DeviceId=d;SharedAccessKey=[redacted]']);
      } finally {
        await broken.close();
      }
    });
  });
});

describe('HTTP app and announced request bodies (issue 8: 404/400/405 drained up to 512 MiB over keep-alive)', () => {
  const BODY = 64 * 1024 * 1024;
  let store: FileStore;
  let server: Server;
  let socketPath: string;
  const serverSockets: Socket[] = [];

  before(async () => {
    store = await FileStore.open(privateExample('symmetric-key-payload.yaml'), captureLog().log, { watch: false });
    const log = captureLog().log;
    server = createServer(createApp(new ProvisioningService(store, log), log).callback());
    server.on('connection', (socket) => serverSockets.push(socket));
    socketPath = path.join(tempDir(), 'body.sock');
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
  });

  /**
   * Announces a 64 MiB body and keeps writing it until the server closes the
   * connection; resolves with the answer's head and how much the server read.
   */
  function announceBody(method: string, target: string, headers: string): Promise<{ head: string; serverRead: number }> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      const data = Buffer.alloc(64 * 1024, 0x61);
      const chunk = headers.includes('chunked') ? Buffer.concat([Buffer.from('10000\r\n'), data, Buffer.from('\r\n')]) : data;
      let received = '';
      let written = 0;
      let closed = false;
      socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => {
        closed = true;
        const mine = serverSockets.at(-1);
        if (mine === undefined) {
          reject(new Error('the server saw no connection'));
          return;
        }
        resolve({ head: received.split('\r\n\r\n')[0] ?? '', serverRead: mine.bytesRead });
      });
      const pump = (): void => {
        while (!closed && written < BODY && socket.write(chunk)) written += chunk.length;
      };
      socket.on('drain', pump);
      socket.write(`${method} ${target} HTTP/1.1\r\nhost: 0:0\r\n${headers}\r\n`, pump);
    });
  }

  const paths: [string, string, string, number][] = [
    ['an unknown path', 'POST', '/nope', 404],
    ['a missing api-version', 'POST', '/device/reprovision', 400],
    ['a wrong method', 'PUT', `/device/provisioninginformation${API_VERSION_QUERY}`, 405],
    ['a good request', 'POST', `/device/reprovision${API_VERSION_QUERY}`, 400],
  ];
  for (const [name, method, target, status] of paths) {
    for (const [framing, headers] of [
      ['Content-Length', `content-length: ${BODY}\r\n`],
      ['chunked', 'transfer-encoding: chunked\r\n'],
    ] as const) {
      it(`answers ${name} announcing a ${framing} body with ${status}, closes the connection and reads at most 1 MiB of the 64 MiB`, async () => {
        const { head, serverRead } = await announceBody(method, target, headers);
        assert.match(head, new RegExp(`^HTTP/1\\.1 ${status} `));
        assert.match(head, /\r\nconnection: close/i);
        assert.ok(serverRead < 1024 * 1024, `the server read ${serverRead} bytes`);
      });
    }
  }
});

describe('HTTP app over a file store being edited', () => {
  it('keeps answering 200 from the last valid content while the file is broken', async () => {
    const file = path.join(tempDir(), 'p.yaml');
    writeFileSync(file, 'hubName: h.azure-devices.net\ndeviceId: d\ncredentials: {authType: symmetric-key, source: hsm}\n', { mode: 0o600 });
    const store = await FileStore.open(file, captureLog().log, { watch: false });
    const server = await serveInProcess(store);
    try {
      writeFileSync(file, 'hubName: [');
      const reprovision = await daemonRequest(server.endpoint, 'GET', `/device/reprovision${API_VERSION_QUERY}`);
      assert.equal(reprovision.status, 503);
      assert.match((json(reprovision.body) as { message: string }).message, /^reprovision: store .*p\.yaml: not valid YAML\/JSON/);
      const get = await daemonRequest(server.endpoint, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
      assert.equal(get.status, 200);
      assert.equal(parseLikeDaemon(get.body).deviceId, 'd');
    } finally {
      await server.close();
      await store.close();
    }
  });
});

describe('query string parsing', () => {
  it('decodes names and values, repeats into arrays, and ignores empty pairs and __proto__', async () => {
    assert.deepEqual(parseQueryString(''), {});
    assert.deepEqual(parseQueryString('api-version=2019-04-10'), { 'api-version': '2019-04-10' });
    assert.deepEqual(parseQueryString('a=1&&b&a=2&a=3'), { a: ['1', '2', '3'], b: '' });
    // WHATWG decoding (URLSearchParams): invalid UTF-8 becomes U+FFFD, a stray % is kept.
    assert.deepEqual(parseQueryString('api%2Dversion=2019%2D04%2D10&x=a+b&bad=%E0%A4%A'), { 'api-version': '2019-04-10', x: 'a b', bad: '\uFFFD%A' });
    const parsed = parseQueryString('__proto__=x&toString=y');
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.deepEqual(parsed, { toString: 'y' });
  });

  it(`keeps every value of a name repeated up to the bound of ${MAX_QUERY_PARAMETERS} parameters`, () => {
    const values = Array.from({ length: MAX_QUERY_PARAMETERS }, (_, i) => String(i));
    assert.deepEqual(parseQueryString(values.map((v) => `a=${v}`).join('&')), { a: values });
  });

  it(`refuses a query of more than ${MAX_QUERY_PARAMETERS} parameters before decoding any (issue 8: a 16 KB a&a&... query cost ~100 ms of CPU)`, () => {
    const many = `api-version=2019-04-10${'&a'.repeat(MAX_QUERY_PARAMETERS)}`;
    assert.throws(
      () => parseQueryString(many),
      (err: unknown) => err instanceof BadRequestError && err.message === `too many query parameters (at most ${MAX_QUERY_PARAMETERS})`,
    );
    // Empty pairs count: they cost a scan each as well.
    assert.throws(() => parseQueryString('&'.repeat(MAX_QUERY_PARAMETERS)), BadRequestError);
    assert.doesNotThrow(() => parseQueryString('&'.repeat(MAX_QUERY_PARAMETERS - 1)));
  });
});
