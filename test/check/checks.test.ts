import assert from 'node:assert/strict';
import { type CheckReport, runChecks } from '../../src/check/checks.js';
import { ExternalProvisioningClient } from '../../src/client/client.js';
import { type SpecBackend, loadSpecBackend } from '../../src/shims/openapi-backend.js';
import { type FakeHandler, json, serveFake } from '../support/fake-endpoint.js';

const INFO = { hubName: 'hub.azure-devices.net', deviceId: 'dev1', credentials: { authType: 'symmetric-key', source: 'hsm' } };
const LAX = { reprovision: false, strict: false };

/** Every check's [id, kind, outcome]. */
function outcomes(report: CheckReport): [string, string, string][] {
  return report.results.map((r) => [r.id, r.kind, r.outcome]);
}

/** A well-behaved endpoint but for `get`'s answer and `reprovision`'s. */
function endpoint(get: FakeHandler, reprovision: FakeHandler = (_q, r) => r.writeHead(200).end()): FakeHandler {
  return (req, res) => {
    if (req.url === '/device/provisioninginformation?api-version=2019-04-10' && req.method === 'GET') {
      get(req, res);
    } else if (req.url === '/device/reprovision?api-version=2019-04-10') {
      reprovision(req, res);
    } else {
      json(res, req.method === 'DELETE' ? 405 : req.url?.includes('?') ? 404 : 400, { message: 'no' }, { allow: 'GET' });
    }
  };
}

