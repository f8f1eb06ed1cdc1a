import assert from 'node:assert/strict';
import { connectionStringLayout, readConnectionStringLayout } from '../../src/store/tpm-connection-string.js';
import { registerSecret } from '../support/secrets.js';

/** Base64 ending in `==`: the padding the C# sample drops. */
const KEY = Buffer.from('tpm-layout-test-key-not-secret!').toString('base64');
registerSecret(KEY);
const CS = `HostName=hub.azure-devices.net;DeviceId=dev;SharedAccessKey=${KEY}`;

function problem(bytes: Buffer): string {
  const read = readConnectionStringLayout(bytes);
  assert.ok(!read.ok);
  return read.problem;
}

describe("TPM connection-string layout (the C# sample's)", () => {
  it('keeps the key exactly, its = padding included, whether the rest is 0xFF (never written) or 0x00', () => {
    assert.ok(KEY.endsWith('=='));
    const expected = { hubName: 'hub.azure-devices.net', deviceId: 'dev', credentials: { authType: 'symmetric-key', source: 'payload', key: KEY } };
    for (const fill of [0xff, 0x00]) {
      const bytes = Buffer.alloc(150, fill);
      bytes.write(CS, 0, 'ascii');
      assert.deepEqual(readConnectionStringLayout(bytes), { ok: true, value: expected });
    }
    assert.deepEqual(readConnectionStringLayout(connectionStringLayout(CS, 150)), { ok: true, value: expected });
    assert.deepEqual(readConnectionStringLayout(Buffer.from(CS)), { ok: true, value: expected });
  });

  it('refuses the tail of a longer string written before, which the sample would append to the key', () => {
    const bytes = Buffer.alloc(150, 0xff);
    bytes.write(`${CS}ABCDEFGH`, 0, 'ascii');
    bytes[CS.length] = 0x00;
    assert.match(problem(bytes), new RegExp(`holds other bytes after its connection string, at offset ${CS.length + 1}`));
    assert.ok(!problem(bytes).includes(KEY));
  });

  it('refuses blank and non-ASCII content, and strings that are not a device connection string, naming no value', () => {
    assert.match(problem(Buffer.alloc(150, 0xff)), /^is blank/);
    assert.match(problem(Buffer.from([0x58, 0x50, 0x52, 0x56, 0x01, 0x00, 0x00, 0x00, 0x10])), /does not start with an ASCII connection string/);
    const policy = `HostName=h.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`;
    const message = problem(Buffer.from(policy));
    assert.match(message, /not a device connection string: .*access policy/);
    assert.ok(!message.includes(KEY));
  });

  it('writes the whole index: the string, then 0x00 to its size', () => {
    const bytes = connectionStringLayout(CS, 150);
    assert.equal(bytes.length, 150);
    assert.equal(bytes.toString('ascii', 0, CS.length), CS);
    assert.ok(bytes.subarray(CS.length).every((b) => b === 0));
  });
});
