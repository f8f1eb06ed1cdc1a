import assert from 'node:assert/strict';
import { runChecks } from '../../src/check/checks.js';
import { ExternalProvisioningClient } from '../../src/client/client.js';
import { type SpecBackend, loadSpecBackend } from '../../src/shims/openapi-backend.js';
import { json, serveFake } from '../support/fake-endpoint.js';

const INFO = { hubName: 'hub.azure-devices.net', deviceId: 'dev1', credentials: { authType: 'symmetric-key', source: 'hsm' } };

describe('the checks of xprov check', () => {
  let spec: SpecBackend;
  before(async () => {
    spec = await loadSpecBackend();
  });

  it('passes what the daemon accepts, with notes on what it ignores, and fails what the spec refuses', async () => {
    const fake = await serveFake((req, res) => {
      if (req.url === '/device/provisioninginformation?api-version=2019-04-10') {
        json(res, 200, { ...INFO, status: null, vendorField: 1 });
      } else {
        json(res, req.method === 'DELETE' ? 405 : req.url?.includes('?') ? 404 : 400, { message: 'no' }, { allow: 'GET' });
      }
    });
    const report = await runChecks(new ExternalProvisioningClient(fake.endpoint), spec, { reprovision: false });
    const byId = Object.fromEntries(report.results.map((r) => [r.id, r]));
    assert.deepEqual(byId['get.daemon'], {
      id: 'get.daemon',
      title: 'the IoT Edge daemon would provision with its answer',
      outcome: 'pass',
      reasons: [],
      notes: ['status is null: the daemon reads it as absent', 'the daemon ignores unknown fields: vendorField'],
    });
    assert.deepEqual(byId['get.spec']?.reasons, ['status must be a string', 'status must be one of: assigned, assigning, disabled, failed, unassigned']);
    assert.equal(report.ok, false);
    assert.equal(report.answer?.status, 200);
  });

  it('fails a check whose request gets no answer, and still runs the others', async () => {
    const fake = await serveFake((req, res) => {
      if (req.method === 'DELETE') {
        req.socket.destroy();
      } else {
        json(res, 200, INFO);
      }
    });
    const report = await runChecks(new ExternalProvisioningClient(fake.endpoint), spec, { reprovision: false });
    const wrongMethod = report.results.find((r) => r.id === 'errors.wrong-method');
    assert.deepEqual([wrongMethod?.outcome, wrongMethod?.reasons], ['fail', [`cannot reach ${fake.endpoint}: the connection was reset before an answer`]]);
    assert.deepEqual(
      report.results.filter((r) => r.outcome === 'pass').map((r) => r.id),
      ['get.status', 'get.spec', 'get.daemon'],
    );
  });
});
