/**
 * `xprov store` and `xprov serve` on a TPM store, end to end against swtpm: moving a
 * device from the C# sample to xprov keeping the same TPM contents, store set into a
 * missing index, the checks before anything is written, and no secret on any tpm2
 * command line.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { TestCa } from '../support/pki.js';
import { provisionLikeDaemon } from '../support/daemon-client.js';
import { freePort } from '../support/cli-run.js';
import { eventually } from '../support/eventually.js';
import { registerSecret } from '../support/secrets.js';
import { Swtpm, recordArgv } from '../support/swtpm.js';
import { tempDir } from '../support/tmp.js';
import { type RunOptions, runXprov, serveXprov, type XprovProcess } from '../support/xprov-process.js';

/** 32 bytes: base64 ending in `=`, the padding the C# sample loses. */
const KEY = Buffer.from('tpm-cli-test-key-not-a-secret!!!').toString('base64');
const KEY2 = Buffer.from('tpm-cli-test-key-number-two!!!!!').toString('base64');
const AUTH = 'tpm-cli-index-auth-for-tests';
registerSecret(KEY);
registerSecret(KEY2);
registerSecret(AUTH);
const cs = (device: string, key = KEY): string => `HostName=tpm-hub.azure-devices.net;DeviceId=${device};SharedAccessKey=${key}`;

