/**
 * The uids of aziot's service users, read from the passwd file (no external command:
 * `xprov edge sync` runs at boot, before much else, and must not depend on NSS tools).
 * aziot's packages create `aziotks` (keyd), `aziotcs` (certd) and `aziotid`
 * (identityd); see Azure/iot-identity-service aziotctl/aziotctl-common/src/config/apply.rs,
 * which looks them up by these names to own the files it writes.
 */
import { readFile } from 'node:fs/promises';

/** The service users xprov gives files to. */
export const SERVICE_USERS = ['aziotks', 'aziotcs', 'aziotid'] as const;

/** One of the service users. */
export type ServiceUser = (typeof SERVICE_USERS)[number];

/** An owner to give a file. */
export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/** The passwd file is small; a bigger one is not a passwd file worth trusting. */
const MAX_PASSWD_BYTES = 4 * 1024 * 1024;

/**
 * The owners of the service users found in `passwdFile` (those missing are absent:
 * on a machine without aziot installed yet, files stay root's).
 */
export async function serviceOwners(passwdFile = '/etc/passwd'): Promise<Partial<Record<ServiceUser, Owner>>> {
  let text: string;
  try {
    const bytes = await readFile(passwdFile);
    if (bytes.length > MAX_PASSWD_BYTES) {
      return {};
    }
    text = bytes.toString('utf8');
  } catch {
    return {};
  }
  const owners: Partial<Record<ServiceUser, Owner>> = {};
  for (const line of text.split('\n')) {
    // name:password:uid:gid:gecos:home:shell
    const [name, , uid, gid] = line.split(':');
    if (name === undefined || !(SERVICE_USERS as readonly string[]).includes(name) || uid === undefined || gid === undefined) {
      continue;
    }
    if (/^\d{1,10}$/.test(uid) && /^\d{1,10}$/.test(gid) && owners[name as ServiceUser] === undefined) {
      owners[name as ServiceUser] = { uid: Number(uid), gid: Number(gid) };
    }
  }
  return owners;
}
