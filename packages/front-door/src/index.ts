export { buildApp } from './app.js';
export type { BuildAppOptions, ResourceProvider } from './app.js';
export type { LinkedScope, LinkedScopesHook, ResourceDeleteHook } from './routes/resource-groups.js';
export { bootstrapStore } from './bootstrap.js';
export type { BerthContext } from './context.js';
export { requireApiVersion } from './plugins/api-version.js';
export type { Access } from './access.js';
export type { HttpLimits } from './http-limits.js';
export { apiVersionOf, baseUrl, normalizeLocation, nowIso, operationUrls, page, pageOf, sendAccepted } from './arm-http.js';
export { requireResourceGroup, RESOURCE_GROUP_TYPE } from './resource-groups-store.js';
export type { ResourceGroupBody } from './resource-groups-store.js';

export { canWrite, hashToken, newToken, roleAt, roleFor, roles } from './roles.js';
export type { Grant, Principal, Role, RoleMap, ScopePath } from './roles.js';
export { requestScope } from './scopes.js';
export { permissionsAt } from './permissions.js';
export { addressKey } from './sign-in-throttle.js';
