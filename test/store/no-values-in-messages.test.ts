/**
 * The attack of issue 8 item 7: a store with a typo that makes a secret part of a key
 * (`key:SECRET`, the space after the colon missing) or of a name. Whatever the typo,
 * the secret must appear in no message: not in the store's problem, not in the log,
 * not in the 503 body the daemon gets, not in `xprov store validate` or `show`.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadDpsSettings } from '../../src/dps/settings.js';
import { FileStore } from '../../src/store/file-store.js';
import { runCommand } from '../support/cli-run.js';
import { API_VERSION_QUERY, daemonRequest } from '../support/daemon-client.js';
import { serveInProcess } from '../support/in-process.js';
import { captureLog } from '../support/log-capture.js';
import { registerSecret } from '../support/secrets.js';
import { unavailable } from '../support/store-checks.js';
import { tempDir } from '../support/tmp.js';

/** A key as the portal gives them (base64 of 32 bytes), and a marker to search for. */
const SECRET = Buffer.from('no-values-in-messages: SECRET!!!').toString('base64');
registerSecret(SECRET);
/** A part of it, as a message truncating the key would still carry. */
const SECRET_PART = SECRET.slice(0, 12);

/** A valid key that is not the one under attack, so that only the typo is wrong. */
const OTHER_KEY = Buffer.from('no-values-in-messages: other key').toString('base64');
registerSecret(OTHER_KEY);

const HEAD = 'hubName: hub.azure-devices.net\ndeviceId: dev1\n';

/** Typos that turn the secret into a key or fold it into a name, and where each is reported. */
const TYPOS: readonly (readonly [string, string, RegExp])[] = [
  [
    'a missing space after the colon',
    `${HEAD}credentials:\n  authType: symmetric-key\n  source: payload\n  key:${SECRET}\n`,
    /^not valid YAML\/JSON \(\w+ at line 6, column 3\)$/,
  ],
  [
    'a missing space in a flow mapping',
    `${HEAD}credentials: {authType: symmetric-key, source: payload, key:${SECRET}}\n`,
    /^credentials has an unknown field at line 3, column 57 \(its name is not shown, 48 characters: it may hold a value\)$/,
  ],
  [
    'a missing space and a stray colon at the end',
    `${HEAD}credentials:\n  authType: symmetric-key\n  source: payload\n  key:${SECRET}:\n`,
    /^credentials has an unknown field at line 6, column 3 \(its name is not shown, 48 characters: it may hold a value\)$/,
  ],
  [
    'the secret as a key of its own',
    `${HEAD}credentials:\n  authType: symmetric-key\n  source: payload\n  ${SECRET}: key\n`,
    /^credentials has an unknown field at line 6, column 3 \(its name is not shown, 44 characters/,
  ],
  [
    'the secret on the line below a name',
    `hubName: hub.azure-devices.net\ndeviceId: dev1\n  ${SECRET}\ncredentials:\n  authType: symmetric-key\n  source: payload\n  key: ${OTHER_KEY}\n`,
    /^deviceId must not contain spaces, line breaks or control characters \(line 2, column 11\)$/,
  ],
];

function writeStore(text: string): string {
  const file = path.join(tempDir(), 'provisioning.yaml');
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function assertNoSecret(text: string, where: string): void {
  assert.ok(!text.includes(SECRET_PART), `${where} carries (a part of) the secret: ${text.replaceAll(SECRET_PART, '<HERE>')}`);
}

describe('no value from a store reaches a message', () => {
  for (const [name, text, reported] of TYPOS) {
    describe(name, () => {
      it('the file store names the field and the position, never the secret, in its answer and its log', async () => {
        const { log, lines } = captureLog();
        const store = await FileStore.open(writeStore(text), log, { watch: false });
        try {
          const message = await unavailable(store);
          assertNoSecret(message, 'the answer');
          const problem = message.replace(/^no valid provisioning information: store [^:]+: /, '');
          assert.match(problem, reported);
          await assert.rejects(store.reprovision(), (err: Error) => {
            assertNoSecret(err.message, 'the reprovision error');
            return true;
          });
          assertNoSecret(JSON.stringify(lines()), 'the log');
        } finally {
          await store.close();
        }
      });

      it('the 503 body the daemon gets carries no secret', async () => {
        const store = await FileStore.open(writeStore(text), captureLog().log, { watch: false });
        const server = await serveInProcess(store);
        try {
          const res = await daemonRequest(server.endpoint, 'GET', `/device/provisioninginformation${API_VERSION_QUERY}`);
          assert.equal(res.status, 503);
          assertNoSecret(res.body.toString('utf8'), 'the 503 body');
          assertNoSecret(JSON.stringify(server.captured.lines()), 'the server log');
        } finally {
          await server.close();
          await store.close();
        }
      });

      it('xprov store validate and show name the problem, never the secret', async () => {
        const file = writeStore(text);
        const validate = await runCommand(['store', 'validate', '--store', file]);
        assert.equal(validate.code, 1);
        assert.match(validate.stderr, new RegExp(`\\n  ${reported.source.replace(/^\^/, '').replace(/\$$/, '')}`));
        assertNoSecret(validate.stdout + validate.stderr, 'store validate');
        const show = await runCommand(['store', 'show', '--store', file]);
        assertNoSecret(show.stdout + show.stderr, 'store show');
      });
    });
  }

  it('xprov store show does not show what a misspelt field holds, however short', async () => {
    const pin = 'short-pin-0000000';
    const file = writeStore(`${HEAD}credentials:\n  authType: symmetric-key\n  source: payload\n  kye: ${pin}\nstatuss: ${pin}\n`);
    const show = await runCommand(['store', 'show', '--store', file]);
    assert.equal(show.code, 0);
    assert.equal(show.stdout.includes(pin), false, show.stdout);
    assert.match(show.stdout, /^ {2}kye: "<not shown: not a known field>"$/m);
    assert.match(show.stdout, /^statuss: "<not shown: not a known field>"$/m);
  });

  it('still names a misspelt field that looks like one, with its position', async () => {
    const store = await FileStore.open(writeStore(`${HEAD}credentials:\n  authType: symmetric-key\n  source: payload\n  kye: ${SECRET}\n`), captureLog().log, {
      watch: false,
    });
    try {
      assert.match(await unavailable(store), /: credentials\.kye is not a known field \(line 6, column 3\)$/);
    } finally {
      await store.close();
    }
  });

  it('DPS settings name an unknown setting only when it looks like one', () => {
    const file = path.join(tempDir(), 'dps.yaml');
    writeFileSync(file, `{idScope: 0ne00000000, registrationId: dev1, attestation: {type: symmetricKey}, key:${SECRET}}\n`, { mode: 0o600 });
    assert.throws(
      () => loadDpsSettings(file),
      (err: Error) => {
        assertNoSecret(err.message, 'the settings error');
        return /: unknown setting \(not shown: 48 characters\) \(known: /.test(err.message);
      },
    );
  });
});
