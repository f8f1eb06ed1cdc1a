/**
 * The public client library, exported by the package as `xprov/client`: a typed
 * client of IoT Edge's external provisioning API for code on the other side of the
 * partition (HSM libraries, monitoring agents, endpoints of its own).
 */
export { API_VERSION, type ClientOptions, type ClientResult, ExternalProvisioningClient, type ReprovisionMethod, errorMessage } from './client.js';
export { type Endpoint, describeEndpoint, parseEndpoint } from '../endpoint/endpoint-url.js';
export { EndpointSyntaxError, TransportError } from '../errors.js';
export type { RawAnswer } from './transport.js';
export { type DaemonReading, readLikeDaemon } from '../contract/daemon-parse.js';
export type { Credentials, DeviceProvisioningInfo, ErrorResponse } from '../contract/types.js';
