/**
 * The DPS emulator proved against DPS's device registration REST API, as documented,
 * with a raw node:https client written here, independently of the emulator's own code (its SAS signing included).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:https';
import { type DeviceCertificate, DpsEmulator, makeCertificateAuthority, makeDeviceCertificate } from '../support/dps-emulator.js';

const API = '?api-version=2021-10-01';
const HOUR = 3600;
const KEY_A = Buffer.alloc(32, 'emulator test key A, not secret').toString('base64');
const KEY_B = Buffer.alloc(32, 'emulator test key B, not secret').toString('base64');
// The documented group-key test vector (dps.md).
const GROUP_KEY = '8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==';
const VECTOR_ID = 'sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6';
const VECTOR_DEVICE_KEY = 'Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=';

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

interface Call {
  authorization?: string;
  cert?: DeviceCertificate;
  /** The JSON body; defaults to `{"registrationId"}` of the path for PUT and POST. */
  body?: unknown;
  query?: string;
  /** Default: a fresh connection per request. */
  agent?: Agent;
}

function send(emu: DpsEmulator, method: string, path: string, call: Call = {}): Promise<Answer> {
  const [host, port] = emu.host.split(':') as [string, string];
  const registrationId = decodeURIComponent(path.split('/')[3] ?? '');
  const body = method === 'GET' ? undefined : JSON.stringify(call.body ?? { registrationId });
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
  if (call.authorization) headers.authorization = call.authorization;
  const tls = call.cert ? { cert: call.cert.certPem + (call.cert.chainPem ?? ''), key: call.cert.keyPem } : {};
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port: Number(port), method, path: path + (call.query ?? API), headers, ca: emu.caCertPem, agent: call.agent ?? false, ...tls },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A SAS token as dps.md describes it, `sr` encoded or raw, fields in the given order. */
function sas(emu: DpsEmulator, registrationId: string, deviceKey: string, options: { encoded?: boolean; expiry?: number; order?: string[] } = {}): string {
  const resource = `${emu.idScope}/registrations/${registrationId}`;
  const sr = options.encoded === false ? resource : encodeURIComponent(resource);
  const se = String(options.expiry ?? Math.floor(Date.now() / 1000) + HOUR);
  const sig = encodeURIComponent(createHmac('sha256', Buffer.from(deviceKey, 'base64')).update(`${sr}\n${se}`).digest('base64'));
  const fields: Record<string, string> = { sr, sig, se, skn: 'registration' };
  return `SharedAccessSignature ${(options.order ?? ['sr', 'sig', 'se', 'skn']).map((f) => `${f}=${fields[f]}`).join('&')}`;
}

const registerPath = (emu: DpsEmulator, id: string): string => `/${emu.idScope}/registrations/${id}/register`;

/** PUT then poll until the 200, the way a client would (without sleeping). */
async function provision(emu: DpsEmulator, id: string, call: Call): Promise<Answer[]> {
  const answers = [await send(emu, 'PUT', registerPath(emu, id), call)];
  for (let last = answers[0]; last?.status === 202; last = answers.at(-1)) {
    answers.push(await send(emu, 'GET', `/${emu.idScope}/registrations/${id}/operations/${String(last.body.operationId)}`, call));
  }
  return answers;
}

async function registrationState(emu: DpsEmulator, id: string, call: Call): Promise<Record<string, unknown>> {
  const answers = await provision(emu, id, call);
  const done = answers.at(-1);
  assert.equal(done?.status, 200, JSON.stringify(done?.body));
  return done.body.registrationState as Record<string, unknown>;
}