describe('the checks of xprov check', () => {
  let spec: SpecBackend;
  before(async () => {
    spec = await loadSpecBackend();
  });

  it('passes what the daemon accepts, with notes on what it ignores, and warns of what the spec refuses (a failure under --strict)', async () => {
    const fake = await serveFake(endpoint((_q, r) => json(r, 200, { ...INFO, status: null, vendorField: 1 })));
    const client = new ExternalProvisioningClient(fake.endpoint);
    const report = await runChecks(client, spec, LAX);
    const byId = Object.fromEntries(report.results.map((r) => [r.id, r]));
    assert.deepEqual(byId['get.daemon'], {
      id: 'get.daemon',
      title: 'the IoT Edge daemon would provision with its answer',
      kind: 'fatal',
      outcome: 'pass',
      reasons: [],
      notes: ['status is null: the daemon reads it as absent', 'the daemon ignores unknown fields: vendorField'],
    });
    assert.deepEqual(byId['get.spec'], {
      id: 'get.spec',
      title: 'its answer conforms to the spec',
      kind: 'deviation',
      outcome: 'warn',
      reasons: [
        'status must be a string',
        'status must be one of: assigned, assigning, disabled, failed, unassigned',
        'fields the spec does not declare: vendorField',
      ],
      notes: [],
    });
    assert.equal(report.ok, true);
    assert.equal(report.answer?.status, 200);

    const strict = await runChecks(client, spec, { ...LAX, strict: true });
    assert.equal(strict.results.find((r) => r.id === 'get.spec')?.outcome, 'fail');
    assert.deepEqual([strict.ok, strict.strict], [false, true]);
  });

  it('warns of a substatus outside the enum and undeclared credential fields', async () => {
    const fake = await serveFake(endpoint((_q, r) => json(r, 200, { ...INFO, substatus: 'moved', credentials: { ...INFO.credentials, hint: 'x' } })));
    const report = await runChecks(new ExternalProvisioningClient(fake.endpoint), spec, LAX);
    const getSpec = report.results.find((r) => r.id === 'get.spec');
    assert.deepEqual(getSpec?.reasons, [
      'substatus must be one of: initialAssignment, deviceDataMigrated, deviceDataReset, deviceDataUpdated, reprovisionedToInitialAssignment',
      'fields the spec does not declare: credentials.hint',
    ]);
    assert.deepEqual([getSpec?.outcome, report.ok], ['warn', true]);
  });

  it('fails a fatal check whose request gets no answer in time, and skips the rest', async () => {
    const fake = await serveFake(() => undefined);
    const report = await runChecks(new ExternalProvisioningClient(fake.endpoint, { timeoutMs: 50 }), spec, LAX);
    assert.deepEqual(report.results[0], {
      id: 'get.status',
      title: 'GET /device/provisioninginformation answers 2xx',
      kind: 'fatal',
      outcome: 'fail',
      reasons: [`${fake.endpoint}: no complete answer within 50 ms`],
      notes: [],
    });
    assert.deepEqual(new Set(report.results.slice(1).map((r) => r.outcome)), new Set(['skip']));
    assert.equal(report.ok, false);
  });

  it('warns of a deviation whose request gets no answer, and still runs the others', async () => {
    const fake = await serveFake((req, res) => {
      if (req.method === 'DELETE') {
        req.socket.destroy();
      } else {
        json(res, 200, INFO);
      }
    });
    const report = await runChecks(new ExternalProvisioningClient(fake.endpoint), spec, LAX);
    const wrongMethod = report.results.find((r) => r.id === 'errors.wrong-method');
    assert.deepEqual(
      [wrongMethod?.kind, wrongMethod?.outcome, wrongMethod?.reasons],
      ['deviation', 'warn', [`cannot reach ${fake.endpoint}: the connection was reset before an answer`]],
    );
    assert.deepEqual(outcomes(report), [
      ['get.status', 'fatal', 'pass'],
      ['get.spec', 'deviation', 'pass'],
      ['get.daemon', 'fatal', 'pass'],
      ['errors.api-version', 'deviation', 'warn'],
      ['errors.unknown-path', 'deviation', 'warn'],
      ['errors.wrong-method', 'deviation', 'warn'],
      ['reprovision.post', 'deviation', 'skip'],
      ['reprovision.get', 'fatal', 'skip'],
      ['reprovision.get.spec', 'deviation', 'skip'],
    ]);
    assert.equal(report.ok, true);
  });

  it('sends each reprovision once: a 204 passes the fatal check and warns in the spec check that judges the same answer', async () => {
    const fake = await serveFake(
      endpoint(
        (_q, r) => json(r, 200, INFO),
        (_q, r) => r.writeHead(204).end(),
      ),
    );
    const report = await runChecks(new ExternalProvisioningClient(fake.endpoint), spec, { reprovision: true, strict: false });
    assert.deepEqual(outcomes(report).slice(6), [
      ['reprovision.post', 'deviation', 'warn'],
      ['reprovision.get', 'fatal', 'pass'],
      ['reprovision.get.spec', 'deviation', 'warn'],
    ]);
    assert.deepEqual(report.results.find((r) => r.id === 'reprovision.get.spec')?.reasons, [
      'answered 204; the spec says 200 with no body (the daemon accepts any 2xx)',
    ]);
    assert.deepEqual(
      fake.requests.filter((r) => r.url.startsWith('/device/reprovision')).map((r) => r.method),
      ['POST', 'GET'],
    );
    assert.equal(report.ok, true);
  });

  it('does not judge the spec shape of a reprovision GET the fatal check failed', async () => {
    const fake = await serveFake(
      endpoint(
        (_q, r) => json(r, 200, INFO),
        (_q, r) => json(r, 503, { message: 'busy' }),
      ),
    );
    const report = await runChecks(new ExternalProvisioningClient(fake.endpoint), spec, { reprovision: true, strict: false });
    assert.deepEqual(
      report.results.slice(6).map((r) => [r.id, r.outcome, r.reasons]),
      [
        ['reprovision.post', 'warn', ['answered 503: busy']],
        ['reprovision.get', 'fail', ['answered 503: busy']],
        ['reprovision.get.spec', 'skip', ['not judged: reprovision.get did not pass']],
      ],
    );
    assert.equal(report.ok, false);
  });
});
