/**
 * `xprov store set --store tpm:INDEX...`: writes the document into a TPM NV index.
 *
 * The bytes to write are built first (a framed document, or the C# sample's
 * connection-string layout) and checked exactly as `xprov serve` will load them (the
 * same decoding, then the document pipeline); only then is the TPM touched. The index
 * is defined when missing: `--tpm-nv-size` bytes or the content's size, auth-read and
 * auth-write with the auth file's value (empty without one).
 *
 * A TPM writes an index in chunks (TPM2_PT_NV_BUFFER_MAX, 1024 bytes on most), so a
 * write cut by a power loss can leave part of the new content over the old: in
 * format=document the frame's checksum (store/tpm-frame.ts) makes such an index
 * unservable (503 until written again), never half-served. A connection string fits
 * one chunk, which the TPM writes atomically.
 */
import { type StoreLocation, formatNvIndex } from '../../config/store-location.js';
import { RefusedError, UsageError } from '../../errors.js';
import { loadSource } from '../../store/store-source.js';
import { connectionStringLayout } from '../../store/tpm-connection-string.js';
import { FRAME_HEADER_BYTES, frameDocument } from '../../store/tpm-frame.js';
import { checkAuthFile, decodeNvContent, type TpmTarget } from '../../store/tpm-store.js';
import { nvDefine, nvIndexMax, nvSize, nvWrite } from '../../store/tpm-tools.js';
import type { StoreDocument } from './documents.js';

/** What was written, for the command's report. */
export interface TpmWritten {
  readonly bytes: number;
  /** The size the index was defined with, when store set defined it. */
  readonly defined?: number;
  readonly warnings: readonly string[];
}

/** The connection string of a symmetric-key document, or a UsageError saying why the layout cannot hold it. */
function connectionString(doc: StoreDocument): string {
  const credentials = doc.credentials as Record<string, unknown>;
  if (credentials.authType !== 'symmetric-key' || credentials.source !== 'payload') {
    throw new UsageError(
      "format=connection-string holds a symmetric key only (the C# sample's layout): give a connection string or --key-file, or use format=document",
    );
  }
  if (doc.status !== undefined || doc.substatus !== undefined) {
    throw new UsageError('format=connection-string cannot hold --status or --substatus: use format=document');
  }
  return `HostName=${String(doc.hubName)};DeviceId=${String(doc.deviceId)};SharedAccessKey=${String(credentials.key)}`;
}

/** Why `needed` bytes do not fit `room`, with what to do instead (X.509: references to files). */
function tooLarge(doc: StoreDocument, needed: number, room: string): string {
  const credentials = doc.credentials as Record<string, unknown>;
  const inline = credentials.authType === 'x509' && credentials.source === 'payload' && credentials.identityCert !== undefined;
  const fix = inline
    ? 'the certificate and key are inline: give --by-path to store references to the PEM files instead (xprov then reads them at every load, trusted like a store file)'
    : 'write a shorter document, or store it in a file store';
  return `the content is ${needed} bytes and ${room}: ${fix}`;
}

/** Writes `doc` into the index `location` names, after checking it as serve would load it. */
export async function writeTpmStore(
  location: Extract<StoreLocation, { kind: 'tpm' }>,
  target: TpmTarget,
  doc: StoreDocument,
  options: { readonly insecurePermissions: boolean; readonly nvSize?: number },
): Promise<TpmWritten> {
  const index = formatNvIndex(location.index);
  if (target.authFile !== undefined) {
    const auth = await checkAuthFile(target.authFile, options.insecurePermissions);
    if (auth.problem !== undefined) {
      throw new RefusedError([auth.problem]);
    }
  }
  const text = location.format === 'connection-string' ? connectionString(doc) : JSON.stringify(doc);
  const needed = location.format === 'connection-string' ? Buffer.byteLength(text) : FRAME_HEADER_BYTES + Buffer.byteLength(text);
  const existing = await nvSize(target);
  if (existing !== undefined && options.nvSize !== undefined && options.nvSize !== existing) {
    throw new UsageError(
      `NV index ${index} is defined already, with ${existing} bytes: --tpm-nv-size applies only when store set defines it (tpm2_nvundefine ${index} first to change it)`,
    );
  }
  const size = existing ?? options.nvSize ?? needed;
  if (needed > size) {
    throw new RefusedError([tooLarge(doc, needed, existing === undefined ? `--tpm-nv-size is ${size}` : `NV index ${index} holds ${existing}`)]);
  }
  if (existing === undefined) {
    const max = await nvIndexMax(target.tcti);
    if (max !== undefined && needed > max) {
      throw new RefusedError([tooLarge(doc, needed, `this TPM's largest NV index is ${max} bytes`)]);
    }
    if (max !== undefined && size > max) {
      throw new UsageError(`--tpm-nv-size ${size} is more than this TPM's largest NV index, ${max} bytes`);
    }
  }
  // The connection string fills the whole index (the rest 0x00), so nothing of a longer string before survives.
  const bytes = location.format === 'connection-string' ? connectionStringLayout(text, size) : frameDocument(text);
  const outcome = await loadSource({
    label: `tpm:${index}`,
    baseDir: '/',
    insecurePermissions: options.insecurePermissions,
    read: async () => decodeNvContent(bytes, location),
  });
  if (!outcome.ok) {
    throw new RefusedError(outcome.problems);
  }
  if (existing === undefined) {
    await nvDefine(target, size);
  }
  await nvWrite(target, bytes);
  return { bytes: bytes.length, ...(existing === undefined ? { defined: size } : {}), warnings: outcome.warnings };
}
