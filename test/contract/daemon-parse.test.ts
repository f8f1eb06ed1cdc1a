import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readLikeDaemon } from '../../src/contract/daemon-parse.js';
import { parseLikeDaemon } from '../support/daemon-client.js';
import { example } from '../support/paths.js';

const KEY = 'eHByb3YtZXhhbXBsZS1rZXktTk9ULUEtU0VDUkVUISE=';
const x509 = JSON.parse(readFileSync(example('x509-payload.json'), 'utf8')) as { credentials: { identityCert: string; identityPrivateKey: string } };
const symmetric = { hubName: 'hub.azure-devices.net', deviceId: 'dev1', credentials: { authType: 'symmetric-key', source: 'payload', key: KEY } };

function refusals(body: unknown): readonly string[] {
  const reading = readLikeDaemon(typeof body === 'string' ? body : JSON.stringify(body));
  assert.equal(reading.ok, false, 'expected the daemon to refuse');
  return reading.ok ? [] : reading.refusals;
}

function accepted(body: unknown): { info: unknown; notes: readonly string[] } {
  const reading = readLikeDaemon(JSON.stringify(body));
  assert.ok(reading.ok, `expected the daemon to accept: ${reading.ok ? '' : reading.refusals.join('; ')}`);
  return reading;
}

describe('readLikeDaemon (the daemon view of any answer)', () => {
  it('refuses what is not a JSON object, without quoting it', () => {
    assert.deepEqual(refusals(`{"key": "${KEY}"`), ['the body is not JSON']);
    assert.deepEqual(refusals(''), ['the body is not JSON']);
    assert.deepEqual(refusals('[1]'), ['the body is not a JSON object']);
    assert.deepEqual(refusals('null'), ['the body is not a JSON object']);
  });

  it('names every missing or mistyped field', () => {
    assert.deepEqual(refusals({ hubName: 7, credentials: { authType: 'symmetric-key', source: null, key: 3 }, status: 'none', substatus: 1 }), [
      'hubName must be a string',
      'deviceId is missing',
      'credentials.source is missing',
      'credentials.key must be a string when present',
      'status must be one of: assigned, assigning, disabled, failed, unassigned (absent means assigned)',
      'substatus must be a string when present',
    ]);
    assert.deepEqual(refusals({ hubName: 'h', deviceId: 'd' }), ['credentials is missing']);
    assert.deepEqual(refusals({ hubName: 'h', deviceId: 'd', credentials: 'x' }), ['credentials must be an object']);
    assert.deepEqual(refusals({ ...symmetric, credentials: { authType: 'sas', source: 'tpm' } }), [
      'credentials.authType must be one of: symmetric-key, x509',
      'credentials.source must be one of: payload, hsm',
    ]);
  });

  it("applies the daemon's own rules to what it read", () => {
    assert.deepEqual(refusals({ ...symmetric, credentials: { authType: 'symmetric-key', source: 'payload', key: 'not base64!!' } }), [
      'credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)',
    ]);
    assert.deepEqual(refusals({ ...symmetric, credentials: { authType: 'symmetric-key', source: 'payload', key: null } }), [
      'credentials.key is required for symmetric-key with source payload',
    ]);
    assert.deepEqual(refusals({ ...symmetric, credentials: { authType: 'x509', source: 'hsm', identityCert: 'c' } }), [
      'credentials.identityPrivateKey is required for authType x509',
    ]);
    assert.deepEqual(refusals({ ...symmetric, credentials: { ...x509.credentials, authType: 'x509', source: 'payload', identityCert: KEY } }), [
      'credentials.identityCert must be base64 of PEM text with a CERTIFICATE block',
    ]);
  });

  it('accepts nulls, unknown fields and any substatus, as the daemon does, and says so', () => {
    const reading = accepted({
      ...symmetric,
      status: null,
      substatus: 'somethingNew',
      extra: { nested: 1 },
      credentials: { ...symmetric.credentials, identityCert: null, more: 1 },
    });
    assert.deepEqual(reading.info, symmetric, 'only what the daemon takes: no nulls, no unknown fields, no unknown substatus');
    assert.deepEqual(reading.notes, [
      'credentials.identityCert is null: the daemon reads it as absent',
      'the daemon ignores unknown fields: credentials.more',
      'status is null: the daemon reads it as absent',
      'substatus is not a value the daemon knows: it reads it as initialAssignment',
      'the daemon ignores unknown fields: extra',
    ]);
    assert.deepEqual(accepted({ ...symmetric, substatus: 'deviceDataUpdated' }).notes, [
      'substatus deviceDataUpdated is not one the daemon acts on: it reads it as initialAssignment',
    ]);
    assert.deepEqual(accepted({ ...symmetric, status: 'assigned', substatus: 'reprovisionedToInitialAssignment' }), {
      ok: true,
      info: { ...symmetric, status: 'assigned', substatus: 'reprovisionedToInitialAssignment' },
      notes: [],
    });
  });

  it('accepts secrets the mode does not use, with a note (xprov itself would not serve them)', () => {
    assert.deepEqual(accepted({ ...symmetric, credentials: { authType: 'symmetric-key', source: 'hsm', key: KEY } }).notes, [
      'credentials.key must not be set with source hsm (the HSM holds the key): the daemon ignores it, but a secret is handed over for nothing',
    ]);
  });

  it('agrees with the independent daemon-like parser of the tests on what is accepted', () => {
    const bodies: unknown[] = [
      symmetric,
      { ...symmetric, status: 'disabled' },
      { ...symmetric, status: 'none' },
      { ...symmetric, status: null, substatus: 42 },
      { ...symmetric, deviceId: undefined },
      { ...symmetric, credentials: { authType: 'symmetric-key', source: 'payload', key: `${KEY.slice(0, -2)}=A` } },
      { ...symmetric, credentials: { authType: 'symmetric-key', source: 'hsm' } },
      { ...symmetric, credentials: { authType: 'x509', source: 'hsm', identityCert: 'a', identityPrivateKey: 'b' } },
      { ...symmetric, credentials: { ...x509.credentials, authType: 'x509', source: 'payload' } },
      { ...symmetric, credentials: { ...x509.credentials, authType: 'x509', source: 'payload', identityPrivateKey: x509.credentials.identityCert } },
      { ...symmetric, credentials: { authType: 'X509', source: 'hsm', identityCert: 'a', identityPrivateKey: 'b' } },
    ];
    for (const body of bodies) {
      const text = JSON.stringify(body);
      let independent = true;
      try {
        parseLikeDaemon(Buffer.from(text));
      } catch {
        independent = false;
      }
      assert.equal(readLikeDaemon(text).ok, independent, `disagreement on ${text.slice(0, 120)}`);
    }
  });
});
