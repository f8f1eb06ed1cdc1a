/**
 * The npm package as a user gets it: `npm pack` (which builds first: the `prepack`
 * script), the tarball installed into a scratch project with npm (its runtime
 * dependencies from the registry), then both of its entry points used from there:
 * `xprov/client` (import, and its types under strict tsc) and the `xprov` bin
 * (`npx xprov --version`, serving a store and `xprov check` against it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { example, repoRoot } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';
import { typeCheckConsumer } from '../support/ts-consumer.js';
import { runXprov } from '../support/xprov-process.js';

const exec = promisify(execFile);

const CONSUMER = `import { ExternalProvisioningClient, type ClientResult, type DeviceProvisioningInfo } from 'xprov/client';

export async function hubOf(endpoint: string): Promise<string> {
  const result: ClientResult<DeviceProvisioningInfo> = await new ExternalProvisioningClient(endpoint).getDeviceProvisioningInformation();
  return result.ok ? result.body.hubName : result.message;
}
`;

/** npm, quiet and offline-safe: no audit or funding calls, the cache first. */
async function npm(args: readonly string[], cwd: string): Promise<string> {
  const { stdout } = await exec('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

describe('the npm package (npm pack)', function () {
  // npm pack builds (make build, a no-op when built) and npm install fetches the runtime dependencies.
  this.timeout(180_000);

  let files: string[] = [];
  let project = '';
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };

  before(async () => {
    const out = tempDir();
    // The prepack build's own output (make's) comes first on stdout, then npm's JSON.
    const stdout = await npm(['pack', '--json', '--pack-destination', out], repoRoot);
    const packed = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as { filename: string; files: { path: string }[] }[];
    const tarball = path.join(out, packed[0]?.filename ?? '');
    files = (packed[0]?.files ?? []).map((f) => f.path);
    project = tempDir();
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
    await npm(['install', tarball], project);
  });

  it('holds the launcher, the bundles and the compiled client, and neither tests, sources nor maps', () => {
    for (const file of [
      'bin/xprov.cjs',
      'dist/xprov.cjs',
      'dist/xprov.cjs.cache',
      'dist/openapi-backend.cjs',
      'build/src/client/index.js',
      'build/src/client/index.d.ts',
      'package.json',
    ]) {
      assert.ok(files.includes(file), `${file} is in the tarball`);
    }
    assert.deepEqual(
      files.filter((f) => /^(src|test|build\/test|build\/scripts|node_modules)\/|\.map$|\.ts$/.test(f) && !f.endsWith('.d.ts')),
      [],
    );
  });

  it('gives xprov/client to another package: import, and types under strict tsc', async () => {
    const { stdout } = await exec(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('xprov/client'); console.log(typeof m.ExternalProvisioningClient)"],
      { cwd: project },
    );
    assert.equal(stdout, 'function\n');
    const problems = await typeCheckConsumer(project, CONSUMER);
    assert.equal(problems, undefined, `the consumer does not type-check against the installed package:\n${problems}`);
  });

  it('gives the xprov bin: npx xprov --version, and xprov check against the installed xprov serving a store', async () => {
    const { stdout } = await exec('npx', ['--no-install', 'xprov', '--version'], { cwd: project });
    assert.equal(stdout.trim(), version);
    const socket = path.join(tempDir(), 'xprov.sock');
    const installed = path.join(project, 'node_modules', '.bin', 'xprov');
    const serve = runXprov(['serve', '--store', example('symmetric-key-payload.yaml'), '--insecure-permissions', '--listen', `unix://${socket}`], {
      program: [installed],
    });
    try {
      await serve.waitForLog((l) => l.msg === 'xprov serving');
      const check = await exec('npx', ['--no-install', 'xprov', 'check', `unix://${socket}`], { cwd: project }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
      );
      assert.equal(check.code, 0, check.out);
    } finally {
      assert.equal(await serve.stop(), 0, serve.stderr());
    }
  });
});
