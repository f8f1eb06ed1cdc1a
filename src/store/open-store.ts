/**
 * Opens the store named by a store location: one case per store.
 */
import { DEFAULT_TPM_TCTI, type StoreLocation } from '../config/store-location.js';
import type { Logger } from '../log.js';
import { CredentialsDirStore } from './credentials-dir-store.js';
import { DpsStore } from './dps-store.js';
import { FileStore } from './file-store.js';
import type { Store } from './store.js';
import { TpmStore, tpmTargetOf } from './tpm-store.js';

/** How stores treat the files they serve from. */
export interface StoreOptions {
  /** Serve from files that are not trusted (files/trust.ts), with a warning (--insecure-permissions). */
  readonly insecurePermissions: boolean;
  /** The TCTI a TPM store reaches its TPM by (default DEFAULT_TPM_TCTI). */
  readonly tpmTcti?: string;
}

/** Opens the store for `location`; stores report their own problems through their answers. */
export async function openStore(location: StoreLocation, log: Logger, options: StoreOptions = { insecurePermissions: false }): Promise<Store> {
  switch (location.kind) {
    case 'file':
      return FileStore.open(location.path, log, options);
    case 'credentials':
      return CredentialsDirStore.open(location.dir, log, options);
    case 'dps':
      return DpsStore.open(location.path, log, options);
    case 'tpm':
      return TpmStore.open(tpmTargetOf(location, options.tpmTcti ?? DEFAULT_TPM_TCTI), log, options);
  }
}