function assertDpsError(answer: Answer, status: number, errorCode: number): void {
  assert.equal(answer.status, status);
  assert.equal(answer.body.errorCode, errorCode);
  assert.equal(answer.headers['x-ms-error-code'], String(errorCode));
  assert.equal(typeof answer.body.trackingId, 'string');
  assert.equal(typeof answer.body.message, 'string');
  assert.match(String(answer.body.timestampUtc), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
}

describe('DPS emulator', () => {
  let emu: DpsEmulator;
  const individual = (registrationId: string, hub = 'hub-a.azure-devices.net'): void =>
    emu.addIndividualEnrollment({
      registrationId,
      attestation: { type: 'symmetricKey', primaryKey: KEY_A, secondaryKey: KEY_B },
      assignment: { hub, deviceId: `device-of-${registrationId}` },
    });

  before(async () => {
    emu = await DpsEmulator.start();
    emu.addGroupEnrollment({ enrollmentGroupId: 'vector-group', attestation: { type: 'symmetricKey', primaryKey: GROUP_KEY }, hub: 'hub-g.azure-devices.net' });
  });
  after(() => emu.stop());

  it('accepts a group device signing with the key derived as in the documented test vector; 202, poll 202, 200', async () => {
    const call = { authorization: sas(emu, VECTOR_ID, VECTOR_DEVICE_KEY) };
    const answers = await provision(emu, VECTOR_ID, call);
    assert.deepEqual(
      answers.map((a) => [a.status, a.headers['retry-after'], a.body.status]),
      [
        [202, '1', 'assigning'],
        [202, '1', 'assigning'],
        [200, undefined, 'assigned'],
      ],
    );
    const { operationId, registrationState } = answers[2]?.body ?? {};
    assert.equal(operationId, answers[0]?.body.operationId);
    assert.deepEqual(Object.keys(registrationState as object).sort(), [
      'assignedHub',
      'createdDateTimeUtc',
      'deviceId',
      'etag',
      'lastUpdatedDateTimeUtc',
      'registrationId',
      'status',
      'substatus',
      'symmetricKey',
    ]);
    assert.deepEqual(
      { ...(registrationState as object), createdDateTimeUtc: 0, lastUpdatedDateTimeUtc: 0, etag: 0 },
      {
        registrationId: VECTOR_ID,
        assignedHub: 'hub-g.azure-devices.net',
        deviceId: VECTOR_ID,
        status: 'assigned',
        substatus: 'initialAssignment',
        symmetricKey: { enrollmentGroupId: 'vector-group' },
        createdDateTimeUtc: 0,
        lastUpdatedDateTimeUtc: 0,
        etag: 0,
      },
    );
    assert.equal(emu.registrationCount(VECTOR_ID), 1);
  });

  it('refuses a wrong key and an expired token with 401 and the DPS error body', async () => {
    individual('dev-wrong-key');
    assertDpsError(await send(emu, 'PUT', registerPath(emu, 'dev-wrong-key'), { authorization: sas(emu, 'dev-wrong-key', GROUP_KEY) }), 401, 401002);
    const expired = sas(emu, 'dev-wrong-key', KEY_A, { expiry: Math.floor(Date.now() / 1000) - 1 });
    assertDpsError(await send(emu, 'PUT', registerPath(emu, 'dev-wrong-key'), { authorization: expired }), 401, 401002);
    const otherResource = sas(emu, 'dev-other', KEY_A);
    assertDpsError(await send(emu, 'PUT', registerPath(emu, 'dev-wrong-key'), { authorization: otherResource }), 401, 401002);
    assertDpsError(await send(emu, 'PUT', registerPath(emu, 'dev-wrong-key')), 401, 401002);
    assert.equal(emu.registrationCount('dev-wrong-key'), 0);
    assert.deepEqual(
      emu.requests.slice(-4).map((r) => r.rejection),
      [
        'the signature does not match the enrollment key',
        'the token has expired (or se is not Unix seconds)',
        'the token is for another resource',
        'no Authorization header and no client certificate',
      ],
    );
  });

  it('accepts sr URL-encoded and unencoded, fields in any order, primary or secondary key', async () => {
    individual('dev-sr-forms');
    const tokens = [
      sas(emu, 'dev-sr-forms', KEY_A, { encoded: true }),
      sas(emu, 'dev-sr-forms', KEY_A, { encoded: false, order: ['skn', 'se', 'sig', 'sr'] }),
      sas(emu, 'dev-sr-forms', KEY_B, { encoded: true, order: ['sig', 'skn', 'sr', 'se'] }),
    ];
    for (const authorization of tokens) {
      assert.equal((await send(emu, 'PUT', registerPath(emu, 'dev-sr-forms'), { authorization })).status, 202);
    }
    assert.deepEqual(
      emu.requests.slice(-3).map((r) => [r.auth, r.sasResourceEncoded]),
      [
        ['sas', true],
        ['sas', false],
        ['sas', true],
      ],
    );
    assert.equal(emu.registrationCount('dev-sr-forms'), 3);
  });

  describe('X.509', () => {
    const root = makeCertificateAuthority('emulator test root');
    const intermediate = makeCertificateAuthority('emulator test intermediate', root);

    it('accepts a certificate with CN = registration id chaining to the enrollment CA, refuses another CN', async () => {
      emu.addIndividualEnrollment({
        registrationId: 'dev-x509',
        attestation: { type: 'x509', caCertPem: root.certPem },
        assignment: { hub: 'hub-x', deviceId: 'dev-x509' },
      });
      const state = await registrationState(emu, 'dev-x509', { cert: makeDeviceCertificate('dev-x509', root) });
      assert.equal(state.assignedHub, 'hub-x');
      assert.match(String((state.x509 as { certificateInfo: { subjectName: string } }).certificateInfo.subjectName), /CN=dev-x509/);
      assert.equal(emu.requests.at(-1)?.auth, 'x509');
      const wrongCn = await send(emu, 'PUT', registerPath(emu, 'dev-x509'), { cert: makeDeviceCertificate('dev-other', root) });
      assertDpsError(wrongCn, 401, 401002);
      assert.equal(emu.registrationCount('dev-x509'), 1);
    });

    it('accepts an individual enrollment holding the (self-signed) device certificate itself', async () => {
      const device = makeDeviceCertificate('dev-thumbprint');
      emu.addIndividualEnrollment({
        registrationId: 'dev-thumbprint',
        attestation: { type: 'x509', caCertPem: device.certPem },
        assignment: { hub: 'hub-t', deviceId: 'dev-thumbprint' },
      });
      assert.equal((await registrationState(emu, 'dev-thumbprint', { cert: device })).assignedHub, 'hub-t');
      assertDpsError(await send(emu, 'PUT', registerPath(emu, 'dev-thumbprint'), { cert: makeDeviceCertificate('dev-thumbprint') }), 401, 401002);
    });

    it('accepts a group device that sends its intermediate, refuses it without', async () => {
      emu.addGroupEnrollment({ enrollmentGroupId: 'x509-group', attestation: { type: 'x509', caCertPem: root.certPem }, hub: 'hub-xg' });
      const device = makeDeviceCertificate('dev-x509-group', intermediate);
      assert.equal(device.chainPem, intermediate.certPem);
      const state = await registrationState(emu, 'dev-x509-group', { cert: device });
      assert.deepEqual([state.deviceId, (state.x509 as { enrollmentGroupId: string }).enrollmentGroupId], ['dev-x509-group', 'x509-group']);
      const { chainPem: _dropped, ...leafOnly } = device;
      assertDpsError(await send(emu, 'PUT', registerPath(emu, 'dev-x509-group'), { cert: leafOnly }), 401, 401002);
    });

    it('sees the chain on every connection of an agent (TLS session resumption would drop it)', async () => {
      const device = makeDeviceCertificate('dev-x509-agent', intermediate);
      const agent = new Agent({ keepAlive: false });
      for (let i = 0; i < 3; i++) {
        assert.equal((await send(emu, 'PUT', registerPath(emu, 'dev-x509-agent'), { cert: device, agent })).status, 202);
      }
      assert.equal(emu.registrationCount('dev-x509-agent'), 3);
    });
  });

  it('fails the next requests as told, with Retry-After, then serves again', async () => {
    individual('dev-throttled');
    const call = { authorization: sas(emu, 'dev-throttled', KEY_A) };
    emu.failNext(1, { status: 429, retryAfterSeconds: 7 });
    emu.failNext(1, { status: 503 });
    emu.failNext(1, { status: 500 });
    const throttled = await send(emu, 'PUT', registerPath(emu, 'dev-throttled'), call);
    assertDpsError(throttled, 429, 429001);
    assert.equal(throttled.headers['retry-after'], '7');
    const unavailable = await send(emu, 'PUT', registerPath(emu, 'dev-throttled'), call);
    assertDpsError(unavailable, 503, 503001);
    assert.equal(unavailable.headers['retry-after'], '1');
    const failed = await send(emu, 'PUT', registerPath(emu, 'dev-throttled'), call);
    assertDpsError(failed, 500, 500001);
    assert.equal(failed.headers['retry-after'], undefined);
    assert.equal((await send(emu, 'PUT', registerPath(emu, 'dev-throttled'), call)).status, 202);
    assert.equal(emu.registrationCount('dev-throttled'), 1);
  });

  it('keeps the hub on re-registration, moves it with the substatus after moveRegistration', async () => {
    individual('dev-moving');
    const call = { authorization: sas(emu, 'dev-moving', KEY_A) };
    const hubAndSubstatus = async (): Promise<unknown[]> => {
      const state = await registrationState(emu, 'dev-moving', call);
      return [state.assignedHub, state.deviceId, state.substatus];
    };
    assert.deepEqual(await hubAndSubstatus(), ['hub-a.azure-devices.net', 'device-of-dev-moving', 'initialAssignment']);
    assert.deepEqual(await hubAndSubstatus(), ['hub-a.azure-devices.net', 'device-of-dev-moving', 'initialAssignment']);
    emu.moveRegistration('dev-moving', { hub: 'hub-b.azure-devices.net', substatus: 'deviceDataReset' });
    assert.deepEqual(await hubAndSubstatus(), ['hub-b.azure-devices.net', 'device-of-dev-moving', 'deviceDataReset']);
    assert.deepEqual(await hubAndSubstatus(), ['hub-b.azure-devices.net', 'device-of-dev-moving', 'initialAssignment']);
    const lookup = await send(emu, 'POST', `/${emu.idScope}/registrations/dev-moving`, call);
    assert.deepEqual([lookup.status, lookup.body.assignedHub], [200, 'hub-b.azure-devices.net']);
  });

  it('answers a disabled enrollment with status disabled and an error in registrationState', async () => {
    individual('dev-disabled');
    emu.setEnrollmentStatus('dev-disabled', 'disabled');
    const state = await registrationState(emu, 'dev-disabled', { authorization: sas(emu, 'dev-disabled', KEY_A) });
    assert.deepEqual([state.status, state.assignedHub, typeof state.errorCode, typeof state.errorMessage], ['disabled', undefined, 'number', 'string']);
  });

  it('answers 404 for an unknown registration, 400 for a bad api-version or body', async () => {
    // A DPS with individual enrollments only: no enrollment could cover an unknown id.
    const fresh = await DpsEmulator.start();
    try {
      fresh.addIndividualEnrollment({
        registrationId: 'dev-known',
        attestation: { type: 'symmetricKey', primaryKey: KEY_A },
        assignment: { hub: 'h', deviceId: 'd' },
      });
      assertDpsError(await send(fresh, 'PUT', registerPath(fresh, 'dev-unknown'), { authorization: sas(fresh, 'dev-unknown', KEY_A) }), 404, 404201);
      assertDpsError(await send(fresh, 'PUT', registerPath(fresh, 'dev-unknown'), { cert: makeDeviceCertificate('dev-unknown') }), 404, 404201);
    } finally {
      await fresh.stop();
    }
    individual('dev-bad-request');
    const call = { authorization: sas(emu, 'dev-bad-request', KEY_A) };
    assertDpsError(await send(emu, 'PUT', registerPath(emu, 'dev-bad-request'), { ...call, query: '?api-version=2018-11-01' }), 400, 400004);
    assertDpsError(await send(emu, 'PUT', registerPath(emu, 'dev-bad-request'), { ...call, body: { registrationId: 'dev-other' } }), 400, 400001);
    assert.equal(emu.registrationCount('dev-bad-request'), 0);
  });

  it('refuses connections while down and serves again on the same port', async () => {
    individual('dev-outage');
    const call = { authorization: sas(emu, 'dev-outage', KEY_A) };
    const host = emu.host;
    await emu.setDown(true);
    await assert.rejects(send(emu, 'PUT', registerPath(emu, 'dev-outage'), call), { code: 'ECONNREFUSED' });
    await emu.setDown(false);
    assert.equal(emu.host, host);
    assert.equal((await send(emu, 'PUT', registerPath(emu, 'dev-outage'), call)).status, 202);
  });

  it('answers the PUT with the final 200 at once when told to', async () => {
    const immediate = await DpsEmulator.start({ assignImmediately: true, retryAfterSeconds: 0 });
    try {
      immediate.addGroupEnrollment({ enrollmentGroupId: 'g', attestation: { type: 'symmetricKey', primaryKey: GROUP_KEY }, hub: 'hub-i' });
      const answers = await provision(immediate, VECTOR_ID, { authorization: sas(immediate, VECTOR_ID, VECTOR_DEVICE_KEY) });
      assert.deepEqual(
        answers.map((a) => a.status),
        [200],
      );
    } finally {
      await immediate.stop();
    }
  });

  it('records requests without keys or signatures', () => {
    const log = JSON.stringify(emu.requests);
    for (const secret of [KEY_A, KEY_B, GROUP_KEY, VECTOR_DEVICE_KEY, 'sig=', 'SharedAccessSignature']) {
      assert.equal(log.includes(secret), false);
    }
  });
});
