/**
 * The permission bits of the files a store serves secrets from. A store file that
 * others can write lets them redirect the device to their hub or swap its key; one
 * others can read gives its key away. Such files are refused (unless the operator
 * says --insecure-permissions), with the bits named and the chmod that fixes them.
 * Group read is allowed: the shipped deployment gives the file to root:xprov 0640.
 */

/** What a file holds: `secret` must not be readable by others; `public` (certificates) may be. */
export type FileRole = 'secret' | 'public';

/** `file` quoted for a shell command line when it needs to be. */
function shellWord(file: string): string {
  return /^[\w@%+=:,./-]+$/.test(file) ? file : `'${file.replace(/'/g, `'\\''`)}'`;
}

/**
 * Why `mode` is too open for a file of `role`, as a phrase to follow the file's name
 * (`has mode 0644 (readable by others); fix: chmod o-r FILE`), or undefined when it is fine.
 */
export function permissionProblem(file: string, mode: number, role: FileRole): string | undefined {
  const issues: string[] = [];
  let group = '';
  let others = '';
  if (role === 'secret' && mode & 0o004) {
    issues.push('readable by others');
    others += 'r';
  }
  if (mode & 0o020) {
    issues.push('writable by group');
    group += 'w';
  }
  if (mode & 0o002) {
    issues.push('writable by others');
    others += 'w';
  }
  if (issues.length === 0) {
    return undefined;
  }
  const clauses = [group && `g-${group}`, others && `o-${others}`].filter((c) => c !== '').join(',');
  const bits = (mode & 0o7777).toString(8).padStart(4, '0');
  return `has mode ${bits} (${issues.join(', ')}); fix: chmod ${clauses} ${shellWord(file)}`;
}
