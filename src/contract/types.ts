/**
 * Short names for the generated contract types, so that the rest of the code does not
 * spell out `components['schemas'][...]`.
 */
import type { components, operations } from '../../generated/types.js';
import type { OperationId } from '../../generated/operations.js';
import type { components as storeComponents } from '../../generated/store-types.js';

/** What the daemon gets from GetDeviceProvisioningInformation. */
export type DeviceProvisioningInfo = components['schemas']['DeviceProvisioningInfo'];
/** The credentials part of DeviceProvisioningInfo. */
export type Credentials = components['schemas']['Credentials'];
/** A store file as the operator writes it (openapi/store.schema.yaml). */
export type StoreDocument = storeComponents['schemas']['StoreDocument'];
/** The credentials part of a store file: Credentials plus PEM file references. */
export type StoreCredentials = storeComponents['schemas']['StoreCredentials'];
/** Every error body. */
export type ErrorResponse = components['schemas']['ErrorResponse'];

export type { OperationId };

/** The validated query of an operation. */
export type OperationQuery<Op extends OperationId> = NonNullable<operations[Op]['parameters']['query']>;

/** The JSON body of an operation's 200 answer, or undefined when it has none. */
export type SuccessBody<Op extends OperationId> = operations[Op]['responses'][200] extends {
  content: { 'application/json': infer Body };
}
  ? Body
  : undefined;
