/**
 * Response conformance: checks answers against the generated OpenAPI 3.0 document
 * with openapi-backend's response validation (the independent, spec-driven check the
 * server itself does not load).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import type { OperationId } from '../../src/contract/types.js';
import type { RawResponse } from './daemon-client.js';
import { repoRoot } from './paths.js';

const definition = JSON.parse(readFileSync(path.join(repoRoot, 'generated', 'openapi.json'), 'utf8')) as Document;
const api = new OpenAPIBackend({ definition, quick: false, validate: true });
await api.init();

/**
 * Asserts that `res` is a valid answer of `operationId` (or, for requests that match
 * no operation, a valid ErrorResponse): declared status, JSON content type, body
 * validating against the declared schema; a 200 without a declared body has none.
 */
export function assertConformsToSpec(operationId: OperationId | undefined, res: RawResponse): void {
  if (operationId === undefined) {
    assert.ok(res.status >= 400, `unrouted request answered ${res.status}`);
  }
  const declaresBody = res.status !== 200 || operationId === 'GetDeviceProvisioningInformation';
  if (!declaresBody) {
    assert.equal(res.body.length, 0, '200 of reprovision must have no body');
    return;
  }
  assert.match(String(res.headers['content-type']), /^application\/json\b/);
  const body: unknown = JSON.parse(res.body.toString('utf8'));
  if (operationId === undefined) {
    const result = api.validator.validateResponse(body, 'GetDeviceProvisioningInformation', 500);
    assert.equal(result.valid, true, `not an ErrorResponse: ${JSON.stringify(result.errors)}`);
    return;
  }
  const result = api.validateResponse(body, operationId, res.status);
  assert.equal(result.valid, true, `answer ${res.status} of ${operationId} does not match the spec: ${JSON.stringify(result.errors)}`);
}
