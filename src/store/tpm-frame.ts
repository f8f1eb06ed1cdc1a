/**
 * The frame around a store document in a TPM NV index (`format=document`), so that
 * what is read back is exactly what `xprov store set` wrote, or is refused:
 *
 * | bytes | what |
 * | --- | --- |
 * | 0-3 | magic `XPRV` |
 * | 4 | version, 1 |
 * | 5-8 | length of the document, big-endian |
 * | 9-40 | SHA-256 of the document |
 * | 41- | the document (UTF-8 YAML or JSON), then whatever the index held (ignored) |
 *
 * A foreign content (another program's, the C# sample's connection string, an index
 * never written: 0xFF) has no magic; a torn write (tpm2_nvwrite writes in chunks of
 * TPM2_PT_NV_BUFFER_MAX, 1024 bytes on most TPMs, and a power cut can stop it between
 * two) leaves a new header over an old or partial document, which the checksum refuses.
 * The header is in the first chunk, so a write cut before it completes leaves the
 * previous document whole.
 */
import { createHash } from 'node:crypto';

const MAGIC = Buffer.from('XPRV', 'ascii');
const VERSION = 1;
/** Bytes before the document. */
export const FRAME_HEADER_BYTES = 4 + 1 + 4 + 32;

/** The framed bytes of `document`. */
export function frameDocument(document: string): Buffer {
  const body = Buffer.from(document, 'utf8');
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(VERSION, 4);
  header.writeUInt32BE(body.length, 5);
  createHash('sha256').update(body).digest().copy(header, 9);
  return Buffer.concat([header, body]);
}

/** The document in `bytes` (a whole NV index), or why there is none. Problems follow "NV index X ". */
export function unframeDocument(bytes: Buffer): { readonly ok: true; readonly text: string } | { readonly ok: false; readonly problem: string } {
  if (bytes.length < FRAME_HEADER_BYTES || !bytes.subarray(0, 4).equals(MAGIC)) {
    const blank = bytes.every((b) => b === 0xff) || bytes.every((b) => b === 0x00);
    return {
      ok: false,
      problem: blank
        ? 'is blank (never written, or erased): write it with xprov store set'
        : /^HostName=/.test(bytes.subarray(0, 9).toString('latin1'))
          ? 'holds a connection string, not an xprov document: use ?format=connection-string'
          : "does not hold an xprov document (no XPRV frame): write it with xprov store set, or use ?format=connection-string for the C# sample's layout",
    };
  }
  const version = bytes.readUInt8(4);
  if (version !== VERSION) {
    return { ok: false, problem: `holds an xprov document of frame version ${version}, which this xprov does not read (it reads version ${VERSION})` };
  }
  const length = bytes.readUInt32BE(5);
  if (length > bytes.length - FRAME_HEADER_BYTES) {
    return {
      ok: false,
      problem: `holds a document frame of ${length} bytes, longer than the index (${bytes.length} bytes): torn or foreign content, write it again with xprov store set`,
    };
  }
  const body = bytes.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
  if (!createHash('sha256').update(body).digest().equals(bytes.subarray(9, FRAME_HEADER_BYTES))) {
    return { ok: false, problem: 'holds a document whose checksum does not match (a torn write?): write it again with xprov store set' };
  }
  return { ok: true, text: body.toString('utf8') };
}
