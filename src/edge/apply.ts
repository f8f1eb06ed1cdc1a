/**
 * Applies an EdgePlan: each file whose content, mode or owner differs is replaced
 * atomically (src/files/atomic-write.ts), 0600, owned by the service user that reads
 * it; managed files the plan does not want are removed. Nothing differs: nothing is
 * touched, so that a boot with the same answer restarts nothing.
 */
import { lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { checkDirectory } from '../files/trust.js';
import type { EdgePlan, PlannedFile } from './plan.js';

/** The mode of every file xprov writes for aziot (apply writes its drop-ins and keys 0600 too). */
export const FILE_MODE = 0o600;

/** What changed: the paths written and removed. */
export interface ApplyResult {
  readonly written: readonly string[];
  readonly removed: readonly string[];
}

/** A drop-in or secret file is small; anything larger is not ours and is replaced. */
const MAX_COMPARED_BYTES = 1024 * 1024;

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * True when `file` already is exactly what the plan wants (a regular file, same bytes,
 * mode and owner). Anything there that is not a regular file (a planted symbolic link,
 * which the atomic write would follow and replace the target of) is refused.
 */
async function upToDate(file: PlannedFile): Promise<boolean> {
  try {
    const stats = await lstat(file.path);
    if (!stats.isFile()) {
      throw new ConfigError(`${file.path} exists and is not a regular file (a symbolic link?): xprov edge replaces only regular files; remove it`);
    }
    if (stats.size !== file.data.length || stats.size > MAX_COMPARED_BYTES || (stats.mode & 0o7777) !== FILE_MODE) {
      return false;
    }
    if (file.owner !== undefined && (stats.uid !== file.owner.uid || stats.gid !== file.owner.gid)) {
      return false;
    }
    return (await readFile(file.path)).equals(file.data);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Creates the folders the plan writes into when missing: the config.d folders as aziot's
 * packages make them (0755: the services read them as their own users), the secrets dir
 * 0711 (its files are 0600 and owned by their reader; nobody lists them). Then every one
 * must be trusted (src/files/trust.ts: root's, writable by nobody else, up to `/`):
 * another user who can write there could swap the key or the hub before a service
 * reads it. Checked before anything is written, so a refusal applies nothing.
 */
async function ensureDirectories(plan: EdgePlan, secretsDir: string): Promise<void> {
  const dirs = new Set([secretsDir, ...plan.files.map((f) => path.dirname(f.path))]);
  // One at a time, the secrets dir first: a refused one stops before the next is made.
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true, mode: dir === secretsDir ? 0o711 : 0o755 });
    const checked = checkDirectory(dir);
    const problem = checked.ok ? checked.untrusted : checked.problem;
    if (problem !== undefined) {
      throw new ConfigError(`${dir} ${problem}`);
    }
  }
}

/** Each planned file as it is now: `current`, `differs` (content, mode or owner) or `missing`; and the unwanted ones still there. */
export async function planState(
  plan: EdgePlan,
): Promise<{ readonly files: readonly { readonly path: string; readonly state: 'current' | 'differs' | 'missing' }[]; readonly unwanted: readonly string[] }> {
  const files: { path: string; state: 'current' | 'differs' | 'missing' }[] = [];
  for (const file of plan.files) {
    const exists = await lstat(file.path).then(
      () => true,
      (err: unknown) => (errorCode(err) === 'ENOENT' ? false : Promise.reject(err)),
    );
    files.push({ path: file.path, state: !exists ? 'missing' : (await upToDate(file)) ? 'current' : 'differs' });
  }
  const unwanted: string[] = [];
  for (const file of plan.absent) {
    if (
      await lstat(file).then(
        () => true,
        () => false,
      )
    )
      unwanted.push(file);
  }
  return { files, unwanted };
}

/** Writes what differs and removes what must not exist; resolves with what changed. */
export async function applyPlan(plan: EdgePlan, secretsDir: string): Promise<ApplyResult> {
  const stale: PlannedFile[] = [];
  for (const file of plan.files) {
    if (!(await upToDate(file))) stale.push(file);
  }
  const present: string[] = [];
  for (const file of plan.absent) {
    const exists = await lstat(file).then(
      () => true,
      (err: unknown) => (errorCode(err) === 'ENOENT' ? false : Promise.reject(err)),
    );
    if (exists) present.push(file);
  }
  if (stale.length > 0) {
    await ensureDirectories(plan, secretsDir);
  }
  // Secrets first, then the drop-ins that point to them: a crash in between leaves the old
  // drop-ins pointing to files that exist.
  const ordered = [...stale.filter((f) => f.secret || !f.path.endsWith('.toml')), ...stale.filter((f) => !f.secret && f.path.endsWith('.toml'))];
  for (const file of ordered) {
    // No backup: a `.bak` of a key would be a second copy of a secret.
    await writeFileAtomic(file.path, file.data, { mode: FILE_MODE, backup: false, ...(file.owner === undefined ? {} : { owner: file.owner }) });
  }
  for (const file of present) {
    await unlink(file);
  }
  return { written: ordered.map((f) => f.path), removed: present };
}
