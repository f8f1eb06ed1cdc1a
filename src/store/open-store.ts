/**
 * Opens the secrets adapter named by a store location: one case per adapter.
 */
import type { Logger } from '../log.js';
import type { SecretsAdapter } from './adapter.js';
import { DpsStore } from './dps-store.js';
import { FileStore } from './file-store.js';
import type { StoreLocation } from './location.js';

/** Opens the adapter for `location`; adapters report their own problems through their answers. */
export async function openStore(location: StoreLocation, log: Logger): Promise<SecretsAdapter> {
  switch (location.kind) {
    case 'file':
      return FileStore.open(location.path, log);
    case 'dps':
      return DpsStore.open(location.path, log);
  }
}
