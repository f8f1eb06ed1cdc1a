/**
 * The operation layer: one method per operation of the spec, knowing nothing of HTTP
 * or Koa (the model is iot-identity-service's `Api`). HTTP handlers translate requests
 * into these calls and their results into answers; tests and other front ends can call
 * them directly.
 */
import type { DeviceProvisioningInfo } from './contract/types.js';
import type { Logger } from './log.js';
import type { Store } from './store/store.js';

/** The provisioning API over a store. */
export class ProvisioningService {
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** GetDeviceProvisioningInformation: what the daemon should provision with now. */
  getDeviceProvisioningInformation(): Promise<DeviceProvisioningInfo> {
    return this.store.getProvisioningInfo();
  }

  /**
   * ReprovisionDevice: the daemon suspects the device moved to another hub. The store
   * finds out and updates what it serves; the daemon then restarts and asks again.
   */
  async reprovisionDevice(): Promise<void> {
    this.log.info({ store: this.store.description }, 'reprovision requested');
    await this.store.reprovision();
    this.log.info({ store: this.store.description }, 'reprovision done');
  }
}
