/**
 * The credentials-directory store: one file per field in a directory, the way secrets
 * are handed to services by systemd (`LoadCredential=`, `LoadCredentialEncrypted=`,
 * `SetCredential=`: $CREDENTIALS_DIRECTORY, decrypted with the host key or TPM only
 * into the service's private, unswappable directory), by Kubernetes secret volumes
 * and by Docker secrets.
 *
 * Files (names as the fields, `credentials.` dropped), their content trimmed:
 *
 * | file | field |
 * | --- | --- |
 * | hubName, deviceId | required |
 * | authType, source | credentials.authType, credentials.source, required |
 * | key | credentials.key (base64) |
 * | identityCert, identityPrivateKey | with source payload: PEM files (xprov base64-encodes them); with source hsm: the references |
 * | status, substatus | optional |
 *
 * Other files are ignored (the directory may hold other credentials of the service).
 * The directory and every file read must be trusted (files/trust.ts): systemd's
 * credentials directories are root's or the service's, mode 0500 or so.
 * The document they make is checked, resolved and served exactly like a store file;
 * reloading (on reprovision and when the directory changes, including Kubernetes'
 * `..data` swaps) is the reloading store's.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { INSECURE_HINT, directoryTrustProblem } from '../files/trust.js';
import type { Logger } from '../log.js';
import { readStoreFile } from './read-store-file.js';
import { type ReloadOptions, ReloadingStore } from './reloading-store.js';
import type { SourceRead, StoreSource } from './store-source.js';

/** The plain fields, read as text: file name and where the value goes in the document. */
const TEXT_FIELDS = [
  { file: 'hubName', field: 'hubName', required: true },
  { file: 'deviceId', field: 'deviceId', required: true },
  { file: 'authType', field: 'credentials.authType', required: true },
  { file: 'source', field: 'credentials.source', required: true },
  { file: 'key', field: 'credentials.key', required: false },
  { file: 'status', field: 'status', required: false },
  { file: 'substatus', field: 'substatus', required: false },
] as const;

/** The identity fields: PEM files with source payload, references with source hsm. */
const IDENTITY_FIELDS = [
  { file: 'identityCert', fileField: 'identityCertFile' },
  { file: 'identityPrivateKey', fileField: 'identityPrivateKeyFile' },
] as const;

/** Every file name the store reads. */
export const CREDENTIAL_FILES: readonly string[] = [...TEXT_FIELDS.map((f) => f.file), ...IDENTITY_FIELDS.map((f) => f.file)];

/** Options of CredentialsDirStore.open. */
export interface CredentialsDirStoreOptions extends ReloadOptions {
  /** Serve files whose permissions are too open, with a warning (default false). */
  readonly insecurePermissions?: boolean;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    // Anything but "not there" is reported by the read that follows.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** A credentials directory as a StoreSource: the document its files make. */
export class CredentialsDirSource implements StoreSource {
  readonly baseDir: string;

  constructor(
    readonly label: string,
    readonly insecurePermissions: boolean,
  ) {
    this.baseDir = label;
  }

  async read(): Promise<SourceRead> {
    const dir = this.label;
    const watch = CREDENTIAL_FILES.map((name) => path.join(dir, name));
    try {
      if (!(await stat(dir)).isDirectory()) {
        return { ok: false, problems: ['is not a directory'], watch };
      }
    } catch (err) {
      return {
        ok: false,
        problems: [(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`],
        watch,
      };
    }
    const values = new Map<string, string>();
    const problems: string[] = [];
    const warnings: string[] = [];
    // Whoever can write the directory (or one above) could swap every file in it.
    const untrusted = await directoryTrustProblem(dir);
    if (untrusted !== undefined) {
      if (!this.insecurePermissions) return { ok: false, problems: [`${dir} ${untrusted}${INSECURE_HINT}`], watch };
      warnings.push(`${dir} ${untrusted}; served anyway (--insecure-permissions)`);
    }
    const readText = async (name: string, field: string, required: boolean): Promise<void> => {
      const file = path.join(dir, name);
      const read = await readStoreFile(file, { role: 'secret', insecurePermissions: this.insecurePermissions });
      if (read.ok) {
        values.set(name, read.text.trim());
        if (read.permissionWarning !== undefined) warnings.push(`${file} ${read.permissionWarning}`);
      } else if (!read.missing) {
        problems.push(`${file} ${read.problem}`);
      } else if (required) {
        problems.push(`${field} is required: there is no file ${name}`);
      }
    };
    for (const { file, field, required } of TEXT_FIELDS) {
      await readText(file, field, required);
    }
    const credentials: Record<string, string> = {};
    for (const { file, fileField } of IDENTITY_FIELDS) {
      if (values.get('source') === 'hsm') {
        await readText(file, `credentials.${file}`, false);
        const reference = values.get(file);
        if (reference !== undefined) credentials[file] = reference;
      } else if (await exists(path.join(dir, file))) {
        // PEM text: resolved (read, checked, encoded) like a store file's PEM reference.
        credentials[fileField] = path.join(dir, file);
      }
    }
    if (problems.length > 0) {
      return { ok: false, problems, watch };
    }
    const optional = (name: string): Record<string, string> => {
      const value = values.get(name);
      return value === undefined ? {} : { [name]: value };
    };
    const value = {
      hubName: values.get('hubName'),
      deviceId: values.get('deviceId'),
      credentials: { authType: values.get('authType'), source: values.get('source'), ...optional('key'), ...credentials },
      ...optional('status'),
      ...optional('substatus'),
    };
    return { ok: true, value, warnings, watch };
  }
}

/** Serves the provisioning information a credentials directory holds. */
export class CredentialsDirStore extends ReloadingStore {
  private constructor(dir: string, options: CredentialsDirStoreOptions, log: Logger) {
    super(`credentials ${dir}`, new CredentialsDirSource(dir, options.insecurePermissions === true), log);
  }

  /**
   * Reads the directory once and starts watching it. Never rejects for a missing or
   * incomplete directory: the store then answers StoreUnavailableError until it is fixed.
   */
  static async open(dir: string, log: Logger, options: CredentialsDirStoreOptions = {}): Promise<CredentialsDirStore> {
    const store = new CredentialsDirStore(dir, options, log.child({ store: 'credentials', dir }));
    await store.start(options);
    return store;
  }
}
