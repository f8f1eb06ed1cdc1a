/**
 * `xprov mock` end to end (the shipped bin): serves the spec's example, through xprov's
 * HTTP layer, to a daemon-like client; every answer validates against the spec.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { freePort, runCommand } from '../support/cli-run.js';
import { API_VERSION_QUERY, daemonRequest, parseLikeDaemon, reprovisionLikeDaemon } from '../support/daemon-client.js';
import { assertConformsToSpec } from '../support/spec.js';
import { tempDir } from '../support/tmp.js';
import { runXprov } from '../support/xprov-process.js';

describe('xprov mock', () => {
  it("serves the spec's example on every listener, every answer valid against the spec", async () => {
    const socketPath = path.join(tempDir(), 'mock.sock');
    const port = await freePort();
    const mock = runXprov(['mock', '--listen', `unix://${socketPath}`, '--listen', `http://127.0.0.1:${port}`]);
    const serving = await mock.waitForLog((l) => l.msg === 'xprov serving');
    assert.equal(serving.store, "the spec's examples (xprov mock)");
    for (const endpoint of [`unix://${socketPath}`, `http://127.0.0.1:${port}`]) {
      const got = await daemonRequest(endpoint, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
      assertConformsToSpec('GetDeviceProvisioningInformation', got);
      const info = parseLikeDaemon(got.body);
      assert.deepEqual(
        [info.hubName, info.deviceId, info.credentials.kind, info.status],
        ['example-hub.azure-devices.net', 'example-device', 'symmetric-key-payload', 'assigned'],
      );
      assert.equal(info.credentials.kind === 'symmetric-key-payload' && info.credentials.key.toString('utf8'), 'fake-key-for-documentation-only');

      assert.equal(await reprovisionLikeDaemon(endpoint), 200);
      const posted = await daemonRequest(endpoint, 'POST', `/device/reprovision${API_VERSION_QUERY}`);
      assertConformsToSpec('ReprovisionDevice', posted);
      assert.equal(posted.status, 200);

      const noVersion = await daemonRequest(endpoint, 'GET', '/device/provisioninginformation');
      assert.equal(noVersion.status, 400);
      assertConformsToSpec('GetDeviceProvisioningInformation', noVersion);
      const unknown = await daemonRequest(endpoint, 'GET', `/nope${API_VERSION_QUERY}`);
      assert.equal(unknown.status, 404);
      assertConformsToSpec(undefined, unknown);
      const wrongMethod = await daemonRequest(endpoint, 'DELETE', `/device/reprovision${API_VERSION_QUERY}`);
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.allow, 'GET, POST');
      assertConformsToSpec(undefined, wrongMethod);
      const withBody = await daemonRequest(endpoint, 'POST', `/device/reprovision${API_VERSION_QUERY}`, {}, Buffer.from('{}'));
      assert.deepEqual([withBody.status, withBody.headers.connection], [400, 'close']);
      assertConformsToSpec('ReprovisionDevice', withBody);
    }

    const check = await runCommand(['check', `unix://${socketPath}`, '--reprovision']);
    assert.equal(check.code, 0, check.stdout);
    assert.equal(await mock.stop(), 0);
  });

  it('refuses --store: it serves the examples only', async () => {
    const mock = await runCommand(['mock', '--store', '/etc/xprov/provisioning.yaml']);
    assert.equal(mock.code, 2);
    assert.equal(mock.stderr, "xprov: mock serves the spec's examples: it takes no --store\n");
  });
});
