import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import YAML from 'yaml';
import openapi from '../../generated/openapi.json' with { type: 'json' };
import { operationSpecs, routes } from '../../generated/operations.js';
import { DEFAULT_LISTEN_URL } from '../../src/endpoint/endpoint-url.js';
import { repoRoot } from '../support/paths.js';

const spec = YAML.parse(readFileSync(path.join(repoRoot, 'openapi', 'external-provisioning.yaml'), 'utf8')) as Record<string, unknown>;

describe('the spec (openapi/)', () => {
  it('is a valid Swagger 2.0 document (lint)', async () => {
    await SwaggerParser.validate(structuredClone(spec) as never);
  });

  it('keeps the operationIds and models of IoT Edge 2019-04-10', async () => {
    const api = (await SwaggerParser.dereference(structuredClone(spec) as never)) as unknown as {
      info: { version: string };
      definitions: Record<string, { properties: Record<string, { enum?: string[] }>; required: string[] }>;
    };
    assert.equal(api.info.version, '2019-04-10');
    assert.deepEqual(Object.keys(operationSpecs).sort(), ['GetDeviceProvisioningInformation', 'ReprovisionDevice', 'ReprovisionDeviceByGet']);
    assert.deepEqual(routes, {
      '/device/provisioninginformation': { GET: 'GetDeviceProvisioningInformation' },
      '/device/reprovision': { GET: 'ReprovisionDeviceByGet', POST: 'ReprovisionDevice' },
    });
    const { DeviceProvisioningInfo: info, Credentials: credentials, ErrorResponse: error } = api.definitions;
    assert.deepEqual(info?.required, ['hubName', 'deviceId', 'credentials']);
    assert.deepEqual(info?.properties.status?.enum, ['assigned', 'assigning', 'disabled', 'failed', 'unassigned']);
    assert.ok(info?.properties.substatus?.enum?.includes('reprovisionedToInitialAssignment'));
    assert.deepEqual(credentials?.properties.authType?.enum, ['symmetric-key', 'x509']);
    assert.deepEqual(credentials?.properties.source?.enum, ['payload', 'hsm']);
    assert.deepEqual(error?.required, ['message']);
  });

  it('marks every deliberate deviation with an x-xprov extension', () => {
    const text = readFileSync(path.join(repoRoot, 'openapi', 'external-provisioning.yaml'), 'utf8');
    assert.equal(operationSpecs.ReprovisionDeviceByGet.aliasOf, 'ReprovisionDevice');
    assert.ok((text.match(/x-xprov-deviation:/g) ?? []).length >= 4);
  });

  describe("what the ecosystem's tools need (make lint-spec lints the rest)", () => {
    type Operation = { produces?: string[]; responses: Record<string, unknown> };
    const operations = Object.values(spec.paths as Record<string, Record<string, Operation>>).flatMap((item) => Object.values(item));

    it("gives a default base URL on the default listener's port, and says there is no authentication", () => {
      assert.equal(spec.host, `localhost:${new URL(DEFAULT_LISTEN_URL).port}`);
      assert.deepEqual(spec.schemes, ['http']);
      assert.deepEqual(spec.security, []);
      assert.deepEqual(openapi.servers, [{ url: 'http://localhost:9999' }]);
      assert.deepEqual(openapi.security, []);
      const info = spec.info as { contact?: { name?: string }; license?: { name?: string } };
      assert.ok(info.contact?.name);
      assert.equal(info.license?.name, 'MIT');
    });

    it('gives api-version an x-example, its one supported value', () => {
      const parameter = (spec.parameters as Record<string, { enum: string[]; 'x-example'?: string }>)['api-version'];
      assert.deepEqual(parameter?.enum, ['2019-04-10']);
      assert.equal(parameter?.['x-example'], '2019-04-10');
    });

    it('declares every status the endpoint answers with and no catch-all default', () => {
      assert.equal(operations.length, 3);
      for (const operation of operations) {
        assert.deepEqual(Object.keys(operation.responses).sort(), ['200', '400', '404', '405', '417', '421', '500', '503']);
      }
    });

    it('declares produces per operation, not globally, and keeps every error answer JSON in OpenAPI 3', () => {
      assert.equal(spec.produces, undefined);
      for (const operation of operations) {
        assert.deepEqual(operation.produces, ['application/json']);
      }
      const responses = openapi.components.responses as Record<string, { content?: Record<string, unknown> }>;
      for (const [name, response] of Object.entries(responses)) {
        assert.deepEqual(Object.keys(response.content ?? {}), ['application/json'], name);
      }
      assert.equal('content' in openapi.paths['/device/reprovision'].post.responses['200'], false);
    });
  });
});
