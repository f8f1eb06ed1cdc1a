/**
 * The registration result, persisted in the state directory so that DPS is not called
 * on every boot. Written atomically (store/atomic-write.ts: temp file, fsync, rename,
 * fsync of the directory) with mode 0600; the previous good file is kept as `.bak`. A checksum detects a file
 * that is corrupt or was only partly written; such a file is never used, the backup is
 * tried instead, and the store re-registers. The state holds no secret: the hub, the
 * device id and DPS's status, plus which registration it belongs to.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../store/atomic-write.js';
import type { RegistrationResult } from './client.js';

/** Identifies the registration a state belongs to; a changed config invalidates it. */
export interface RegistrationIdentity {
  readonly endpoint: string;
  readonly idScope: string;
  readonly registrationId: string;
}

/** A persisted registration result. */
export interface SavedRegistration {
  readonly identity: RegistrationIdentity;
  readonly result: RegistrationResult;
  /** When xprov received it (ISO 8601). */
  readonly registeredAt: string;
}

const FORMAT = 1;
const FILE = 'dps-registration.json';

function checksum(saved: SavedRegistration): string {
  return createHash('sha256').update(JSON.stringify([saved.identity, saved.result, saved.registeredAt])).digest('hex');
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Parses and verifies a state file's text; undefined when it is not a complete, intact state. */
function parseState(text: string): SavedRegistration | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const { format, identity, result, registeredAt, sha256 } = doc as Record<string, unknown>;
  if (format !== FORMAT || typeof identity !== 'object' || identity === null || typeof result !== 'object' || result === null || !isString(registeredAt)) {
    return undefined;
  }
  const id = identity as Record<string, unknown>;
  const res = result as Record<string, unknown>;
  if (!isString(id.endpoint) || !isString(id.idScope) || !isString(id.registrationId)) return undefined;
  if (!isString(res.assignedHub) || !isString(res.deviceId) || res.status !== 'assigned') return undefined;
  if (res.substatus !== undefined && !isString(res.substatus)) return undefined;
  const saved: SavedRegistration = {
    identity: { endpoint: id.endpoint, idScope: id.idScope, registrationId: id.registrationId },
    result: {
      assignedHub: res.assignedHub,
      deviceId: res.deviceId,
      status: 'assigned',
      ...(isString(res.substatus) ? { substatus: res.substatus } : {}),
      ...(isString(res.lastUpdatedDateTimeUtc) ? { lastUpdatedDateTimeUtc: res.lastUpdatedDateTimeUtc } : {}),
    },
    registeredAt,
  };
  return sha256 === checksum(saved) ? saved : undefined;
}

/** What loading found. */
export type LoadedState =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly saved: SavedRegistration; readonly fromBackup: boolean; readonly corruptPrimary: boolean }
  | { readonly kind: 'corrupt' };

/** Reads and writes the registration state in one directory. */
export class RegistrationState {
  readonly file: string;
  readonly backup: string;

  constructor(readonly dir: string) {
    this.file = path.join(dir, FILE);
    this.backup = `${this.file}.bak`;
  }

  /** The saved registration: the primary file, else the backup when the primary is corrupt or missing. */
  async load(): Promise<LoadedState> {
    const primaryText = await readFile(this.file, 'utf8').catch(() => undefined);
    const primary = primaryText === undefined ? undefined : parseState(primaryText);
    if (primary) {
      return { kind: 'ok', saved: primary, fromBackup: false, corruptPrimary: false };
    }
    const backupText = await readFile(this.backup, 'utf8').catch(() => undefined);
    const backup = backupText === undefined ? undefined : parseState(backupText);
    if (backup) {
      return { kind: 'ok', saved: backup, fromBackup: true, corruptPrimary: primaryText !== undefined };
    }
    return primaryText === undefined && backupText === undefined ? { kind: 'none' } : { kind: 'corrupt' };
  }

  /**
   * Saves `saved` atomically. The current file, if intact, first becomes the backup,
   * so that a crash at any point leaves at least one good state on disk.
   */
  async save(saved: SavedRegistration): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const current = await readFile(this.file, 'utf8').catch(() => undefined);
    if (current !== undefined && parseState(current)) {
      await writeFileAtomic(this.backup, current, { mode: 0o600, backup: false });
    }
    await writeFileAtomic(this.file, `${JSON.stringify({ format: FORMAT, ...saved, sha256: checksum(saved) }, null, 2)}\n`, { mode: 0o600, backup: false });
  }
}
