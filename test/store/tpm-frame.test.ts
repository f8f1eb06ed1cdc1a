import assert from 'node:assert/strict';
import { FRAME_HEADER_BYTES, frameDocument, unframeDocument } from '../../src/store/tpm-frame.js';

const DOC = JSON.stringify({ hubName: 'h.azure-devices.net', deviceId: 'framed', credentials: { authType: 'symmetric-key', source: 'hsm' } });

describe('TPM document frame', () => {
  it('reads back exactly what it framed, whatever follows it in the index', () => {
    const framed = frameDocument(DOC);
    assert.equal(framed.length, FRAME_HEADER_BYTES + DOC.length);
    assert.deepEqual(unframeDocument(framed), { ok: true, text: DOC });
    assert.deepEqual(unframeDocument(Buffer.concat([framed, Buffer.alloc(100, 0xff)])), { ok: true, text: DOC });
  });

  it('refuses a torn write: a new header over a shorter or different body', () => {
    const framed = frameDocument(DOC);
    const old = frameDocument(DOC.replace('framed', 'oldone'));
    const torn = Buffer.concat([framed.subarray(0, 1024 > framed.length ? 50 : 1024), old.subarray(50)]);
    assert.match(String((unframeDocument(torn) as { problem?: string }).problem), /checksum does not match \(a torn write\?\)/);
    assert.match(String((unframeDocument(framed.subarray(0, framed.length - 1)) as { problem?: string }).problem), /longer than the index/);
  });

  it('refuses blank, foreign and future content, saying which', () => {
    const problem = (bytes: Buffer): string => String((unframeDocument(bytes) as { problem?: string }).problem);
    assert.match(problem(Buffer.alloc(150, 0xff)), /^is blank/);
    assert.match(problem(Buffer.alloc(150, 0x00)), /^is blank/);
    assert.match(problem(Buffer.from('HostName=h;DeviceId=d;SharedAccessKey=k')), /holds a connection string.*format=connection-string/);
    assert.match(problem(Buffer.from('{"hubName":"h"}'.padEnd(60))), /no XPRV frame/);
    const future = frameDocument(DOC);
    future[4] = 2;
    assert.match(problem(future), /frame version 2, which this xprov does not read/);
  });
});
