import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TpmFailure, runTpmTool, tpmReason } from '../../src/store/tpm-tools.js';
import { tempDir } from '../support/tmp.js';

/** A stand-in for a tpm2 tool: a shell script `body`, in a fresh directory. */
function fakeTool(body: string): string {
  const file = path.join(tempDir(), 'tpm2_fake');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TpmFailure, String(err));
    return err.message;
  }
  assert.fail('expected a TpmFailure');
}

describe('tpm2-tools reasons', () => {
  it("names the TPM's response code and reason, with advice for the common ones", () => {
    const wrongAuth = [
      'WARN: Reading full size of the NV index',
      'ERROR:esys:src/tss2-esys/api/Esys_NV_Read.c:105:Esys_NV_Read() Esys Finish ErrorCode (0x0000098e) ',
      'ERROR: Esys_NV_Read(0x98E) - tpm:session(1):the authorization HMAC check failed and DA counter incremented',
      'ERROR: Failed to read NVRAM area at index 0x1000BB9',
    ].join('\n');
    assert.deepEqual(tpmReason(wrongAuth), {
      reason:
        'Esys_NV_Read answered 0x98E: tpm:session(1):the authorization HMAC check failed and DA counter incremented (wrong auth value (check the auth= file: its bytes are the auth, a trailing newline included))',
      rc: 0x98e,
    });
    assert.match(
      tpmReason('ERROR: Esys_TR_FromTPMPublic(0x18B) - tpm:handle(1):the handle is not correct for the use').reason,
      /\(the NV index is not defined/,
    );
    assert.match(
      tpmReason(
        'ERROR: Esys_NV_Read(0x921) - tpm:warn(2.0): authorizations for objects subject to DA protection are not allowed at this time because the TPM is in DA lockout mode',
      ).reason,
      /dictionary-attack lockout/,
    );
  });

  it('says when the TPM cannot be reached', () => {
    const refused = [
      'WARNING:tcti:src/util/io.c:262:socket_connect() Failed to connect to host 127.0.0.1, port 23950: errno 111: Connection refused ',
      'ERROR:tcti:src/tss2-tcti/tcti-swtpm.c:614:Tss2_Tcti_Swtpm_Init() Cannot connect to swtpm TPM socket ',
      'ERROR: Could not load tcti, got: "swtpm:host=127.0.0.1,port=23950"',
    ].join('\n');
    assert.deepEqual(tpmReason(refused), { reason: 'cannot reach the TPM (Cannot connect to swtpm TPM socket: Connection refused)', rc: undefined });
    const noDevice = [
      'ERROR:tcti:src/tss2-tcti/tcti-device.c:452:Tss2_Tcti_Device_Init() Failed to open specified TCTI device file /dev/tpmrm0: No such file or directory ',
      'ERROR:tcti:src/tss2-tcti/tctildr-dl.c:154:tcti_from_file() Could not initialize TCTI file: device ',
      'ERROR: Could not load tcti, got: "device:/dev/tpmrm0"',
    ].join('\n');
    assert.equal(tpmReason(noDevice).reason, 'cannot reach the TPM (Failed to open specified TCTI device file /dev/tpmrm0: No such file or directory)');
  });

  it('keeps reasons printable and short', () => {
    const { reason } = tpmReason(`ERROR: ${'\u001b[31m'}${'x'.repeat(1000)}`);
    assert.ok(reason.length <= 200 && !reason.includes('\u001b'));
  });

  describe('running a tool', () => {
    const limits = { timeoutMs: 300, maxOutputBytes: 1024 };

    it('kills a tool that hangs (a stuck resource manager), even one that ignores SIGTERM', async () => {
      const started = Date.now();
      const message = await failure(runTpmTool(fakeTool("trap '' TERM; exec sleep 30"), [], 'swtpm:port=1', undefined, limits));
      assert.match(message, /tpm2_fake got no answer from the TPM within 0\.3 s \(TCTI swtpm:port=1\)/);
      assert.ok(Date.now() - started < 5000);
    });

    it('stops reading a tool that prints without end', async () => {
      assert.match(await failure(runTpmTool(fakeTool('yes'), [], 'x', undefined, limits)), /printed more than 1024 bytes/);
    });

    it('says how to install a missing tool', async () => {
      assert.match(await failure(runTpmTool('/nonexistent/tpm2_nvread', [], 'x')), /is not installed \(Debian: apt-get install tpm2-tools\)/);
    });

    it('gives the tool its input on stdin and only PATH and the TCTI in its environment', async () => {
      process.env.XPROV_TEST_MARKER = 'must-not-reach-the-tools';
      try {
        const out = await runTpmTool(fakeTool('cat; env | cut -d= -f1 | grep -v "^PWD$" | sort'), [], 'device:/dev/tpmrm0', Buffer.from('data\n'), limits);
        assert.equal(out.toString('utf8'), 'data\nPATH\nTPM2TOOLS_TCTI\n');
      } finally {
        delete process.env.XPROV_TEST_MARKER;
      }
    });
  });
});