async function xprov(args: readonly string[], options: RunOptions = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const proc = runXprov(args, options);
  const code = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

/**
 * Serves `location` over a Unix socket and TCP in one process, and checks that both give
 * the daemon `deviceId` with KEY.
 */
async function serveBothTransports(location: string, tcti: string, deviceId: string): Promise<{ serve: XprovProcess; unix: string; tcp: string }> {
  const dir = tempDir();
  const unix = `unix://${path.join(dir, 'api.sock')}`;
  const tcp = `http://127.0.0.1:${await freePort()}`;
  const serve = await serveXprov(['--store', location, '--tpm-tcti', tcti, '--listen', unix, '--listen', tcp]);
  for (const endpoint of [unix, tcp]) {
    const answer = await provisionLikeDaemon(endpoint);
    assert.equal(answer.deviceId, deviceId);
    assert.deepEqual(answer.credentials, { kind: 'symmetric-key-payload', key: Buffer.from(KEY, 'base64') });
  }
  return { serve, unix, tcp };
}

describe('xprov store and serve on a TPM (swtpm)', function () {
  this.timeout(30_000);
  let tpm: Swtpm;
  let authFile: string;
  let nextIndex = 0x01000200;

  before(async () => {
    tpm = await Swtpm.start();
    authFile = path.join(tempDir(), 'tpm-auth');
    writeFileSync(authFile, AUTH, { mode: 0o600 });
  });

  const hex = (index: number): string => `0x${index.toString(16).padStart(8, '0')}`;

  it('moves a device from the C# sample: same index, same contents, served over both transports, SIGHUP reads it again', async () => {
    assert.ok(KEY.endsWith('='));
    // The C# sample's provisioning: index 3001, 150 bytes, auth value, the string written as it is.
    await tpm.tool('tpm2_nvdefine', ['0x01000BB9', '-C', 'o', '-s', '150', '-a', 'authread|authwrite', '-p', `file:${authFile}`]);
    await tpm.tool('tpm2_nvwrite', ['0x01000BB9', '-P', `file:${authFile}`, '-i', '-'], cs('sample-device'));
    const location = `tpm:0x01000bb9?format=connection-string&auth=${authFile}`;
    const argv = recordArgv();
    try {
      const validate = await xprov(['store', 'validate', '--store', location, '--tpm-tcti', tpm.tcti]);
      assert.equal(validate.code, 0, validate.stderr);
      assert.match(validate.stdout, /^store tpm:0x01000bb9 is valid: device sample-device on tpm-hub\.azure-devices\.net, symmetric-key with source payload\n/);
      const show = await xprov(['store', 'show', '--store', location, '--tpm-tcti', tpm.tcti]);
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /^# store tpm:0x01000bb9, secrets masked\n/);
      assert.match(show.stdout, /key: .*44 chars/);

      const { serve, unix, tcp } = await serveBothTransports(location, tpm.tcti, 'sample-device');
      // xprov's own store set rewrites the whole index (the rest 0x00); serve reads it on SIGHUP.
      const set = await xprov(['store', 'set', '--store', location, '--tpm-tcti', tpm.tcti, '--connection-string-file', '-'], {
        input: `${cs('moved-device', KEY2)}\n`,
      });
      assert.deepEqual(set, { code: 0, stdout: 'wrote tpm:0x01000bb9: 150 bytes, format=connection-string\n', stderr: '' });
      const raw = await tpm.tool('tpm2_nvread', ['0x01000BB9', '-P', `file:${authFile}`]);
      assert.equal(raw.toString('ascii', 0, cs('moved-device', KEY2).length), cs('moved-device', KEY2));
      assert.ok(raw.subarray(cs('moved-device', KEY2).length).every((b) => b === 0));
      assert.equal((await provisionLikeDaemon(unix)).deviceId, 'sample-device');
      serve.child.kill('SIGHUP');
      await eventually(async () => assert.equal((await provisionLikeDaemon(tcp)).deviceId, 'moved-device'));
      assert.equal((await provisionLikeDaemon(unix)).deviceId, 'moved-device');
      assert.equal(await serve.stop(), 0);
    } finally {
      argv.restore();
    }
    const runs = argv.runs();
    assert.ok(runs.some((r) => r.includes('tpm2_nvwrite')) && runs.some((r) => r.includes('tpm2_nvread')));
    for (const run of runs) {
      assert.ok(!run.includes(KEY) && !run.includes(KEY2) && !run.includes(AUTH), run);
      if (/tpm2_nv(read|write) /.test(run)) {
        assert.match(run, new RegExp(` -P file:${authFile} `));
      }
    }
  });

  it('store set defines a missing index of the content size, authread|authwrite, and what it wrote serves', async () => {
    const index = nextIndex++;
    const location = `tpm:${hex(index)}?auth=${authFile}`;
    const set = await xprov(
      ['store', 'set', '--store', location, '--tpm-tcti', tpm.tcti, '--hub', 'tpm-hub.azure-devices.net', '--device', 'doc-device', '--key-file', '-'],
      { input: KEY },
    );
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, new RegExp(`^wrote tpm:${hex(index)}: (\\d+) bytes, format=document \\(defined it: \\1 bytes, authread\\|authwrite\\)\n$`));
    const pub = (await tpm.tool('tpm2_nvreadpublic', [hex(index)])).toString('utf8');
    assert.match(pub, /friendly: authwrite\|authread\|written/);
    const validate = await xprov(['store', 'validate', '--store', location, '--tpm-tcti', tpm.tcti]);
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /is valid: device doc-device on tpm-hub\.azure-devices\.net/);
    // Served from the framed document over both transports in one process.
    const { serve } = await serveBothTransports(location, tpm.tcti, 'doc-device');
    assert.equal(await serve.stop(), 0);
  });

  it('store set refuses a --tpm-nv-size larger than the TPM allows, or different from the defined index, with exit code 2', async () => {
    const index = nextIndex++;
    const args = [
      'store',
      'set',
      '--store',
      `tpm:${hex(index)}?auth=${authFile}`,
      '--tpm-tcti',
      tpm.tcti,
      '--hub',
      'tpm-hub.azure-devices.net',
      '--device',
      'd',
      '--hsm-key',
    ];
    const huge = await xprov([...args, '--tpm-nv-size', '4096']);
    assert.deepEqual([huge.code, huge.stderr], [2, "xprov: --tpm-nv-size 4096 is more than this TPM's largest NV index, 2048 bytes\n"]);
    assert.equal((await xprov([...args, '--tpm-nv-size', '300'])).code, 0);
    const other = await xprov([...args, '--tpm-nv-size', '400']);
    assert.equal(other.code, 2);
    assert.match(other.stderr, new RegExp(`NV index ${hex(index)} is defined already, with 300 bytes: --tpm-nv-size applies only when store set defines it`));
  });

  it('store set checks the content as serve would before touching the TPM: a refused document defines nothing', async () => {
    const index = nextIndex++;
    const set = await xprov(
      ['store', 'set', '--store', `tpm:${hex(index)}?auth=${authFile}`, '--tpm-tcti', tpm.tcti, '--hub', 'not a host', '--device', 'd', '--key-file', '-'],
      { input: KEY },
    );
    assert.equal(set.code, 1);
    assert.match(set.stderr, /^xprov: store set: refused, nothing was written:\n {2}.*hubName/);
    await assert.rejects(tpm.tool('tpm2_nvreadpublic', [hex(index)]), /0x18B/);
  });

  it('X.509: inline PEM when it fits, else says to store references to the files (--by-path)', async () => {
    const ca = TestCa.create({ cn: 'tpm test CA' });
    const device = ca.issue({ cn: 'x509-device' });
    const dir = tempDir();
    const certFile = path.join(dir, 'device.pem');
    const keyFile = path.join(dir, 'device.key');
    writeFileSync(certFile, device.certPem, { mode: 0o600 });
    writeFileSync(keyFile, device.keyPem, { mode: 0o600 });
    const index = nextIndex++;
    const location = `tpm:${hex(index)}?auth=${authFile}`;
    const args = [
      'store',
      'set',
      '--store',
      location,
      '--tpm-tcti',
      tpm.tcti,
      '--hub',
      'tpm-hub.azure-devices.net',
      '--device',
      'x509-device',
      '--cert',
      certFile,
      '--private-key',
      keyFile,
    ];
    const inline = await xprov([...args, '--tpm-nv-size', '1024']);
    assert.equal(inline.code, 1);
    assert.match(
      inline.stderr,
      /the content is \d+ bytes and --tpm-nv-size is 1024: the certificate and key are inline: give --by-path to store references to the PEM files instead/,
    );
    await assert.rejects(tpm.tool('tpm2_nvreadpublic', [hex(index)]), /0x18B/);
    const byPath = await xprov([...args, '--by-path', '--tpm-nv-size', '1024']);
    assert.equal(byPath.code, 0, byPath.stderr);
    const validate = await xprov(['store', 'validate', '--store', location, '--tpm-tcti', tpm.tcti]);
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /device x509-device .* x509 with source payload/);
    // Inline, when the index is large enough (defined of the content's size here).
    const fits = nextIndex++;
    const inlineFits = await xprov(['store', 'set', ...args.slice(2).map((a) => (a === location ? `tpm:${hex(fits)}?auth=${authFile}` : a))]);
    assert.equal(inlineFits.code, 0, inlineFits.stderr);
    const raw = (await tpm.tool('tpm2_nvread', [hex(fits), '-P', `file:${authFile}`])).toString('utf8');
    assert.match(raw, /"identityCert":"[A-Za-z0-9+/=]{100,}"/);
  });

  it('refuses what the connection-string layout cannot hold, with exit code 2', async () => {
    const res = await xprov([
      'store',
      'set',
      '--store',
      `tpm:${hex(nextIndex)}?format=connection-string`,
      '--tpm-tcti',
      tpm.tcti,
      '--hub',
      'h.azure-devices.net',
      '--device',
      'd',
      '--hsm-key',
    ]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /format=connection-string holds a symmetric key only/);
  });
});
