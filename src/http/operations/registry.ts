/**
 * The one map from operationId to handler. Typed over every OperationId of the spec,
 * so adding an operation to the spec without a handler fails to compile.
 */
import type { OperationId } from '../../contract/types.js';
import type { OperationHandler } from '../operation.js';
import { GetDeviceProvisioningInformation } from './get-device-provisioning-information.js';
import { ReprovisionDevice } from './reprovision-device.js';

/** Every operation's handler. */
export const handlers: { readonly [Op in OperationId]: OperationHandler<Op> } = {
  GetDeviceProvisioningInformation,
  ReprovisionDevice,
  // The spec declares GET /device/reprovision as an alias of ReprovisionDevice
  // (x-xprov-alias-of): the daemon sends GET although the published spec says POST.
  ReprovisionDeviceByGet: ReprovisionDevice,
};
