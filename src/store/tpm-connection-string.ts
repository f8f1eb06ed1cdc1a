/**
 * The C# sample's layout of an NV index (`format=connection-string`; ksaye's
 * IoTDemonstrations, storestringinTPM): an ASCII device connection string
 * (`HostName=...;DeviceId=...;SharedAccessKey=...`) at the start of a fixed-size index
 * (0x01000BB9, 150 bytes in the sample), the rest 0x00 or 0xFF (bytes never written
 * read 0xFF). The sample splits the whole index on `;` and `=` by position, which drops
 * the base64 `=` padding of the key and appends the unwritten tail to it; here the
 * string ends at the first 0x00 or 0xFF and is parsed by name, so the key is served
 * exactly as written, padding included.
 */
import { parseDeviceConnectionString } from './connection-string.js';

/** The store document the index holds, or why there is none. Problems follow "NV index X " and never quote content. */
export function readConnectionStringLayout(bytes: Buffer): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string } {
  let end = bytes.findIndex((b) => b === 0x00 || b === 0xff);
  if (end < 0) {
    end = bytes.length;
  }
  if (end === 0) {
    return { ok: false, problem: 'is blank (never written, or erased): write the connection string with xprov store set' };
  }
  const text = bytes.subarray(0, end);
  if (!text.every((b) => b >= 0x20 && b < 0x7f)) {
    return { ok: false, problem: 'does not start with an ASCII connection string (format=connection-string); an xprov document is read with format=document' };
  }
  if (!bytes.subarray(end).every((b) => b === 0x00 || b === 0xff)) {
    return {
      ok: false,
      problem: `holds other bytes after its connection string, at offset ${end + bytes.subarray(end).findIndex((b) => b !== 0x00 && b !== 0xff)} (the tail of a longer string written before?): write the whole index again with xprov store set`,
    };
  }
  const parsed = parseDeviceConnectionString(text.toString('ascii'));
  if (!parsed.ok) {
    return { ok: false, problem: `holds a string that is not a device connection string: ${parsed.problem}` };
  }
  const { hubName, deviceId, key } = parsed.value;
  return { ok: true, value: { hubName, deviceId, credentials: { authType: 'symmetric-key', source: 'payload', key } } };
}

/** The bytes of an index of `size` bytes holding `connectionString`, the rest 0x00 (so nothing of a longer string before survives). */
export function connectionStringLayout(connectionString: string, size: number): Buffer {
  const bytes = Buffer.alloc(size, 0x00);
  bytes.write(connectionString, 0, 'ascii');
  return bytes;
}
