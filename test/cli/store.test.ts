/**
 * `xprov store set|show|validate` on real files: in-process, and as shipped
 * (bin/xprov.cjs) for the smoke test and the writer killed half-way.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { TestCa } from '../support/pki.js';
import { provisionLikeDaemon } from '../support/daemon-client.js';
import { eventually } from '../support/eventually.js';
import { example } from '../support/paths.js';
import { privateExample } from '../support/private-examples.js';
import { registerSecret } from '../support/secrets.js';
import { PAUSED, STORE_SET_PAUSED } from '../support/store-set-paused.js';
import { tempDir } from '../support/tmp.js';
import { type CliOptions, type CommandRun, runCommand, serveCommand } from '../support/cli-run.js';
import { type XprovProcess, runXprov } from '../support/xprov-process.js';

const KEY = Buffer.from('store-cli-test-key-not-a-secret!').toString('base64');
const KEY2 = Buffer.from('store-cli-test-key-number-two!!!').toString('base64');
registerSecret(KEY);
registerSecret(KEY2);
const CONNECTION_STRING = `HostName=hub.azure-devices.net;DeviceId=dev1;SharedAccessKey=${KEY}`;

/** Runs `xprov store ARGS` to its end, in-process. */
function store(args: readonly string[], options: CliOptions = {}): Promise<CommandRun> {
  return runCommand(['store', ...args], options);
}

