export { ArmError, validationFailed } from './arm-error.js';
export type { ArmErrorBody, ArmErrorDetail } from './arm-error.js';
export { idKey, parentResourceId, parseResourceId, resourceGroupId, resourceId, resourceScopeOf, parseScope } from './resource-id.js';
export type { ParsedScope, ScopePath } from './resource-id.js';
export type { ResourceIdParts } from './resource-id.js';
export { addressAt, addressInRanges, contains, isIPv4, isIpRange, offsetOf, overlaps, parseCidr } from './network/cidr.js';
export type { Cidr } from './network/cidr.js';
export { networkProblems } from './network/network-rules.js';
export { jsonNestedDeeperThan, MAX_JSON_NESTING, valueNestedDeeperThan } from './json-nesting.js';
