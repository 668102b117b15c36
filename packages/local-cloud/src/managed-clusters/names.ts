export const CONTAINER_SERVICE = 'Microsoft.ContainerService';
export const MANAGED_CLUSTER_TYPE = `${CONTAINER_SERVICE}/ManagedClusters`;
export const MANAGED_CLUSTER_TYPE_KEY = MANAGED_CLUSTER_TYPE.toLowerCase();
export const CREATE_CLUSTER = `${CONTAINER_SERVICE}/managedClusters/write`;
export const UPDATE_CLUSTER = `${CONTAINER_SERVICE}/managedClusters/update`;
export const DELETE_CLUSTER = `${CONTAINER_SERVICE}/managedClusters/delete`;
/** Every api-version the managedClusters routes accept: 2019-08-01 (the article's), 2024-08-01 (the reference) and what @azure/arm-containerservice 25.3 sends. */
export const MANAGED_CLUSTER_API_VERSIONS = ['2019-08-01', '2024-08-01', '2024-09-01', '2025-01-01', '2026-04-01'] as const;