/** Runs `xprov store ARGS` to its end as the shipped bin. */
async function shippedStore(args: readonly string[], input: string): Promise<CommandRun> {
  const proc = runXprov(['store', ...args], { input });
  const code = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

/** The parsed store file. */
function readStore(file: string): Record<string, unknown> & { credentials: Record<string, unknown> } {
  return YAML.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & { credentials: Record<string, unknown> };
}

/** Names in `dir` of temporary files a writer left behind. */
function strays(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

describe('xprov store (end to end)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'provisioning.yaml');
  });

  describe('set', () => {
    it('writes a 0600 store file from a connection string read from stdin, which serves', async () => {
      // The shipped bin (the smoke test of the command), its stdin a pipe.
      const res = await shippedStore(['set', '--store', file, '--connection-string-file', '-'], `${CONNECTION_STRING}\n`);
      assert.deepEqual(res, { code: 0, stdout: `wrote ${file}\n`, stderr: '' });
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(readStore(file), {
        hubName: 'hub.azure-devices.net',
        deviceId: 'dev1',
        credentials: { authType: 'symmetric-key', source: 'payload', key: KEY },
      });
      const endpoint = `unix://${path.join(dir, 'x.sock')}`;
      const xprov = await serveCommand(['--store', file, '--listen', endpoint]);
      assert.equal((await provisionLikeDaemon(endpoint)).deviceId, 'dev1');
      await xprov.stop();
    });

    it('keeps the previous file as .bak, and its owner, group and group read bit', async () => {
      assert.equal((await store(['set', '--store', file, '--hub', 'hub.azure-devices.net', '--device', 'dev1', '--hsm-key'])).code, 0);
      const first = readFileSync(file, 'utf8');
      // root:daemon 0640, as root:xprov in the shipped deployment (another owner would not be trusted).
      chownSync(file, 0, 1);
      chmodSync(file, 0o640);
      const keyFile = path.join(dir, 'device.key');
      writeFileSync(keyFile, `${KEY2}\n`);
      const res = await store(['set', '--store', file, '--hub', 'hub.azure-devices.net', '--device', 'dev2', '--key-file', keyFile, '--status', 'assigned']);
      assert.deepEqual(res, { code: 0, stdout: `wrote ${file} (the previous content is in ${file}.bak)\n`, stderr: '' });
      assert.equal(readFileSync(`${file}.bak`, 'utf8'), first);
      const stat = statSync(file);
      assert.deepEqual([stat.uid, stat.gid, stat.mode & 0o777], [0, 1, 0o640]);
      assert.deepEqual(readStore(file), {
        hubName: 'hub.azure-devices.net',
        deviceId: 'dev2',
        credentials: { authType: 'symmetric-key', source: 'payload', key: KEY2 },
        status: 'assigned',
      });
      assert.deepEqual(strays(dir), []);
      // Another owner is kept too, but such a store is not trusted: only --insecure-permissions writes it, warning.
      chownSync(file, 1, 1);
      const untrusted = ['set', '--store', file, '--hub', 'hub.azure-devices.net', '--device', 'dev3', '--hsm-key'];
      const refused = await store(untrusted);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /has owner daemon \(uid 1\) and mode 0640 \(not owned by root\); fix: chown root /);
      const insecure = await store([...untrusted, '--insecure-permissions']);
      assert.equal(insecure.code, 0);
      assert.match(insecure.stderr, /^xprov: warning: store file has owner daemon \(uid 1\) .*served anyway \(--insecure-permissions\)\n$/);
      const kept = statSync(file);
      assert.deepEqual([kept.uid, kept.gid, kept.mode & 0o777], [1, 1, 0o640]);
      assert.deepEqual(strays(dir), []);
    });

    it('keeps no .bak with --no-backup, and leaves an existing one as it is', async () => {
      const ids = ['--store', file, '--hub', 'hub.azure-devices.net', '--device'];
      assert.equal((await store(['set', ...ids, 'dev1', '--hsm-key'])).code, 0);
      assert.deepEqual(await store(['set', ...ids, 'dev2', '--hsm-key', '--no-backup']), { code: 0, stdout: `wrote ${file}\n`, stderr: '' });
      assert.equal(existsSync(`${file}.bak`), false);
      assert.equal((await store(['set', ...ids, 'dev3', '--hsm-key'])).code, 0);
      const backup = readFileSync(`${file}.bak`, 'utf8');
      assert.equal((YAML.parse(backup) as { deviceId: string }).deviceId, 'dev2');
      assert.equal((await store(['set', ...ids, 'dev4', '--hsm-key', '--no-backup'])).code, 0);
      assert.equal(readFileSync(`${file}.bak`, 'utf8'), backup, 'the existing .bak is untouched');
      assert.equal(readStore(file).deviceId, 'dev4');
      assert.deepEqual(readdirSync(dir).sort(), ['provisioning.yaml', 'provisioning.yaml.bak']);
    });

    it('writes nothing when the daemon would refuse the result, and says why', async () => {
      copyFileSync(privateExample('symmetric-key-hsm.yaml'), file);
      const before = readFileSync(file, 'utf8');
      const res = await store(['set', '--store', file, '--hub', 'h.azure-devices.net', '--device', 'd', '--key-file', '-', '--substatus', 'moved'], {
        input: 'not base64!',
      });
      assert.equal(res.code, 1);
      assert.equal(
        res.stderr,
        'xprov: store set: refused, nothing was written:\n  substatus must be one of: initialAssignment, deviceDataMigrated, deviceDataReset, deviceDataUpdated, reprovisionedToInitialAssignment\n',
      );
      const res2 = await store(['set', '--store', file, '--hub', 'h.azure-devices.net', '--device', 'd', '--key-file', '-'], { input: 'not base64!' });
      assert.equal(res2.stderr, 'xprov: store set: refused, nothing was written:\n  credentials.key must be standard base64 (A-Z a-z 0-9 + /, = padding)\n');
      assert.equal(readFileSync(file, 'utf8'), before);
      assert.equal(existsSync(`${file}.bak`), false);
      assert.deepEqual(strays(dir), []);
    });

    it('writes an X.509 identity inline, or by path (then checking the key file like serve does)', async () => {
      const identity = TestCa.create().issue({ cn: 'dev1' });
      const [cert, key] = [path.join(dir, 'dev1.cert.pem'), path.join(dir, 'dev1.key.pem')];
      writeFileSync(cert, identity.certPem);
      writeFileSync(key, identity.keyPem, { mode: 0o644 });
      const ids = ['--store', file, '--hub', 'hub.azure-devices.net', '--device', 'dev1'];
      assert.equal((await store(['set', ...ids, '--cert', cert, '--private-key', '-'], { input: identity.keyPem })).code, 0);
      assert.deepEqual(readStore(file).credentials, {
        authType: 'x509',
        source: 'payload',
        identityCert: Buffer.from(identity.certPem).toString('base64'),
        identityPrivateKey: Buffer.from(identity.keyPem).toString('base64'),
      });

      const loose = await store(['set', ...ids, '--cert', cert, '--private-key', key, '--by-path']);
      assert.equal(loose.code, 1);
      assert.equal(
        loose.stderr,
        `xprov: store set: refused, nothing was written:\n  credentials.identityPrivateKeyFile (${key}) has owner root and mode 0644 (readable by others); fix: chmod o-r ${key} (or run with --insecure-permissions)\n`,
      );
      chmodSync(key, 0o600);
      assert.equal((await store(['set', ...ids, '--cert', cert, '--private-key', key, '--by-path'])).code, 0);
      assert.deepEqual(readStore(file).credentials, { authType: 'x509', source: 'payload', identityCertFile: cert, identityPrivateKeyFile: key });
    });

    it('writes HSM references, refusing a malformed pkcs11: URI', async () => {
      const ids = ['--store', file, '--hub', 'hub.azure-devices.net', '--device', 'dev1'];
      const bad = await store(['set', ...ids, '--cert-ref', 'pkcs11:object=device cert', '--private-key-ref', 'pkcs11:object=k;type=private']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /credentials\.identityCert is not a well-formed pkcs11: URI/);
      const good = await store(['set', ...ids, '--cert-ref', 'pkcs11:object=c;type=cert', '--private-key-ref', 'pkcs11:object=k;type=private']);
      assert.equal(good.code, 0);
      assert.deepEqual(readStore(file).credentials, {
        authType: 'x509',
        source: 'hsm',
        identityCert: 'pkcs11:object=c;type=cert',
        identityPrivateKey: 'pkcs11:object=k;type=private',
      });
    });

    it('warns that a secret on the command line is visible to others', async () => {
      const res = await store(['set', '--store', file, '--connection-string', CONNECTION_STRING]);
      assert.equal(res.code, 0);
      assert.match(res.stderr, /^xprov: warning: a secret on the command line is visible to every user \(ps\)/);
    });

    describe('refuses bad command lines with exit code 2, writing nothing', () => {
      const ids = ['--hub', 'h.azure-devices.net', '--device', 'd'];
      const cases: [string, string[], string | undefined, RegExp][] = [
        ['no credentials', [...ids], undefined, /^xprov: store set needs credentials; see xprov store set --help\n$/],
        [
          'two kinds of credentials',
          [...ids, '--hsm-key', '--key', KEY],
          undefined,
          /^xprov: store set takes one kind of credentials, not a symmetric key and an HSM-held key\n$/,
        ],
        ['a key both inline and from a file', [...ids, '--key', KEY, '--key-file', '-'], '', /give one of --key and --key-file/],
        ['a certificate without its key', [...ids, '--cert', '/c.pem'], undefined, /--cert and --private-key go together/],
        ['no hub', ['--device', 'd', '--hsm-key'], undefined, /--hub and --device are required/],
        [
          "a hub policy's connection string",
          ['--connection-string-file', '-'],
          `HostName=h;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`,
          /SharedAccessKeyName: it is a hub's access policy connection string, not a device's/,
        ],
        ['stdin twice', [...ids, '--cert', '-', '--private-key', '-'], 'x', /--private-key and --cert cannot both read stdin/],
        ['a missing input file', [...ids, '--key-file', '/nonexistent/key'], undefined, /^xprov: --key-file \/nonexistent\/key does not exist\n$/],
        ['a credentials store', ['--store', 'credentials:/run/x', ...ids, '--hsm-key'], undefined, /store set writes store files/],
      ];
      for (const [name, args, input, expected] of cases) {
        it(name, async () => {
          const res = await store(['set', '--store', file, ...args], input === undefined ? {} : { input });
          assert.equal(res.code, 2, res.stderr);
          assert.match(res.stderr, expected);
          assert.equal(existsSync(file), false);
        });
      }
    });

    it('leaves the store intact and served when the writer is killed before replacing it', async () => {
      assert.equal((await store(['set', '--store', file, '--connection-string-file', '-'], { input: CONNECTION_STRING })).code, 0);
      const before = readFileSync(file, 'utf8');
      const endpoint = `unix://${path.join(dir, 'x.sock')}`;
      const xprov = await serveCommand(['--store', file, '--listen', endpoint]);

      // A test-only writer (store set with an in-process hook) stops with the new content on disk, checked, not yet renamed.
      const writer: XprovProcess = runXprov(['--store', file, '--hub', 'hub.azure-devices.net', '--device', 'dev2', '--key-file', '-'], {
        input: KEY2,
        script: STORE_SET_PAUSED,
      });
      await eventually(async () => assert.ok(writer.stderr().includes(PAUSED), writer.stderr()));
      const [temp] = strays(dir);
      assert.ok(temp !== undefined, 'the new content is in a temporary file');
      assert.equal(statSync(path.join(dir, temp)).mode & 0o777, 0o600);
      assert.equal(await writer.stop('SIGKILL'), 'SIGKILL');

      assert.equal(readFileSync(file, 'utf8'), before, 'the store file is untouched');
      assert.equal(existsSync(`${file}.bak`), false);
      assert.equal((await store(['validate', '--store', file])).code, 0);
      assert.equal((await provisionLikeDaemon(endpoint)).deviceId, 'dev1', 'still served');

      // The next write removes the killed writer's temporary file (it holds the new key), succeeds and is served.
      const next = await store(['set', '--store', file, '--hub', 'hub.azure-devices.net', '--device', 'dev2', '--key-file', '-'], { input: KEY2 });
      assert.equal(next.code, 0);
      assert.equal(next.stderr, `xprov: removed ${path.join(dir, temp)}, a temporary file left by a store set that was killed\n`);
      assert.deepEqual(strays(dir), []);
      await xprov.waitForLog((l) => l.msg === 'store loaded' && l.deviceId === 'dev2');
      assert.equal((await provisionLikeDaemon(endpoint)).deviceId, 'dev2');
      assert.equal(readFileSync(`${file}.bak`, 'utf8'), before);
      await xprov.stop();
    });
  });

  describe('show', () => {
    it('prints the store with its secrets masked, and the verdict', async () => {
      const res = await store(['show', '--store', privateExample('symmetric-key-payload.yaml')]);
      assert.equal(res.code, 0);
      assert.ok(!res.stdout.includes('eHByb3YtZXhhbXBsZS1rZXktTk9ULUEtU0VDUkVUISE='), 'the key is printed');
      const body = YAML.parse(res.stdout) as { credentials: { key: string }; hubName: string };
      assert.equal(body.hubName, 'example-hub.azure-devices.net');
      assert.match(body.credentials.key, /^<masked: 44 chars, sha256 [0-9a-f]{8}>$/);
      assert.match(
        res.stdout,
        /^# store .*symmetric-key-payload\.yaml is valid: device example-device on example-hub\.azure-devices\.net, symmetric-key with source payload$/m,
      );
    });

    it('masks an X.509 identity and says until when its certificate is valid', async () => {
      const res = await store(['show', '--store', privateExample('x509-payload.json')]);
      assert.equal(res.code, 0);
      const { credentials } = YAML.parse(res.stdout) as { credentials: Record<string, string> };
      assert.match(credentials.identityPrivateKey ?? '', /^<masked: \d+ chars/);
      assert.match(res.stdout, /^# {3}certificates valid until \d{4}-.* \(credentials\.identityCert: the identity certificate \(CN=example-device\)\)$/m);
    });

    it('shows the document a credentials directory makes, and why it would be refused', async () => {
      const credentials = path.join(dir, 'creds');
      mkdirSync(credentials);
      for (const [name, value] of Object.entries({
        hubName: 'hub.azure-devices.net',
        deviceId: 'dev1',
        authType: 'symmetric-key',
        source: 'payload',
        key: KEY,
      })) {
        writeFileSync(path.join(credentials, name), value, { mode: 0o400 });
      }
      chmodSync(path.join(credentials, 'key'), 0o444);
      const res = await store(['show', '--store', `credentials:${credentials}`]);
      assert.equal(res.code, 0);
      assert.match((YAML.parse(res.stdout) as { credentials: { key: string } }).credentials.key, /^<masked: 44 chars, sha256 [0-9a-f]{8}>$/);
      assert.match(
        res.stdout,
        new RegExp(`# store ${credentials} would be refused:\\n#   ${credentials}/key has owner root and mode 0444 \\(readable by others\\)`),
      );
    });

    it('fails when there is nothing to show', async () => {
      const res = await store(['show', '--store', file]);
      assert.deepEqual(res, {
        code: 1,
        stdout: '',
        stderr: `xprov: store ${file}: does not exist; the next step is \`xprov store set --store ${file} ...\`, which writes it\n`,
      });
    });
  });

  describe('validate', () => {
    it('accepts every example store as serve would load it', async () => {
      for (const name of ['symmetric-key-payload.yaml', 'symmetric-key-hsm.yaml', 'x509-payload.json', 'x509-hsm.yaml', 'x509-files.yaml']) {
        const res = await store(['validate', '--store', privateExample(name)]);
        assert.equal(res.code, 0, `${name}: ${res.stderr}`);
        assert.match(res.stdout, /^store .* is valid: device example-device on example-hub\.azure-devices\.net/);
      }
    });

    it('reports hsm references', async () => {
      const res = await store(['validate', '--store', privateExample('x509-hsm.yaml')]);
      assert.match(res.stdout, /\n {2}credentials\.identityCert: PKCS#11 URI \(token=edge, object=device-id-cert, type=cert\)\n/);
    });

    it("exits 1 with the daemon's reasons when it would refuse the store", async () => {
      writeFileSync(file, 'hubName: h.azure-devices.net\ndeviceId: d\ncredentials: {authType: symmetric-key, source: payload}\nstatus: none\n', {
        mode: 0o600,
      });
      const res = await store(['validate', '--store', file]);
      assert.deepEqual(res, {
        code: 1,
        stdout: '',
        stderr: `xprov: store ${file} would be refused:\n  status must be one of: assigned, assigning, disabled, failed, unassigned\n`,
      });
    });

    it('refuses loose permissions and an expired certificate, saying how to fix them', async () => {
      copyFileSync(example('symmetric-key-payload.yaml'), file);
      chmodSync(file, 0o664);
      const loose = await store(['validate', '--store', file]);
      assert.equal(loose.code, 1);
      assert.equal(
        loose.stderr,
        `xprov: store ${file} would be refused:\n  has owner root and mode 0664 (readable by others, writable by group); fix: chmod g-w,o-r ${file} (or run with --insecure-permissions)\n`,
      );
      const accepted = await store(['validate', '--store', file, '--insecure-permissions']);
      assert.equal(accepted.code, 0);
      assert.match(accepted.stdout, /\n {2}warning: store file has owner root and mode 0664 .*served anyway \(--insecure-permissions\)\n$/);

      const expired = TestCa.create().issue({ cn: 'example-device', fromDays: -60, toDays: -2 });
      writeFileSync(path.join(dir, 'c.pem'), expired.certPem);
      writeFileSync(path.join(dir, 'k.pem'), expired.keyPem, { mode: 0o600 });
      writeFileSync(
        file,
        'hubName: h.azure-devices.net\ndeviceId: example-device\ncredentials: {authType: x509, source: payload, identityCertFile: c.pem, identityPrivateKeyFile: k.pem}\n',
      );
      chmodSync(file, 0o600);
      const res = await store(['validate', '--store', file]);
      assert.equal(res.code, 1);
      assert.match(
        res.stderr,
        new RegExp(
          `^xprov: store .* would be refused:\\n {2}credentials\\.identityCertFile \\(${dir}/c\\.pem\\): the identity certificate \\(CN=example-device\\) expired on .*; renew it\\n$`,
        ),
      );
    });

    it('takes the store from a config file', async () => {
      const config = path.join(dir, 'config.yaml');
      writeFileSync(config, `store: ${privateExample('x509-hsm.yaml')}\n`);
      const res = await store(['validate', '--config', config]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /x509-hsm\.yaml is valid/);
    });

    it('refuses unknown commands and options with exit code 2', async () => {
      assert.equal((await store(['frobnicate'])).code, 2);
      assert.match((await store(['validate', '--stor', file])).stderr, /Unknown option '--stor'/);
      const help = await store(['set', '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /--key-file FILE\|-/);
    });
  });
});
