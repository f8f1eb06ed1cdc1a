import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../src/config/config-error.js';
import { DEFAULT_DPS_API_VERSION, DEFAULT_DPS_ENDPOINT, DEFAULT_MIN_REGISTRATION_INTERVAL_MS, type DpsSettings, loadDpsSettings } from '../../src/dps/settings.js';
import { example } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

const GROUP_KEY = Buffer.from('a group key for the settings test, not a secret').toString('base64');

function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
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
    const file = write(dir, 'dps.yaml', 'idScope: 0ne00000001\nregistrationId: dev-1\nattestation:\n  type: symmetricKey\n  enrollment: group\n  keyFile: group.key\nstateDir: state\n');
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

  it('reads every setting, x509 attestation served as hsm references', () => {
    const dir = tempDir();
    const cert = example('x509/example-device.cert.pem');
    const key = example('x509/example-device.key.pem');
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
    assert.deepEqual({ ...settings, attestation: undefined, trustedCaPem: settings.trustedCaPem?.slice(0, 27) }, {
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
    });
    assert.deepEqual(settings.attestation.type === 'x509' && settings.attestation.serveAs, { kind: 'hsm', identityCert: 'pkcs11:object=c', identityPrivateKey: 'pkcs11:object=k' });
  });

  const base = 'idScope: s\nregistrationId: r\n';
  const cases: [string, string, RegExp][] = [
    ['an unknown setting', `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\nscope: x\n`, /^unknown setting "scope"/],
    ['a missing idScope', `registrationId: r\nattestation: {type: symmetricKey, key: ${GROUP_KEY}}\n`, /^idScope must be a non-empty string$/],
    ['a bad registration id', `idScope: s\nregistrationId: "a b"\nattestation: {type: symmetricKey, key: ${GROUP_KEY}}\n`, /^registrationId may only contain/],
    ['an endpoint with a scheme', `${base}endpoint: https://dps.example\nattestation: {type: symmetricKey, key: ${GROUP_KEY}}\n`, /^endpoint must be host or host:port/],
    ['no attestation', base, /^attestation must be a mapping/],
    ['an unknown attestation', `${base}attestation: {type: tpm}\n`, /^attestation\.type must be symmetricKey or x509$/],
    ['both key and keyFile', `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}, keyFile: k}\n`, /^attestation needs exactly one of key and keyFile$/],
    ['a key that is not base64', `${base}attestation: {type: symmetricKey, key: "not base64"}\n`, /^attestation key must be standard base64$/],
    ['an unreadable key file', `${base}attestation: {type: symmetricKey, keyFile: /nonexistent/k}\n`, /^attestation\.keyFile \/nonexistent\/k cannot be read \(ENOENT\)$/],
    ['x509 with a non-PEM certificate', `${base}attestation: {type: x509, certFile: ${example('x509/README.md')}, keyFile: ${example('x509/example-device.key.pem')}}\n`, /^attestation\.certFile must hold a PEM certificate$/],
    ['hsm serving without references', `${base}attestation: {type: x509, certFile: ${example('x509/example-device.cert.pem')}, keyFile: ${example('x509/example-device.key.pem')}, serveAs: hsm}\n`, /^attestation\.hsm .* is required with serveAs: hsm$/],
    ['a hook through a shell string', `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\nreprovisionHooks: [{argv: ["rm -rf /tmp/x"]}]\n`, /^reprovisionHooks\[0\]\.argv must be a list of strings starting with an absolute program path/],
    ['a bad timeout', `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\nregistrationTimeoutMs: soon\n`, /^registrationTimeoutMs must be a positive whole number$/],
    ['invalid YAML', `${base}attestation: [\n`, /^not valid YAML\/JSON/],
    // Node trusts nothing extra from such a file, silently: today's ignored setting.
    ['a trustedCaFile with no PEM certificate', `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\ntrustedCaFile: ${example('x509/README.md')}\n`, /^trustedCaFile \/.*README\.md holds no PEM certificate/],
    ['a trustedCaFile holding only a key', `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\ntrustedCaFile: ${example('x509/example-device.key.pem')}\n`, /^trustedCaFile .* holds no PEM certificate/],
    ['a trustedCaFile whose certificate does not parse', `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\ntrustedCaFile: ${write(tempDir(), 'ca.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')}\n`, /^trustedCaFile .*ca\.pem certificate 1 is not a valid X\.509 certificate$/],
    ['a negative registration interval', `${base}attestation: {type: symmetricKey, key: ${GROUP_KEY}}\nminRegistrationIntervalMs: -1\n`, /^minRegistrationIntervalMs must be a whole number ≥ 0$/],
  ];
  for (const [name, text, expected] of cases) {
    it(`refuses ${name}`, () => {
      const message = refusal(text);
      assert.match(message, expected);
      assert.ok(!message.includes(GROUP_KEY), 'the message quotes the key');
    });
  }
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
      const settings = loadDpsSettings(example(`dps/${name}`), read);
      assert.equal(settings.stateDir, '/var/lib/xprov');
      assert.equal(settings.endpoint, DEFAULT_DPS_ENDPOINT);
    });
  }
});
