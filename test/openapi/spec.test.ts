import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import YAML from 'yaml';
import { operationSpecs, routes } from '../../generated/operations.js';
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
});
