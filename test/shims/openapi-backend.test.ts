import assert from 'node:assert/strict';
import { type SpecBackend, loadSpecBackend } from '../../src/shims/openapi-backend.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** An answer; `contentType` null: none was sent. */
function answer(status: number, body: unknown, contentType: string | null = JSON_TYPE): { status: number; contentType: string | undefined; body: Buffer } {
  return { status, contentType: contentType ?? undefined, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) };
}

describe('openapi-backend shim (the spec for the contract tools)', () => {
  let spec: SpecBackend;
  before(async () => {
    spec = await loadSpecBackend();
  });

  it('names every problem of an answer, not only the first', () => {
    const body = { hubName: 'h', deviceId: '', credentials: { authType: 'symmetric-key', source: 'payload', key: 'not base64!!' }, status: 'none' };
    assert.deepEqual(spec.answerProblems('GetDeviceProvisioningInformation', answer(200, body)), [
      'deviceId must not be empty',
      'credentials.key must match format "byte"',
      'status must be one of: assigned, assigning, disabled, failed, unassigned',
    ]);
    assert.deepEqual(spec.answerProblems('GetDeviceProvisioningInformation', answer(200, '"text"')), ['the body must be an object']);
    assert.deepEqual(spec.answerProblems('GetDeviceProvisioningInformation', answer(503, { message: 'store is empty' })), []);
  });

  it('checks the content type and that the body is JSON', () => {
    assert.deepEqual(spec.answerProblems('GetDeviceProvisioningInformation', answer(404, 'Not Found', 'text/plain')), [
      'the content type is "text/plain", not application/json',
    ]);
    assert.deepEqual(spec.answerProblems('GetDeviceProvisioningInformation', answer(404, '', null)), ['the content type is missing, not application/json']);
    assert.deepEqual(spec.answerProblems('GetDeviceProvisioningInformation', answer(404, '{"message":', 'application/json')), ['the body is not JSON']);
  });

  it('holds an answer declared without a body to having none (openapi-backend would validate it against another schema)', () => {
    assert.deepEqual(spec.answerProblems('ReprovisionDevice', answer(200, '', null)), []);
    assert.deepEqual(spec.answerProblems('ReprovisionDeviceByGet', answer(200, {})), ['the spec declares no body for 200, but 2 bytes came']);
    assert.deepEqual(spec.answerProblems('ReprovisionDevice', answer(400, { message: 'unsupported api-version' })), []);
  });

  it("gives the spec's examples, and none for an answer without a body (not openapi-backend's {})", () => {
    assert.deepEqual(spec.example('GetDeviceProvisioningInformation'), {
      hubName: 'example-hub.azure-devices.net',
      deviceId: 'example-device',
      credentials: { authType: 'symmetric-key', source: 'payload', key: 'ZmFrZS1rZXktZm9yLWRvY3VtZW50YXRpb24tb25seQ==' },
      status: 'assigned',
      substatus: 'initialAssignment',
    });
    assert.equal(spec.example('ReprovisionDevice'), undefined);
  });
});
