/**
 * The secrets scan: every byte xprov printed during the test run (its processes'
 * stdout and stderr, in-process logs) is recorded here, and a root hook checks at the
 * end that none of the secrets the tests used appears in it, in any encoding a log
 * could carry it in.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { example } from './paths.js';

const outputs: { source: string; text: string }[] = [];
const secrets = new Set<string>();

/** Records output of xprov for the final scan. */
export function recordOutput(source: string, text: string): void {
  outputs.push({ source, text });
}

/** Everything recorded so far (for the tests of the helpers that record it). */
export function recordedOutput(): readonly { readonly source: string; readonly text: string }[] {
  return outputs;
}

/** Registers a secret the tests handed to xprov (a key, base64 of PEM, PEM text). */
export function registerSecret(secret: string): void {
  if (secret.length < 16) {
    throw new Error('register secrets of at least 16 characters (shorter ones match by chance)');
  }
  secrets.add(secret);
  secrets.add(Buffer.from(secret).toString('base64'));
  if (/^[A-Za-z0-9+/]+=*$/.test(secret)) {
    const decoded = Buffer.from(secret, 'base64').toString('utf8');
    if (decoded.length >= 16) {
      secrets.add(decoded);
    }
  }
  // PEM bodies: a line of base64 from the middle of the text is enough to find it.
  for (const line of secret.split('\n')) {
    if (/^[A-Za-z0-9+/]{40,}$/.test(line)) {
      secrets.add(line);
    }
  }
}

/** The secrets of the example stores, registered for every run. */
function registerExampleSecrets(): void {
  const payload = readFileSync(example('symmetric-key-payload.yaml'), 'utf8');
  const key = /key: (\S+)/.exec(payload)?.[1];
  assert.ok(key, 'example key not found');
  registerSecret(key);
  registerSecret(readFileSync(example('x509/example-device.key.pem'), 'utf8'));
  const x509 = JSON.parse(readFileSync(example('x509-payload.json'), 'utf8')) as { credentials: { identityPrivateKey: string } };
  registerSecret(x509.credentials.identityPrivateKey);
}
registerExampleSecrets();

// Root hook: runs once after every test of the run.
after(function secretsScan() {
  const leaks: string[] = [];
  for (const { source, text } of outputs) {
    for (const secret of secrets) {
      if (text.includes(secret)) {
        leaks.push(`${source}: a registered secret (${secret.length} chars) appears in the output`);
      }
    }
  }
  assert.equal(outputs.length > 0, true, 'the secrets scan saw no output at all: is output being recorded?');
  assert.deepEqual(leaks, [], 'secrets leaked into xprov output');
});
