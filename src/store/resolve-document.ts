/**
 * From a checked store document (document.ts) to what is served: the PEM files it
 * references are read (their current content, so that certificates rotated by other
 * tools are served as they are now) and base64-encoded, as the daemon expects. The
 * result is what the daemon's rules and the identity checks (daemonFindings) and, for
 * hsm references, the plausibility checks (hsm-references.ts) then judge.
 */
import path from 'node:path';
import { INLINE_SOURCES, type IdentitySources, daemonFindings } from '../contract/daemon-rules.js';
import type { Credentials, DeviceProvisioningInfo, StoreDocument } from '../contract/types.js';
import type { PemSource, ValidityWindow } from '../contract/x509-checks.js';
import { FILE_FIELDS } from './document.js';
import { hsmReferenceFindings } from './hsm-references.js';
import { readStoreFile } from './read-store-file.js';

/** Options of resolveStoreDocument. */
export interface ResolveOptions {
  /** The directory relative file references are relative to (the store file's). */
  readonly baseDir: string;
  /** Serve files whose permissions are too open, with a warning. */
  readonly insecurePermissions: boolean;
  /** The time certificates are checked against (epoch ms); now by default. */
  readonly now?: number;
}

/** What can be served, and what to tell about it. */
export interface Servable {
  readonly info: DeviceProvisioningInfo;
  /** For the log, once per change: nothing here stops serving. */
  readonly warnings: readonly string[];
  /** A description of hsm references, for `xprov store validate`. */
  readonly notes: readonly string[];
  /** When an x509 payload identity is valid; checked again at every answer. */
  readonly validity?: ValidityWindow;
}

/** What can be served, or every reason it cannot; either way, the referenced files read (absolute paths). */
export type Resolved =
  | ({ readonly ok: true; readonly files: readonly string[] } & Servable)
  | { readonly ok: false; readonly problems: readonly string[]; readonly files: readonly string[] };

/** Resolves `doc`; never throws. */
export async function resolveStoreDocument(doc: StoreDocument, options: ResolveOptions): Promise<Resolved> {
  const { identityCertFile: _cert, identityPrivateKeyFile: _key, ...inline } = doc.credentials;
  const credentials: Credentials = inline;
  const sources: { -readonly [F in keyof IdentitySources]?: PemSource } = {};
  const files: string[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const [field, fileField] of FILE_FIELDS) {
    const reference = doc.credentials[fileField];
    if (reference === undefined) {
      continue;
    }
    const file = path.resolve(options.baseDir, reference);
    files.push(file);
    const label = `credentials.${fileField} (${file})`;
    // A certificate is public; only the key's file must be unreadable by others.
    const role = field === 'identityPrivateKey' ? 'secret' : 'public';
    const read = await readStoreFile(file, { role, insecurePermissions: options.insecurePermissions });
    if (!read.ok) {
      problems.push(`${label} ${read.problem}`);
      continue;
    }
    if (read.permissionWarning !== undefined) {
      warnings.push(`${label} ${read.permissionWarning}`);
    }
    credentials[field] = Buffer.from(read.text, 'utf8').toString('base64');
    sources[field] = { label, encoded: false };
  }
  if (problems.length > 0) {
    return { ok: false, problems, files };
  }
  const info: DeviceProvisioningInfo = { ...doc, credentials };
  const findings = daemonFindings(info, {
    ...(options.now === undefined ? {} : { now: options.now }),
    sources: { ...INLINE_SOURCES, ...sources },
  });
  problems.push(...findings.problems);
  warnings.push(...findings.warnings);
  let notes: string[] = [];
  if (credentials.authType === 'x509' && credentials.source === 'hsm' && problems.length === 0) {
    const references = await hsmReferenceFindings(credentials);
    problems.push(...references.problems);
    warnings.push(...references.warnings);
    notes = references.notes;
  }
  if (problems.length > 0) {
    return { ok: false, problems, files };
  }
  return { ok: true, info, warnings, notes, files, ...(findings.validity === undefined ? {} : { validity: findings.validity }) };
}
