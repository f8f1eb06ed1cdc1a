import type { OperationHandler } from '../operation.js';

/** GET /device/provisioninginformation: the device's hub, id and credentials. */
export const GetDeviceProvisioningInformation: OperationHandler<'GetDeviceProvisioningInformation'> = async (service) => ({
  status: 200,
  body: await service.getDeviceProvisioningInformation(),
});
