import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import {
  DEFAULT_DPS_API_VERSION,
  DEFAULT_DPS_ENDPOINT,
  DEFAULT_MIN_REGISTRATION_INTERVAL_MS,
  type DpsSettings,
  loadDpsSettings,
} from '../../src/dps/settings.js';
import { ConfigError } from '../../src/errors.js';
import { example, repoRoot } from '../support/paths.js';
import { privateExample } from '../support/private-examples.js';
import { tempDir } from '../support/tmp.js';

const GROUP_KEY = Buffer.from('a group key for the settings test, not a secret').toString('base64');

/** Writes a settings or key file as xprov requires it (trusted: owner-only). */
function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function refusal(text: string): string {
  const file = write(tempDir(), 'dps.yaml', text);
  try {
    loadDpsSettings(file);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message.replace(`DPS settings ${file}: `, '');
  }
  assert.fail('expected a ConfigError');
}

describe('DPS settings', () => {
  it('applies defaults and resolves paths against the settings file', () => {
    const dir = tempDir();
    write(dir, 'group.key', `${GROUP_KEY}\n`);
    const file = write(
      dir,
      'dps.yaml',
      'idScope: 0ne00000001\nregistrationId: dev-1\nattestation:\n  type: symmetricKey\n  enrollment: group\n  keyFile: group.key\nstateDir: state\n',
    );
    assert.deepEqual(loadDpsSettings(file), {
      endpoint: DEFAULT_DPS_ENDPOINT,
      idScope: '0ne00000001',
      registrationId: 'dev-1',
      apiVersion: DEFAULT_DPS_API_VERSION,
      attestation: { type: 'symmetric-key', enrollment: 'group', keyBase64: GROUP_KEY },
      payload: undefined,
      trustedCaPem: undefined,
      stateDir: path.join(dir, 'state'),
      registrationTimeoutMs: 120_000,
      retry: { initialMs: 1000, maxMs: 30_000 },
      reprovisionHooks: [],
      minRegistrationIntervalMs: DEFAULT_MIN_REGISTRATION_INTERVAL_MS,
    } satisfies DpsSettings);
    assert.equal(DEFAULT_MIN_REGISTRATION_INTERVAL_MS, 30_000, 'the README documents 30 s');
  });

  it('applies the defaults the schema documents (openapi/dps-settings.schema.yaml)', () => {
    type Node = { default?: unknown; properties?: Record<string, Node>; items?: Node };
    const schema = YAML.parse(readFileSync(path.join(repoRoot, 'openapi', 'dps-settings.schema.yaml'), 'utf8')) as Node;
    const fields = schema.properties ?? {};
    const attestation = fields.attestation?.properties ?? {};
    const hook = fields.reprovisionHooks?.items?.properties ?? {};
    const dir = tempDir();
    const file = write(
      dir,
      'dps.yaml',
      `idScope: s\nregistrationId: r\nattestation: {type: symmetricKey, key: ${GROUP_KEY}}\nreprovisionHooks: [{argv: [/bin/true]}]\n`,
    );
    const settings = loadDpsSettings(file);
    assert.deepEqual(
      {
        endpoint: fields.endpoint?.default,
        apiVersion: fields.apiVersion?.default,
        stateDir: fields.stateDir?.default,
        registrationTimeoutMs: fields.registrationTimeoutMs?.default,
        retry: { initialMs: fields.retryInitialDelayMs?.default, maxMs: fields.retryMaxDelayMs?.default },
        minRegistrationIntervalMs: fields.minRegistrationIntervalMs?.default,
        hookTimeoutMs: hook.timeoutMs?.default,
        enrollment: attestation.enrollment?.default,
      },
      {
        endpoint: settings.endpoint,
        apiVersion: settings.apiVersion,
        stateDir: settings.stateDir,
        registrationTimeoutMs: settings.registrationTimeoutMs,
        retry: settings.retry,
        minRegistrationIntervalMs: settings.minRegistrationIntervalMs,
        hookTimeoutMs: settings.reprovisionHooks[0]?.timeoutMs,
        enrollment: settings.attestation.type === 'symmetric-key' ? settings.attestation.enrollment : undefined,
      },
    );
    assert.equal(attestation.serveAs?.default, 'payload', 'x509 serves the PEM unless told otherwise');
  });

  it('reads every setting, x509 attestation served as hsm references', () => {
    const dir = tempDir();
    const cert = example('x509/example-device.cert.pem');
    const key = privateExample('x509/example-device.key.pem');
    const file = write(
      dir,
      'dps.yaml',
      [
        'endpoint: 127.0.0.1:8443',
        'idScope: 0ne1',
        'registrationId: example-device',
        'apiVersion: 2019-03-31',
        'attestation:',
        '  type: x509',
        `  certFile: ${cert}`,
        `  keyFile: ${key}`,
        '  serveAs: hsm',
        '  hsm: {identityCert: "pkcs11:object=c", identityPrivateKey: "pkcs11:object=k"}',
        'payload: {site: lab}',
        `trustedCaFile: ${cert}`,
        'stateDir: /var/lib/xprov-test',
        'registrationTimeoutMs: 5000',
        'retryInitialDelayMs: 10',
        'retryMaxDelayMs: 100',
        'minRegistrationIntervalMs: 0',
        'reprovisionHooks:',
        '  - argv: [/usr/bin/systemctl, restart, aziot-tpmd]',
        '    timeoutMs: 1000',
        '  - argv: [/bin/true]',
      ].join('\n'),
    );
    const settings = loadDpsSettings(file);
    assert.equal(settings.attestation.type, 'x509');
    assert.deepEqual(
      { ...settings, attestation: undefined, trustedCaPem: settings.trustedCaPem?.slice(0, 27) },
      {
        endpoint: '127.0.0.1:8443',
        idScope: '0ne1',
        registrationId: 'example-device',
        apiVersion: '2019-03-31',
        attestation: undefined,
        payload: { site: 'lab' },
        trustedCaPem: '-----BEGIN CERTIFICATE-----',
        stateDir: '/var/lib/xprov-test',
        registrationTimeoutMs: 5000,
        retry: { initialMs: 10, maxMs: 100 },
        reprovisionHooks: [
          { argv: ['/usr/bin/systemctl', 'restart', 'aziot-tpmd'], timeoutMs: 1000 },
          { argv: ['/bin/true'], timeoutMs: 30_000 },
        ],
        minRegistrationIntervalMs: 0,
      },
    );
    assert.deepEqual(settings.attestation.type === 'x509' && settings.attestation.serveAs, {
      kind: 'hsm',
      identityCert: 'pkcs11:object=c',
      identityPrivateKey: 'pkcs11:object=k',
    });
  });

  const base = 'idScope: s\nregistrationId: r\n';
  const cases: [string, string, RegExp][] = [
    ['an unknown setting', `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\nscope: x\n`, /^unknown setting "scope"/],
    ['a missing idScope', `registrationId: r\nattestation: {type: symmetricKey, key: ${GROUP_KEY}}\n`, /^idScope must be a non-empty string$/],
    ['a bad registration id', `idScope: s\nregistrationId: "a b"\nattestation: {type: symmetricKey, key: ${GROUP_KEY}}\n`, /^registrationId may only contain/],
    [
      'an endpoint with a scheme',
      `${base}endpoint: https://dps.example\nattestation: {type: symmetricKey, key: ${GROUP_KEY}}\n`,
      /^endpoint must be host or host:port/,
    ],
    ['no attestation', base, /^attestation must be a mapping/],
    ['an unknown attestation', `${base}attestation: {type: tpm}\n`, /^attestation\.type must be symmetricKey or x509$/],
    ['both key and keyFile', `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}, keyFile: k}\n`, /^attestation needs exactly one of key and keyFile$/],
    ['a key that is not base64', `${base}attestation: {type: symmetricKey, key: "not base64"}\n`, /^attestation key must be standard base64$/],
    ['an unreadable key file', `${base}attestation: {type: symmetricKey, keyFile: /nonexistent/k}\n`, /^attestation\.keyFile \/nonexistent\/k does not exist$/],
    [
      'x509 with a non-PEM certificate',
      `${base}attestation: {type: x509, certFile: ${example('x509/README.md')}, keyFile: ${privateExample('x509/example-device.key.pem')}}\n`,
      /^attestation\.certFile must hold a PEM certificate$/,
    ],
    [
      'hsm serving without references',
      `${base}attestation: {type: x509, certFile: ${example('x509/example-device.cert.pem')}, keyFile: ${privateExample('x509/example-device.key.pem')}, serveAs: hsm}\n`,
      /^attestation\.hsm .* is required with serveAs: hsm$/,
    ],
    [
      'a hook through a shell string',
      `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\nreprovisionHooks: [{argv: ["rm -rf /tmp/x"]}]\n`,
      /^reprovisionHooks\[0\]\.argv must be a list of strings starting with an absolute program path/,
    ],
    [
      'a bad timeout',
      `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\nregistrationTimeoutMs: soon\n`,
      /^registrationTimeoutMs must be a positive whole number$/,
    ],
    ['invalid YAML', `${base}attestation: [\n`, /^not valid YAML\/JSON/],
    // Node trusts nothing extra from such a file, silently: today's ignored setting.
    [
      'a trustedCaFile with no PEM certificate',
      `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\ntrustedCaFile: ${example('x509/README.md')}\n`,
      /^trustedCaFile \/.*README\.md holds no PEM certificate/,
    ],
    [
      'a trustedCaFile holding only a key',
      `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\ntrustedCaFile: ${example('x509/example-device.key.pem')}\n`,
      /^trustedCaFile .* holds no PEM certificate/,
    ],
    [
      'a trustedCaFile whose certificate does not parse',
      `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\ntrustedCaFile: ${write(tempDir(), 'ca.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')}\n`,
      /^trustedCaFile .*ca\.pem certificate 1 is not a valid X\.509 certificate$/,
    ],
    [
      'a negative registration interval',
      `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\nminRegistrationIntervalMs: -1\n`,
      /^minRegistrationIntervalMs must be a whole number ≥ 0$/,
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(`refuses ${name}`, () => {
      const message = refusal(text);
      assert.match(message, expected);
      assert.ok(!message.includes(GROUP_KEY), 'the message quotes the key');
    });
  }
});

describe('DPS settings: trust in the files', () => {
  const base = 'idScope: s\nregistrationId: r\n';
  const NOBODY = 65534;

  function loadError(file: string): string {
    try {
      loadDpsSettings(file);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.ok(!err.message.includes(GROUP_KEY), 'the message quotes the key');
      return err.message;
    }
    assert.fail('expected a ConfigError');
  }

  it('refuses a key file others can read (it was read at any mode)', () => {
    const dir = tempDir();
    const key = write(dir, 'group.key', `${GROUP_KEY}\n`);
    chmodSync(key, 0o644);
    const file = write(dir, 'dps.yaml', `${base}attestation: {type: symmetricKey, keyFile: group.key}\n`);
    assert.equal(
      loadError(file),
      `DPS settings ${file}: attestation.keyFile ${key} has owner root and mode 0644 (readable by others); fix: chmod o-r ${key} (or run with --insecure-permissions)`,
    );
    chmodSync(key, 0o640);
    assert.equal(loadDpsSettings(file).attestation.type, 'symmetric-key', 'group read is fine (root:xprov 0640)');
  });

  it('refuses settings holding the key inline that others can read, unless insecure (with a warning)', () => {
    const file = write(tempDir(), 'dps.yaml', `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\n`);
    chmodSync(file, 0o644);
    assert.equal(
      loadError(file),
      `DPS settings ${file} holds attestation.key inline but has mode 0644 (readable by others); fix: chmod o-r ${file}, or move the key to a keyFile (or run with --insecure-permissions)`,
    );
    const warnings: string[] = [];
    assert.equal(loadDpsSettings(file, { insecurePermissions: true, warn: (w) => warnings.push(w) }).attestation.type, 'symmetric-key');
    assert.deepEqual(warnings, [
      `DPS settings ${file} holds attestation.key inline but has mode 0644 (readable by others); fix: chmod o-r ${file}, or move the key to a keyFile; read anyway (--insecure-permissions)`,
    ]);
    chmodSync(file, 0o640);
    assert.equal(loadDpsSettings(file).attestation.type, 'symmetric-key');
  });

  it('allows settings without an inline key, and certificates, to be readable by others', () => {
    const dir = tempDir();
    write(dir, 'group.key', `${GROUP_KEY}\n`);
    const file = write(dir, 'dps.yaml', `${base}attestation: {type: symmetricKey, keyFile: group.key}\n`);
    chmodSync(file, 0o644);
    assert.equal(loadDpsSettings(file).attestation.type, 'symmetric-key');
  });

  it('refuses settings owned by nobody, and a CA file in a directory others can write', () => {
    const dir = tempDir();
    const file = write(dir, 'dps.yaml', `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\n`);
    chownSync(file, NOBODY, NOBODY);
    assert.equal(
      loadError(file),
      `DPS settings ${file} has owner nobody (uid ${NOBODY}) and mode 0600 (not owned by root); fix: chown root ${file} (or run with --insecure-permissions)`,
    );
    chownSync(file, 0, 0);
    const open = path.join(dir, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const ca = write(open, 'ca.pem', readFileSync(example('x509/example-device.cert.pem'), 'utf8'));
    writeFileSync(file, `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\ntrustedCaFile: ${ca}\n`);
    assert.match(
      loadError(file),
      new RegExp(
        `^DPS settings ${file}: trustedCaFile ${ca} is not trusted: directory ${open} has owner root and mode 0777 .*; fix: chmod g-w,o-w ${open} \\(or run with --insecure-permissions\\)$`,
      ),
    );
  });
});

describe('DPS settings examples (examples/dps)', () => {
  // The examples name files under /etc/xprov; stand-ins for their content are read instead.
  const fakeFiles: Record<string, string> = {
    '/etc/xprov/dps-device.key': `${GROUP_KEY}\n`,
    '/etc/xprov/dps-group.key': `${GROUP_KEY}\n`,
    '/etc/xprov/device-full-chain.cert.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    '/etc/xprov/device.key.pem': '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n',
  };
  const read = (file: string): string => {
    const fake = fakeFiles[file];
    if (fake !== undefined) return fake;
    return readFileSync(file, 'utf8');
  };
  for (const name of ['individual-symmetric-key.yaml', 'group-symmetric-key.yaml', 'x509.yaml']) {
    it(`${name} is valid`, () => {
      const settings = loadDpsSettings(example(`dps/${name}`), { readFile: read });
      assert.equal(settings.stateDir, '/var/lib/xprov');
      assert.equal(settings.endpoint, DEFAULT_DPS_ENDPOINT);
    });
  }
});
