/**
 * The typed client: what it sends (byte for byte what the daemon sends), how answers
 * become results, and how missing answers fail. Against xprov's own HTTP layer and
 * against fake endpoints.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ExternalProvisioningClient, errorMessage } from '../../src/client/client.js';
import type { DeviceProvisioningInfo } from '../../src/contract/types.js';
import { TransportError } from '../../src/errors.js';
import { StoreUnavailableError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { json, serveFake } from '../support/fake-endpoint.js';
import { serveInProcess } from '../support/in-process.js';
import { registerSecret } from '../support/secrets.js';
import { tempDir } from '../support/tmp.js';

const KEY = randomBytes(32).toString('base64');
registerSecret(KEY);
const INFO: DeviceProvisioningInfo = {
  hubName: 'hub.azure-devices.net',
  deviceId: 'dev1',
  credentials: { authType: 'symmetric-key', source: 'payload', key: KEY },
};

/** A store serving `info`, or failing like a store with nothing valid. */
function storeServing(info: DeviceProvisioningInfo | undefined): Store & { reprovisions: number } {
  return {
    description: 'test store',
    reprovisions: 0,
    getProvisioningInfo: () =>
      info ? Promise.resolve(info) : Promise.reject(new StoreUnavailableError('no valid provisioning information: test store is empty')),
    reprovision() {
      this.reprovisions++;
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

describe('ExternalProvisioningClient', () => {
  it('gets the provisioning information from xprov and reprovisions by POST and GET', async () => {
    const store = storeServing(INFO);
    const server = await serveInProcess(store);
    try {
      const client = new ExternalProvisioningClient(server.endpoint);
      const got = await client.getDeviceProvisioningInformation();
      assert.ok(got.ok);
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, INFO);
      const posted = await client.reprovisionDevice();
      assert.deepEqual(posted.ok ? [posted.status, posted.body, posted.raw.body.length] : posted.message, [200, undefined, 0]);
      assert.deepEqual(await client.reprovisionDevice({ method: 'GET' }).then((r) => [r.ok, r.status]), [true, 200]);
      assert.equal(store.reprovisions, 2);
    } finally {
      await server.close();
    }
  });

  it('turns error answers into results carrying the ErrorResponse message', async () => {
    const server = await serveInProcess(storeServing(undefined));
    try {
      const client = new ExternalProvisioningClient(server.endpoint);
      const got = await client.getDeviceProvisioningInformation();
      assert.equal(got.ok, false);
      assert.equal(got.status, 503);
      assert.equal(got.ok ? '' : got.message, 'no valid provisioning information: test store is empty');
      const bad = await client.request('GET', '/device/provisioninginformation?api-version=2020-01-01');
      assert.equal(bad.status, 400);
      assert.equal(errorMessage(bad), 'unsupported api-version (supported: 2019-04-10)');
    } finally {
      await server.close();
    }
  });

  for (const transport of ['unix', 'tcp'] as const) {
    it(`sends exactly what the daemon sends over ${transport}: lower-case headers, its Host, no body`, async () => {
      const fake = await serveFake((_req, res) => json(res, 200, INFO), transport);
      const client = new ExternalProvisioningClient(fake.endpoint, { userAgent: '1.1.15 (test)' });
      await client.getDeviceProvisioningInformation();
      await client.reprovisionDevice();
      const host = transport === 'unix' ? `${Buffer.from(fake.endpoint.slice('unix://'.length)).toString('hex')}:0` : fake.endpoint.slice('http://'.length);
      assert.deepEqual(fake.requests, [
        { method: 'GET', url: '/device/provisioninginformation?api-version=2019-04-10', rawHeaders: ['host', host, 'user-agent', '1.1.15 (test)'] },
        // POST is the spec's (the daemon sends GET): an empty body is announced, never a chunked one.
        { method: 'POST', url: '/device/reprovision?api-version=2019-04-10', rawHeaders: ['host', host, 'user-agent', '1.1.15 (test)', 'content-length', '0'] },
      ]);
    });
  }

  it('reads a 2xx answer the way the daemon does: refusals become an error result', async () => {
    const fake = await serveFake((_req, res) =>
      json(res, 200, { ...INFO, credentials: { authType: 'symmetric-key', source: 'payload', key: 'not base64!!' }, status: null, extra: 1 }),
    );
    const got = await new ExternalProvisioningClient(fake.endpoint).getDeviceProvisioningInformation();
    assert.equal(got.ok, false);
    assert.equal(got.ok ? '' : got.message, 'the daemon would refuse this answer: credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)');
    assert.equal(got.raw.status, 200);

    const lenient = await serveFake((_req, res) => json(res, 201, { ...INFO, status: null, extra: 1 }));
    const accepted = await new ExternalProvisioningClient(lenient.endpoint).getDeviceProvisioningInformation();
    assert.deepEqual(accepted.ok ? [accepted.status, accepted.body] : accepted.message, [201, INFO], 'any 2xx; nulls and unknown fields dropped');
  });

  it('describes error answers that are not an ErrorResponse, without quoting them', async () => {
    const fake = await serveFake((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(405, { 'content-type': 'text/plain' }).end(`Method Not Allowed ${KEY}`);
      } else {
        res.writeHead(404).end();
      }
    });
    const client = new ExternalProvisioningClient(fake.endpoint);
    const post = await client.reprovisionDevice();
    assert.equal(post.ok ? '' : post.message, 'answered 405 without an ErrorResponse body (text/plain)');
    const get = await client.reprovisionDevice({ method: 'GET' });
    assert.equal(get.ok ? '' : get.message, 'answered 404 without an ErrorResponse body (empty)');
  });

  it('throws TransportError naming the problem when no answer comes', async () => {
    const missing = new ExternalProvisioningClient(`unix://${path.join(tempDir(), 'none.sock')}`);
    await assert.rejects(
      missing.getDeviceProvisioningInformation(),
      (err: unknown) => err instanceof TransportError && err.code === 'ENOENT' && /no socket file at that path$/.test(err.message),
    );

    const silent = await serveFake(() => {
      // Never answers.
    });
    const slow = new ExternalProvisioningClient(silent.endpoint, { timeoutMs: 200 });
    await assert.rejects(
      slow.getDeviceProvisioningInformation(),
      (err: unknown) => err instanceof TransportError && err.code === 'ETIMEDOUT' && /no complete answer within 200 ms$/.test(err.message),
    );

    const huge = await serveFake((_req, res) => json(res, 200, { ...INFO, padding: 'x'.repeat(4096) }));
    const capped = new ExternalProvisioningClient(huge.endpoint, { maxBodyBytes: 1024 });
    await assert.rejects(capped.getDeviceProvisioningInformation(), (err: unknown) => err instanceof TransportError && err.code === 'ETOOBIG');
  });

  it('refuses bad settings at once', () => {
    assert.throws(() => new ExternalProvisioningClient('tcp://localhost:1'), /unsupported scheme tcp:/);
    assert.throws(() => new ExternalProvisioningClient('http://localhost:1', { timeoutMs: 0 }), /timeoutMs must be a positive whole number/);
  });
});
