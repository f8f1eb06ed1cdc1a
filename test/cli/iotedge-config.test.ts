/** `xprov iotedge-config` (in-process, and once as the shipped bin): the block for the listeners serve would use. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { type CommandRun, runCommand } from '../support/cli-run.js';
import { repoRoot } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';
import { runXprov } from '../support/xprov-process.js';

function iotedgeConfig(args: readonly string[]): Promise<CommandRun> {
  return runCommand(['iotedge-config', ...args]);
}

function endpointOf(stdout: string): unknown {
  const doc = YAML.parse(stdout) as { provisioning: { source: string; endpoint: string; dynamic_reprovisioning: boolean } };
  assert.equal(doc.provisioning.source, 'external');
  assert.equal(doc.provisioning.dynamic_reprovisioning, true);
  return doc.provisioning.endpoint;
}

describe('xprov iotedge-config', () => {
  it("prints the block for serve's default listener", async () => {
    const { code, stdout, stderr } = await iotedgeConfig([]);
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.equal(
      stdout,
      [
        '# IoT Edge 1.0.x-1.1: replace the provisioning: section of /etc/iotedge/config.yaml with this,',
        '# then restart iotedge (xprov must be listening first).',
        'provisioning:',
        '  source: "external"',
        '  endpoint: "http://127.0.0.1:9999"',
        '  dynamic_reprovisioning: true',
        '',
      ].join('\n'),
    );
  });

  it('runs as the shipped bin (smoke test)', async () => {
    const proc = runXprov(['iotedge-config', '--listen', 'unix:///var/run/external/external.sock']);
    assert.equal(await proc.exited, 0, proc.stderr());
    assert.equal(endpointOf(proc.stdout()), 'unix:///var/run/external/external.sock');
  });

  it('prefers a Unix socket among the --listen flags', async () => {
    const { code, stdout } = await iotedgeConfig(['--listen', 'http://127.0.0.1:9999', '--listen', 'unix:///var/run/external/external.sock']);
    assert.equal(code, 0);
    assert.equal(endpointOf(stdout), 'unix:///var/run/external/external.sock');
  });

  it('reads the same config file as serve, flags winning', async () => {
    const config = path.join(tempDir(), 'config.yaml');
    writeFileSync(config, 'listen:\n  - http://127.0.0.1:8888\nlogLevel: warn\n');
    assert.equal(endpointOf((await iotedgeConfig(['--config', config])).stdout), 'http://127.0.0.1:8888');
    assert.equal(endpointOf((await iotedgeConfig(['--config', config, '--listen', 'unix:///run/x.sock'])).stdout), 'unix:///run/x.sock');
  });

  it('takes the path of a systemd socket from --socket-path (the shipped units)', async () => {
    // The arguments of ExecStart= in examples/systemd/xprov.service.
    const serveArgs = ['--config', path.join(repoRoot, 'examples', 'systemd', 'config.yaml'), '--listen', 'fd://xprov'];
    const missing = await iotedgeConfig(serveArgs);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^xprov: fd:\/\/xprov is a socket systemd creates from its \.socket unit, whose path xprov cannot know: give it with --socket-path/,
    );
    const given = await iotedgeConfig([...serveArgs, '--socket-path', '/run/external/external.sock']);
    assert.equal(given.code, 0, given.stderr);
    assert.equal(endpointOf(given.stdout), 'unix:///run/external/external.sock');
    const inline = await iotedgeConfig(['--socket-path=/run/other.sock', ...serveArgs]);
    assert.equal(endpointOf(inline.stdout), 'unix:///run/other.sock');
  });

  it("refuses serve's bad options as serve does", async () => {
    const result = await iotedgeConfig(['--listen', 'tcp://127.0.0.1:1']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'xprov: listen "tcp://127.0.0.1:1" has unsupported scheme tcp: (use unix:, http: or fd:)\n');
  });
});
