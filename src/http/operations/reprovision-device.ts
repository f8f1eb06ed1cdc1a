import type { OperationHandler } from '../operation.js';

/** POST /device/reprovision: re-check the device's assignment; 200 with no body. */
export const ReprovisionDevice: OperationHandler<'ReprovisionDevice' | 'ReprovisionDeviceByGet'> = async (service) => {
  await service.reprovisionDevice();
  return { status: 200, body: undefined };
};
