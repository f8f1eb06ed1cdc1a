/**
 * The client as other code gets it: `xprov/client` through package.json `exports`,
 * at run time and, for TypeScript, through its declarations (made by `make build`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { repoRoot } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';
import { typeCheckConsumer } from '../support/ts-consumer.js';

const CONSUMER = `import { ExternalProvisioningClient, TransportError, type ClientResult, type DeviceProvisioningInfo } from 'xprov/client';

export async function hubOf(endpoint: string): Promise<string | undefined> {
  const client = new ExternalProvisioningClient(endpoint, { timeoutMs: 1000 });
  try {
    const result: ClientResult<DeviceProvisioningInfo> = await client.getDeviceProvisioningInformation();
    if (!result.ok) {
      const message: string = result.message;
      return message;
    }
    const key: string | undefined = result.body.credentials.key;
    return key === undefined ? result.body.hubName : result.body.deviceId;
  } catch (err) {
    return err instanceof TransportError ? err.code : undefined;
  }
}

export async function wrong(client: ExternalProvisioningClient): Promise<void> {
  // @ts-expect-error: reprovision is POST or GET, as the spec says
  await client.reprovisionDevice({ method: 'PUT' });
  const result = await client.getDeviceProvisioningInformation();
  // @ts-expect-error: the body exists only on success
  void result.body;
}
`;

/** A package of its own that depends on xprov (node_modules/xprov links to this repository). */
function consumerPackage(): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(repoRoot, path.join(dir, 'node_modules', 'xprov'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
  return dir;
}

const run = promisify(execFile);

describe('package exports: xprov/client', () => {
  it('resolves to the compiled client at run time, for another package', async () => {
    const dir = consumerPackage();
    const script = "const m = await import('xprov/client'); console.log(JSON.stringify({ url: import.meta.resolve('xprov/client'), names: Object.keys(m) }));";
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    const found = JSON.parse(stdout) as { url: string; names: string[] };
    assert.equal(found.url, pathToFileURL(path.join(repoRoot, 'build', 'src', 'client', 'index.js')).href);
    assert.deepEqual(found.names.sort(), [
      'API_VERSION',
      'EndpointSyntaxError',
      'ExternalProvisioningClient',
      'TransportError',
      'describeEndpoint',
      'errorMessage',
      'parseEndpoint',
      'readLikeDaemon',
    ]);
  });

  it('type-checks strict TypeScript code of another package', async function () {
    // A whole tsc run: seconds, more on a loaded machine.
    this.timeout(60_000);
    const declarations = path.join(repoRoot, 'build', 'src', 'client', 'index.d.ts');
    assert.ok(existsSync(declarations), `${declarations} is missing: run make build (tsc -p tsconfig.client.json)`);
    const dir = consumerPackage();
    const problems = await typeCheckConsumer(dir, CONSUMER);
    assert.equal(problems, undefined, `the consumer does not type-check:\n${problems}`);
  });
});
