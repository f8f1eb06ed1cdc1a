/**
 * Group name to gid. Node has no getgrnam(3); /etc/group is what it would read on the
 * devices xprov runs on (no NSS modules for local system groups).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/** Resolves a group name or numeric gid; throws a ConfigError (exit 2) with a clear message if unknown. */
export function resolveGroup(group: string, groupFile = '/etc/group'): number {
  if (/^\d+$/.test(group)) {
    return Number(group);
  }
  let text = '';
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    throw new ConfigError(`socketGroup: cannot resolve group ${JSON.stringify(group)}: ${groupFile} is not readable`);
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) {
      return Number(gid);
    }
  }
  throw new ConfigError(`socketGroup: unknown group ${JSON.stringify(group)} (not in ${groupFile}; create it with groupadd, or give a gid)`);
}
