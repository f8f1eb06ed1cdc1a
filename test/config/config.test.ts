import assert from 'node:assert/strict';
import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type ServeConfig, parseServeConfig, serveUsage, SETTINGS } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';
import { repoRoot } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

/** The unprivileged user the attacks are made as (tests run as root, as CI does). */
const NOBODY = 65534;

const fixtures = path.join(repoRoot, 'test', 'config', 'fixtures');
const fixture = (name: string): string => path.join(fixtures, name);
const cwd = '/srv/work';
const plain = { cwd, socketActivated: false, env: {} };

/** What `xprov serve` runs with when given nothing. */
const DEFAULTS: ServeConfig = {
  store: { kind: 'file', path: '/etc/xprov/provisioning.yaml' },
  listen: [{ kind: 'tcp', host: '127.0.0.1', port: 9999 }],
  socketMode: 0o660,
  socketGroup: undefined,
  allowRemote: false,
  logLevel: 'info',
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  shutdownTimeoutMs: 10_000,
  insecurePermissions: false,
  maxConnections: 64,
  allowedHosts: [],
  tpmTcti: 'device:/dev/tpmrm0',
};

function configError(argv: string[], context = plain): string {
  try {
    parseServeConfig(argv, context);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), 'config errors are one line');
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  describe('good fixtures', () => {
    it('has built-in defaults for everything', () => {
      assert.deepEqual(parseServeConfig([], plain), DEFAULTS);
    });

    it('treats an empty config file as all defaults', () => {
      assert.deepEqual(parseServeConfig(['--config', fixture('empty.yaml')], plain), DEFAULTS);
    });

    it('reads every setting from the config file; a relative store is relative to the file', () => {
      assert.deepEqual(parseServeConfig(['--config', fixture('full.yaml')], plain), {
        store: { kind: 'file', path: path.join(repoRoot, 'test', 'config', 'stores', 'device.yaml') },
        listen: [
          { kind: 'unix', path: '/run/external/external.sock' },
          { kind: 'tcp', host: '127.0.0.1', port: 9998 },
        ],
        socketMode: 0o600,
        socketGroup: 'iotedge',
        allowRemote: false,
        logLevel: 'debug',
        headersTimeoutMs: 2000,
        requestTimeoutMs: 4000,
        keepAliveTimeoutMs: 1000,
        shutdownTimeoutMs: 3000,
        insecurePermissions: true,
        maxConnections: 16,
        allowedHosts: ['edge-gateway.local', '::1'],
        tpmTcti: 'swtpm:host=127.0.0.1,port=2321',
      } satisfies ServeConfig);
    });

    it('lets flags win over the config file; a relative --store is relative to the cwd', () => {
      const config = parseServeConfig(
        [
          '--config',
          fixture('full.yaml'),
          '--store',
          'here.json',
          '--listen',
          'unix:///tmp/a.sock',
          '--listen',
          'unix:///tmp/b.sock',
          '--log-level',
          'warn',
          '--socket-mode',
          '640',
        ],
        plain,
      );
      assert.deepEqual(config, {
        ...parseServeConfig(['--config', fixture('full.yaml')], plain),
        store: { kind: 'file', path: '/srv/work/here.json' },
        listen: [
          { kind: 'unix', path: '/tmp/a.sock' },
          { kind: 'unix', path: '/tmp/b.sock' },
        ],
        logLevel: 'warn',
        socketMode: 0o640,
      } satisfies ServeConfig);
    });

    it('serves the sockets systemd passed when nothing else is configured', () => {
      assert.deepEqual(parseServeConfig([], { cwd, socketActivated: true }), { ...DEFAULTS, listen: [{ kind: 'systemd' }] });
    });

    it('accepts remote TCP only when allowed', () => {
      assert.deepEqual(parseServeConfig(['--config', fixture('remote-allowed.yaml')], plain), {
        ...DEFAULTS,
        allowRemote: true,
        listen: [{ kind: 'tcp', host: '0.0.0.0', port: 9999 }],
      });
      assert.deepEqual(parseServeConfig(['--listen', 'http://10.1.2.3:80', '--allow-remote'], plain).listen, [{ kind: 'tcp', host: '10.1.2.3', port: 80 }]);
    });

    it('takes a file: URL as store', () => {
      assert.deepEqual(parseServeConfig(['--store', 'file:///etc/x/p.yaml'], plain).store, { kind: 'file', path: '/etc/x/p.yaml' });
    });

    it("takes a credentials directory as store, by default systemd's $CREDENTIALS_DIRECTORY", () => {
      const env = { CREDENTIALS_DIRECTORY: '/run/credentials/xprov.service' };
      assert.deepEqual(parseServeConfig(['--store', 'credentials:'], { ...plain, env }).store, { kind: 'credentials', dir: '/run/credentials/xprov.service' });
      assert.deepEqual(parseServeConfig(['--store', 'credentials:secrets'], { ...plain, env }).store, { kind: 'credentials', dir: '/srv/work/secrets' });
    });

    it('takes --max-connections and repeated --allowed-host (names and addresses, normalised)', () => {
      const config = parseServeConfig(
        ['--max-connections', '8', '--allowed-host', 'Gateway.Local.', '--allowed-host', '[fd00::1]', '--allowed-host', '10.0.0.5'],
        plain,
      );
      assert.equal(config.maxConnections, 8);
      assert.deepEqual(config.allowedHosts, ['gateway.local', 'fd00::1', '10.0.0.5']);
    });

    it('names every store form in the help of --store (issue 8: credentials: and dps: were missing)', () => {
      const usage = serveUsage();
      for (const form of ['file:', 'credentials:DIR', '$CREDENTIALS_DIRECTORY', 'dps:SETTINGS']) {
        assert.ok(usage.includes(form), `${form} missing from serve --help`);
      }
    });

    it('serves loosely permitted store files only when told to', () => {
      assert.equal(parseServeConfig(['--insecure-permissions'], plain).insecurePermissions, true);
    });
  });

  describe('bad fixtures', () => {
    const cases: [string, string[], RegExp][] = [
      ['unknown config key', ['--config', fixture('unknown-key.yaml')], /unknown setting "listenn"/],
      ['invalid YAML', ['--config', fixture('bad-yaml.yaml')], /: not valid YAML\/JSON \(\w+ at line \d+, column \d+\)/],
      ['unreadable config', ['--config', fixture('missing.yaml')], /^config file .*missing\.yaml does not exist$/],
      ['bad socket mode', ['--config', fixture('bad-mode.yaml')], /socketMode must be octal/],
      ['socket mode the owner cannot use', ['--socket-mode', '0066'], /owner read and write/],
      ['remote without --allow-remote', ['--config', fixture('remote.yaml')], /not a loopback address.*--allow-remote/],
      ['unknown flag', ['--lisen', 'x'], /Unknown option '--lisen'/],
      ['positional argument', ['extra'], /Unexpected argument 'extra'/],
      ['bad log level', ['--log-level', 'loud'], /logLevel must be one of: trace, debug/],
      ['bad timeout', ['--request-timeout-ms', '10s'], /requestTimeoutMs must be a positive whole number/],
      ['zero timeout', ['--headers-timeout-ms', '0'], /headersTimeoutMs must be a positive/],
      ['unknown store scheme', ['--store', 'vault://x'], /unknown scheme "vault:"/],
      ['credentials store without a directory', ['--store', 'credentials:'], /\$CREDENTIALS_DIRECTORY is not set/],
      ['empty store', ['--store', ''], /store must not be empty/],
      ['not a URL', ['--listen', 'localhost:9999'], /unsupported scheme localhost:/],
      ['https listener', ['--listen', 'https://127.0.0.1:1'], /plain HTTP only/],
      ['listener with a path', ['--listen', 'http://127.0.0.1:9999/prefix'], /must not have a path/],
      ['unix with a host', ['--listen', 'unix://run/x.sock'], /absolute path and no host/],
      ['unix without a file', ['--listen', 'unix:///run/'], /must name a file/],
      ['zero max connections', ['--max-connections', '0'], /maxConnections must be a positive whole number/],
      ['max connections not a number', ['--max-connections', 'lots'], /maxConnections must be a positive whole number/],
      [
        'allowed host with a port',
        ['--allowed-host', 'gateway.local:9999'],
        /allowedHosts: "gateway\.local:9999" is not a host name or address \(give it without scheme, port or path/,
      ],
      ['allowed host as a URL', ['--allowed-host', 'http://gateway.local'], /allowedHosts: "http:\/\/gateway\.local" is not a host name/],
      ['listener with a query', ['--listen', 'http://127.0.0.1:1/?a=b'], /must not have a user, query or fragment/],
    ];
    for (const [name, argv, expected] of cases) {
      it(`refuses ${name} with a one-line explanation`, () => {
        assert.match(configError(argv), expected);
      });
    }
  });

  describe('trust in the config file (it names the store)', () => {
    it('refuses one owned by nobody, or in a directory others can write, naming the fix', () => {
      const dir = tempDir();
      const file = path.join(dir, 'xprov.yaml');
      writeFileSync(file, 'logLevel: warn\n', { mode: 0o644 });
      chownSync(file, NOBODY, NOBODY);
      assert.equal(
        configError(['--config', file]),
        `config file ${file} has owner nobody (uid ${NOBODY}) and mode 0644 (not owned by root); fix: chown root ${file} (or run with --insecure-permissions)`,
      );
      chownSync(file, 0, 0);
      chmodSync(dir, 0o777);
      assert.match(
        configError(['--config', file]),
        new RegExp(
          `^config file ${file} is not trusted: directory ${dir} has owner root and mode 0777 .*; fix: chmod g-w,o-w ${dir} \\(or run with --insecure-permissions\\)$`,
        ),
      );
    });

    it('reads it anyway with the --insecure-permissions flag, telling why it is not trusted', () => {
      const file = path.join(tempDir(), 'xprov.yaml');
      writeFileSync(file, 'logLevel: warn\n', { mode: 0o666 });
      chmodSync(file, 0o666);
      const warnings: string[] = [];
      const config = parseServeConfig(['--config', file, '--insecure-permissions'], { ...plain, warn: (m) => warnings.push(m) });
      assert.equal(config.logLevel, 'warn');
      assert.deepEqual(warnings, [
        `config file ${file} has owner root and mode 0666 (writable by group, writable by others); fix: chmod g-w,o-w ${file}; read anyway (--insecure-permissions)`,
      ]);
    });

    it('a config file cannot waive the check for itself', () => {
      const file = path.join(tempDir(), 'xprov.yaml');
      writeFileSync(file, 'insecurePermissions: true\n', { mode: 0o666 });
      chmodSync(file, 0o666);
      assert.match(configError(['--config', file]), /writable by others.*\(or run with --insecure-permissions\)$/);
    });
  });

  it('documents every setting in the usage text', () => {
    const usage = serveUsage();
    for (const setting of SETTINGS) {
      assert.ok(usage.includes(`--${setting.flag}`), `--${setting.flag} missing from usage`);
    }
  });
});
