export { berthHome, ConnectionSettingsError, resolveConnection } from './connection.js';
export type { ConnectionOptions, ConnectionSettings } from './connection.js';
export { ArmRestClient } from './rest-client.js';
export type { OperationStatus, PollOptions, RequestOptions, RestResponse } from './rest-client.js';
export { BerthConnectionError, BerthRestError, OperationFailedError } from './errors.js';
export type { ErrorDetail } from './errors.js';
