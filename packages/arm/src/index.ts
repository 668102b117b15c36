export { ArmError, validationFailed } from './arm-error.js';
export type { ArmErrorBody, ArmErrorDetail } from './arm-error.js';
export { idKey, parseResourceId, resourceGroupId, resourceId } from './resource-id.js';
export type { ResourceIdParts } from './resource-id.js';
