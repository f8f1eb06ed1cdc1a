/**
 * The DPS client against a hostile or broken DPS (the emulator's hostile mode and
 * tampered answers): one deadline over every byte, a bounded answer, an abort that
 * ends a registration at once, TLS failures reported as such, and every assigned field
 * checked before the caller gets it.
 */
import assert from 'node:assert/strict';
import { DpsClient, type DpsClientOptions, MAX_ANSWER_BYTES } from '../../src/dps/client.js';
import { DpsError } from '../../src/errors.js';
import { DpsEmulator, makeCertificateAuthority } from '../support/dps-emulator.js';
import { eventually } from '../support/eventually.js';
import { registerSecret } from '../support/secrets.js';

const DEVICE_KEY = Buffer.from('dps client test device key, a throwaway').toString('base64');
registerSecret(DEVICE_KEY);

async function failure(promise: Promise<unknown>): Promise<DpsError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof DpsError, String(err));
    return err;
  }
  assert.fail('expected a DpsError');
}

describe('DPS client against a hostile or broken DPS', () => {
  let dps: DpsEmulator;

  beforeEach(async () => {
    dps = await DpsEmulator.start({ retryAfterSeconds: 0, assignImmediately: true });
    dps.addIndividualEnrollment({
      registrationId: 'dev-1',
      attestation: { type: 'symmetricKey', primaryKey: DEVICE_KEY },
      assignment: { hub: 'hub-a.azure-devices.net', deviceId: 'dev-1' },
    });
  });
  afterEach(() => dps.stop());

  function client(options: Partial<DpsClientOptions> = {}): DpsClient {
    return new DpsClient({
      endpoint: dps.host,
      idScope: dps.idScope,
      registrationId: 'dev-1',
      apiVersion: '2021-10-01',
      credentials: { kind: 'symmetric-key', deviceKeyBase64: DEVICE_KEY },
      extraCaPem: dps.caCertPem,
      deadlineMs: 400,
      backoff: { initialMs: 10, maxMs: 50 },
      ...options,
    });
  }

  it('gives up at the deadline on an answer sent a byte at a time (the deadline covers the body)', async () => {
    // Before: each byte reset the socket's idle timeout, and a byte a second held a reprovision for minutes.
    dps.setHostile({ kind: 'drip', intervalMs: 20 });
    const started = Date.now();
    const err = await failure(client().register());
    const elapsed = Date.now() - started;
    assert.equal(err.kind, 'unavailable');
    assert.match(err.message, /^DPS unavailable: no complete answer \(gave up after 1 attempts within 400 ms\)$/);
    assert.ok(elapsed < 1500, `gave up after ${elapsed} ms`);
  });

  it('ends a request still waiting only at the deadline, reporting the last failure DPS gave, not a network timeout', async () => {
    // Before: each request's idle timeout was the time left (from the wall clock), racing
    // the deadline's timer; a request still connecting when either fired (a busy device,
    // DPS down) came out as "network error: ETIMEDOUT" where ECONNREFUSED was the truth.
    // A wall clock stepped forward (NTP at boot) makes that race certain.
    dps.failNext(1, { status: 503, retryAfterSeconds: 0 });
    const realNow = Date.now;
    let stepped = false;
    const onRetry = (): void => {
      if (stepped) return;
      stepped = true;
      dps.setHostile({ kind: 'silent' });
      Date.now = () => realNow() + 150;
    };
    try {
      const err = await failure(client({ backoff: { initialMs: 1, maxMs: 1 } }).register(onRetry));
      assert.match(err.message, /^DPS unavailable: 503 503001: .* \(gave up after 2 attempts within 400 ms\)$/);
    } finally {
      Date.now = realNow;
    }
  });

  it('refuses an answer larger than the bound, once, without buffering it', async () => {
    dps.setHostile({ kind: 'huge', bytes: 4 * MAX_ANSWER_BYTES });
    const err = await failure(client({ deadlineMs: 5000 }).register());
    assert.equal(err.kind, 'protocol');
    assert.equal(err.message, `DPS sent an answer larger than ${MAX_ANSWER_BYTES} bytes`);
    assert.equal(dps.requests.length, 1, 'not retried as a network error');
  });

  it("abandons a registration at once when the caller's signal aborts (xprov stopping)", async () => {
    dps.setHostile({ kind: 'silent' });
    const controller = new AbortController();
    const registering = client({ deadlineMs: 60_000 }).register(undefined, controller.signal);
    await eventually(async () => assert.equal(dps.requests.length, 1));
    const started = Date.now();
    controller.abort();
    const err = await failure(registering);
    assert.equal(err.kind, 'aborted');
    assert.ok(Date.now() - started < 500);
  });

  it('starts nothing with a signal already aborted (a request arriving while xprov stops)', async () => {
    // Before: the request was created and destroyed before its error listener: an uncaught exception, exit 70.
    const err = await failure(client().register(undefined, AbortSignal.abort()));
    assert.equal(err.kind, 'aborted');
    // A destroyed request emits its 'error' on a later tick: let those ticks run.
    await new Promise(setImmediate);
    await new Promise(setImmediate);
    assert.equal(dps.requests.length, 0);
  });

  for (const [name, ca] of [
    ['without the CA that signed it (self-signed chain)', undefined],
    ['with another CA', () => makeCertificateAuthority('xprov client test: not the emulator CA').certPem],
  ] as const) {
    it(`reports a certificate that does not verify ${name} as a TLS failure, not retried`, async () => {
      const retries: string[] = [];
      const options: Partial<DpsClientOptions> = { deadlineMs: 3000, ...(ca === undefined ? { extraCaPem: undefined } : { extraCaPem: ca() }) };
      const err = await failure(client(options).register((r) => retries.push(r.reason)));
      assert.equal(err.kind, 'tls');
      assert.match(
        err.message,
        /^the DPS endpoint's TLS certificate did not verify: (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY) \(.+\); check trustedCaFile and endpoint$/,
      );
      assert.deepEqual(retries, [], 'a TLS failure is final');
      assert.equal(err.transient, false);
    });
  }

  it('reports a certificate for another name (host name mismatch) as a TLS failure, not retried', async () => {
    const retries: string[] = [];
    const err = await failure(client({ endpoint: await dps.misnamedHost(), deadlineMs: 3000 }).register((r) => retries.push(r.reason)));
    assert.equal(err.kind, 'tls');
    assert.match(
      err.message,
      /^the DPS endpoint's TLS certificate did not verify: ERR_TLS_CERT_ALTNAME_INVALID \(.*127\.0\.0\.2.*\); check trustedCaFile and endpoint$/,
    );
    assert.deepEqual(retries, []);
  });

  const ok = { assignedHub: 'hub-a.azure-devices.net', deviceId: 'dev-1', status: 'assigned' };
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ...['/', '@', '?', '#', '\r', '\n', '\0'].map((c): [string, Record<string, unknown>, RegExp] => [
      `a hub with ${JSON.stringify(c)}`,
      { ...ok, assignedHub: `hub-a.azure-devices.net${c}evil.example` },
      /assignedHub must not contain CR, LF, NUL, \/, @, \? or #/,
    ]),
    ...['/', '@', '?', '#', '\r', '\n', '\0'].map((c): [string, Record<string, unknown>, RegExp] => [
      `a device id with ${JSON.stringify(c)}`,
      { ...ok, deviceId: `dev${c}1` },
      /deviceId must not contain/,
    ]),
    ['a hub longer than 253 characters', { ...ok, assignedHub: `${'a'.repeat(60)}.`.repeat(5).slice(0, 254) }, /assignedHub must be at most 253 characters/],
    ['a hub label longer than 63 characters', { ...ok, assignedHub: `${'a'.repeat(64)}.azure-devices.net` }, /assignedHub must be a DNS host name/],
    ['a hub with a space', { ...ok, assignedHub: 'hub a.azure-devices.net' }, /assignedHub must be a DNS host name/],
    ['an empty hub', { ...ok, assignedHub: '' }, /assignedHub must be a non-empty string/],
    ['a device id of 129 characters', { ...ok, deviceId: 'd'.repeat(129) }, /deviceId must be 1-128 ASCII letters/],
    ['a non-ASCII device id', { ...ok, deviceId: 'dév-1' }, /deviceId must be 1-128 ASCII letters/],
    ['a device id that is not a string', { ...ok, deviceId: 7 }, /deviceId must be a non-empty string/],
    ['an unknown substatus', { ...ok, substatus: 'deviceWiped' }, /substatus must be one of the spec's substatuses/],
  ];
  for (const [name, state, rule] of bad) {
    it(`refuses an assignment with ${name}`, async () => {
      dps.tamperWithState((s) => ({ ...s, ...state }));
      const err = await failure(client().register());
      assert.equal(err.kind, 'protocol');
      assert.match(err.message, /^DPS assigned a registration xprov refuses to save or serve: /);
      assert.match(err.message, rule);
      assert.ok(!/evil|dev.1|dév|deviceWiped/.test(err.message), 'the message quotes no value');
    });
  }

  it('refuses a registration status outside the spec without quoting it', async () => {
    dps.tamperWithState((s) => ({ ...s, status: 'assigned\nlevel=fatal' }));
    // The top-level status says assigned; the registrationState's is what counts.
    const err = await failure(client().register());
    assert.equal(err.message, "DPS registration ended with a status outside the spec's enum");
  });

  it('accepts the device id characters IoT Hub allows (but # ? @)', async () => {
    dps.tamperWithState((s) => ({ ...s, deviceId: "Dev-1:a.b+c%d_e*f!(g),h=i;j$k'l", substatus: 'deviceDataUpdated' }));
    const result = await client().register();
    assert.equal(result.deviceId, "Dev-1:a.b+c%d_e*f!(g),h=i;j$k'l");
    assert.equal(result.substatus, 'deviceDataUpdated');
  });
});
