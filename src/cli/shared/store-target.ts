/**
 * The store the `xprov store` commands work on, named the way `xprov serve` names it:
 * `--store LOCATION` or the `store` of `--config FILE` (the default store otherwise),
 * and `--insecure-permissions` (flag or config key). Reading it goes through the very
 * source the serving store uses, so the commands judge it as the daemon would be served.
 */
import type { StoreLocation } from '../../config/store-location.js';
import { UsageError } from '../../errors.js';
import { CredentialsDirSource } from '../../store/credentials-dir-store.js';
import { StoreFileSource } from '../../store/file-store.js';
import type { StoreSource } from '../../store/store-source.js';
import { TpmSource, tpmTargetOf } from '../../store/tpm-store.js';
import { serveConfigFromArgs } from './serve-options.js';
import type { CliIo } from './io.js';

/** The parseArgs options naming the store. */
export const TARGET_OPTIONS = {
  store: { type: 'string' },
  config: { type: 'string' },
  'insecure-permissions': { type: 'boolean' },
  'tpm-tcti': { type: 'string' },
} as const;

/** Their usage lines. */
export const TARGET_USAGE = `  --store LOCATION
      the store: a file path or file: URL, credentials:[DIR], or
      tpm:INDEX[?format=document|connection-string][&auth=FILE] [default: /etc/xprov/provisioning.yaml]
  --config FILE
      take the store (and insecurePermissions) from this xprov config file
  --insecure-permissions
      accept files that group/others can write or others can read, as serve would with it
  --tpm-tcti TCTI
      how a tpm: store reaches its TPM (tpm2-tools' TCTI) [default: device:/dev/tpmrm0]`;

/** The store a command works on. */
export interface StoreTarget {
  readonly location: StoreLocation;
  readonly insecurePermissions: boolean;
  /** How a tpm: store reaches its TPM. */
  readonly tpmTcti: string;
}

/** The store named by the TARGET_OPTIONS values, in `io`'s context; UsageError when they are wrong. */
export function storeTarget(
  values: { readonly store?: string; readonly config?: string; readonly 'insecure-permissions'?: boolean; readonly 'tpm-tcti'?: string },
  io: CliIo,
): StoreTarget {
  const args = [
    ...(values.config === undefined ? [] : ['--config', values.config]),
    ...(values.store === undefined ? [] : ['--store', values.store]),
    ...(values['insecure-permissions'] === true ? ['--insecure-permissions'] : []),
    ...(values['tpm-tcti'] === undefined ? [] : ['--tpm-tcti', values['tpm-tcti']]),
  ];
  const config = serveConfigFromArgs(args, io);
  return { location: config.store, insecurePermissions: config.insecurePermissions, tpmTcti: config.tpmTcti };
}

/** The source the serving store would read `target` from. */
export function storeSource(target: StoreTarget): StoreSource {
  const { location, insecurePermissions } = target;
  switch (location.kind) {
    case 'file':
      return new StoreFileSource(location.path, insecurePermissions);
    case 'credentials':
      return new CredentialsDirSource(location.dir, insecurePermissions);
    case 'tpm':
      return new TpmSource(tpmTargetOf(location, target.tpmTcti), insecurePermissions);
    default:
      throw new UsageError(`the store commands work on file, credentials: and tpm: stores, not ${location.kind}:`);
  }
}
