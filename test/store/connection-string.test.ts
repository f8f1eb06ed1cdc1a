import assert from 'node:assert/strict';
import { parseDeviceConnectionString } from '../../src/store/connection-string.js';

const KEY = 'Y29ubmVjdGlvbi1zdHJpbmctdGVzdC1rZXk=';

function problem(text: string): string {
  const parsed = parseDeviceConnectionString(text);
  assert.equal(parsed.ok, false);
  const message = parsed.ok ? '' : parsed.problem;
  assert.ok(!message.includes(KEY), 'a problem quotes the key');
  return message;
}

describe('device connection strings', () => {
  it("read a device's hub, id and key, whatever the order, ignoring a trailing ; and newline", () => {
    assert.deepEqual(parseDeviceConnectionString(`DeviceId=dev1;SharedAccessKey=${KEY};HostName=hub.azure-devices.net;\n`), {
      ok: true,
      value: { hubName: 'hub.azure-devices.net', deviceId: 'dev1', key: KEY },
    });
  });

  it('refuse other kinds of connection strings, saying what to use instead', () => {
    assert.match(problem(`HostName=h;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`), /SharedAccessKeyName: it is a hub's access policy/);
    assert.match(problem(`HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=${KEY}`), /ModuleId: it is a module's connection string/);
    assert.match(problem('HostName=h;DeviceId=d;x509=true'), /x509: it is an X\.509 device; use --cert and --private-key/);
    assert.match(problem(`HostName=h;DeviceId=d;SharedAccessSignature=SharedAccessSignature sr=h&sig=${KEY}`), /SharedAccessSignature: it holds a SAS token/);
    assert.match(problem(`HostName=h;DeviceId=d;SharedAccessKey=${KEY};GatewayHostName=gw`), /GatewayHostName: it connects through a gateway/);
  });

  it('name missing, repeated and unknown parts, never values', () => {
    assert.equal(problem('HostName=h'), 'the connection string lacks DeviceId, SharedAccessKey');
    assert.equal(problem(`HostName=h;HostName=h;DeviceId=d;SharedAccessKey=${KEY}`), 'the connection string has HostName twice');
    assert.equal(
      problem(`HostName=h;DeviceId=d;SharedAccessKey=${KEY};Hub=x`),
      'the connection string has an unknown part Hub (expected HostName, DeviceId, SharedAccessKey)',
    );
    assert.equal(problem(`HostName=h;DeviceId=d;${KEY}=x`), 'the connection string has an unknown part (expected HostName, DeviceId, SharedAccessKey)');
    // A stray ; before the key makes the key a part's name: it must not be shown, even when it fits a name's characters.
    const lettersAndDigits = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA';
    const stray = parseDeviceConnectionString(`HostName=h;DeviceId=d;SharedAccessKey=;${lettersAndDigits}==`);
    assert.deepEqual(stray, { ok: false, problem: 'the connection string has an unknown part (expected HostName, DeviceId, SharedAccessKey)' });
    assert.equal(problem('not a connection string'), 'the connection string must be Name=value parts separated by ;');
  });
});
