/**
 * The store: where provisioning information comes from. The operation layer talks
 * only to this interface. Each store lives in its own file, is chosen by the scheme of
 * the configured store location (see config/store-location.ts and store/open-store.ts),
 * and maps its own failures into the error union (errors.ts): nothing else escapes.
 */
import type { DeviceProvisioningInfo } from '../contract/types.js';

/** A source of provisioning information. */
export interface Store {
  /** A short, secret-free description for logs, e.g. `file /etc/xprov/device.yaml`. */
  readonly description: string;
  /**
   * The information to serve now. Rejects with StoreUnavailableError when there is
   * nothing valid to serve.
   */
  getProvisioningInfo(): Promise<DeviceProvisioningInfo>;
  /**
   * The daemon says the device may have been re-provisioned: find out, update what
   * getProvisioningInfo serves, clean up. Rejects with StoreUnavailableError when that
   * could not be done (what was served before stays served).
   */
  reprovision(): Promise<void>;
  /**
   * Reads the source again now (SIGHUP), if the store has one to read: what it serves
   * is updated when the new content is valid, kept otherwise. Never rejects.
   */
  reload?(reason: string): Promise<unknown>;
  /** Stops watchers and timers. */
  close(): Promise<void>;
}
