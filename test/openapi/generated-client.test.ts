/**
 * The published spec works for code generators: a client generated from it (here
 * openapi-fetch, typed by openapi-typescript's generated/types.ts) round-trips against
 * the shipped xprov over TCP.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import createClient from 'openapi-fetch';
import YAML from 'yaml';
import type { paths } from '../../generated/types.js';
import { freePort, privateStore, serveCommand } from '../support/cli-run.js';

const query = { 'api-version': '2019-04-10' } as const;

describe('a client generated from the spec (openapi-fetch + generated/types.ts)', () => {
  it('round-trips every operation against xprov over TCP', async () => {
    const store = privateStore('symmetric-key-payload.yaml');
    const port = await freePort();
    const xprov = await serveCommand(['--store', store, '--listen', `http://127.0.0.1:${port}`]);
    try {
      const client = createClient<paths>({ baseUrl: `http://127.0.0.1:${port}` });

      const got = await client.GET('/device/provisioninginformation', { params: { query } });
      assert.equal(got.response.status, 200);
      assert.deepEqual(got.data, YAML.parse(readFileSync(store, 'utf8')));
      // Typed by the spec: these lines compile only because the generated types say so.
      const hub: string | undefined = got.data?.hubName;
      const authType: 'symmetric-key' | 'x509' | undefined = got.data?.credentials.authType;
      assert.deepEqual([hub, authType], ['example-hub.azure-devices.net', 'symmetric-key']);

      const posted = await client.POST('/device/reprovision', { params: { query } });
      assert.deepEqual([posted.response.status, posted.data, posted.error], [200, undefined, undefined]);
      const byGet = await client.GET('/device/reprovision', { params: { query } });
      assert.deepEqual([byGet.response.status, byGet.error], [200, undefined]);

      // A version the types do not allow reaches the server, which answers the spec's ErrorResponse.
      const wrong = await client.GET('/device/provisioninginformation', { params: { query: { 'api-version': '2018-06-01' as '2019-04-10' } } });
      assert.equal(wrong.response.status, 400);
      assert.deepEqual(wrong.error, { message: 'unsupported api-version (supported: 2019-04-10)' });
    } finally {
      await xprov.stop();
    }
  });
});
