/**
 * The registration result, persisted in the state directory so that DPS is not called
 * on every boot. Written atomically (files/atomic-write.ts: temp file, fsync, rename,
 * fsync of the directory) with mode 0600; the previous good file is kept as `.bak`. A checksum detects a file
 * that is corrupt or was only partly written; such a file is never used, the backup is
 * tried instead, and the store re-registers. The assignment in it is checked again on
 * load with the rules applied to DPS's answer (assignment-rules.ts): a file that breaks
 * them counts as corrupt, whoever wrote it. The state holds no secret: the hub, the
 * device id and DPS's status, plus which registration it belongs to. But it picks the
 * hub that is served with the real key, so the directory and the files must be
 * trusted (files/trust.ts): a state forged in a directory others can write is refused.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { INSECURE_HINT, checkDirectory, readTrustedFile } from '../files/trust.js';
import { checkAssignment } from './assignment-rules.js';
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
/** A state is a few hundred bytes; larger files are refused unread. */
const MAX_STATE_BYTES = 64 * 1024;

/** Options of RegistrationState. */
export interface RegistrationStateOptions {
  /** Use a state directory or file that is not trusted, with a warning (--insecure-permissions). */
  readonly insecurePermissions?: boolean;
  /** Told why the directory or a file is used although it is not trusted. */
  readonly warn?: (message: string) => void;
}

function checksum(saved: SavedRegistration): string {
  return createHash('sha256')
    .update(JSON.stringify([saved.identity, saved.result, saved.registeredAt]))
    .digest('hex');
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** A state file's text, parsed and verified, or why it cannot be used (no value quoted). */
type ParsedState = { readonly ok: true; readonly saved: SavedRegistration } | { readonly ok: false; readonly problem: string };

/** Parses and verifies a state file's text. */
function parseState(text: string): ParsedState {
  const bad = (problem: string): ParsedState => ({ ok: false, problem });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return bad('not valid JSON (partly written?)');
  }
  if (typeof doc !== 'object' || doc === null) return bad('not a JSON object');
  const { format, identity, result, registeredAt, sha256 } = doc as Record<string, unknown>;
  if (format !== FORMAT || typeof identity !== 'object' || identity === null || typeof result !== 'object' || result === null || !isString(registeredAt)) {
    return bad(`not a format ${FORMAT} state (format, identity, result, registeredAt)`);
  }
  const id = identity as Record<string, unknown>;
  if (!isString(id.endpoint) || !isString(id.idScope) || !isString(id.registrationId)) return bad('identity lacks endpoint, idScope or registrationId');
  const checked = checkAssignment(result as Record<string, unknown>);
  if (!checked.ok) return bad(`result breaks the assignment rules: ${checked.problems.join('; ')}`);
  const saved: SavedRegistration = {
    identity: { endpoint: id.endpoint, idScope: id.idScope, registrationId: id.registrationId },
    result: checked.assignment,
    registeredAt,
  };
  return sha256 === checksum(saved) ? { ok: true, saved } : bad('checksum mismatch');
}

/** What loading found; `problem` says why a file present could not be used. */
export type LoadedState =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly saved: SavedRegistration; readonly fromBackup: boolean; readonly corruptPrimary: boolean; readonly problem?: string }
  | { readonly kind: 'corrupt'; readonly problem: string };

/** Reads and writes the registration state in one directory. */
export class RegistrationState {
  readonly file: string;
  readonly backup: string;

  constructor(
    readonly dir: string,
    readonly options: RegistrationStateOptions = {},
  ) {
    this.file = path.join(dir, FILE);
    this.backup = `${this.file}.bak`;
  }

  /**
   * The saved registration: the primary file, else the backup when the primary is
   * corrupt or missing. Throws ConfigError when the directory or a file is not trusted
   * or not a regular file: what it says cannot be believed, nor can a new one be kept there.
   */
  async load(): Promise<LoadedState> {
    if (this.#checkDir() === 'missing') {
      return { kind: 'none' };
    }
    const primaryText = await this.#read(this.file, true);
    const primary = primaryText === undefined ? undefined : parseState(primaryText);
    if (primary?.ok) {
      return { kind: 'ok', saved: primary.saved, fromBackup: false, corruptPrimary: false };
    }
    const backupText = await this.#read(this.backup, true);
    const backup = backupText === undefined ? undefined : parseState(backupText);
    const problem = [primary && !primary.ok ? `${FILE}: ${primary.problem}` : undefined, backup && !backup.ok ? `${FILE}.bak: ${backup.problem}` : undefined]
      .filter((p) => p !== undefined)
      .join('; ');
    if (backup?.ok) {
      return { kind: 'ok', saved: backup.saved, fromBackup: true, corruptPrimary: primaryText !== undefined, ...(problem ? { problem } : {}) };
    }
    return primaryText === undefined && backupText === undefined ? { kind: 'none' } : { kind: 'corrupt', problem };
  }

  /**
   * Saves `saved` atomically. The current file, if intact, first becomes the backup,
   * so that a crash at any point leaves at least one good state on disk.
   */
  async save(saved: SavedRegistration): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.#checkDir();
    // A current file that cannot be trusted is not worth keeping as the backup.
    const current = await this.#read(this.file, false);
    if (current !== undefined && parseState(current).ok) {
      await writeFileAtomic(this.backup, current, { mode: 0o600, backup: false });
    }
    await writeFileAtomic(this.file, `${JSON.stringify({ format: FORMAT, ...saved, sha256: checksum(saved) }, null, 2)}\n`, { mode: 0o600, backup: false });
  }

  /** Throws ConfigError unless the directory is trusted (or insecurePermissions waives it); 'missing' when it does not exist. */
  #checkDir(): 'missing' | undefined {
    const checked = checkDirectory(this.dir);
    if (!checked.ok) {
      if (checked.missing) return 'missing';
      throw new ConfigError(`DPS state directory ${this.dir} ${checked.problem}`);
    }
    if (checked.untrusted !== undefined) {
      if (this.options.insecurePermissions !== true) throw new ConfigError(`DPS state directory ${this.dir} ${checked.untrusted}${INSECURE_HINT}`);
      this.options.warn?.(`DPS state directory ${this.dir} ${checked.untrusted}; used anyway (--insecure-permissions)`);
    }
    return undefined;
  }

  /** A state file's text; undefined when it is missing; otherwise a ConfigError when `strict`, else undefined. */
  async #read(file: string, strict: boolean): Promise<string | undefined> {
    const read = await readTrustedFile(file, { role: 'public', maxBytes: MAX_STATE_BYTES, insecure: this.options.insecurePermissions === true });
    if (read.ok) {
      if (read.untrusted !== undefined && strict) this.options.warn?.(`DPS state file ${file} ${read.untrusted}; used anyway (--insecure-permissions)`);
      return read.text;
    }
    if (read.missing || !strict) return undefined;
    throw new ConfigError(`DPS state file ${file} ${read.problem}`);
  }
}
