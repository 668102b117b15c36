export const CONTAINER_SERVICE = 'Microsoft.ContainerService';
export const MANAGED_CLUSTER_TYPE = `${CONTAINER_SERVICE}/ManagedClusters`;
export const MANAGED_CLUSTER_TYPE_KEY = MANAGED_CLUSTER_TYPE.toLowerCase();
export const CREATE_CLUSTER = `${CONTAINER_SERVICE}/managedClusters/write`;
export const UPDATE_CLUSTER = `${CONTAINER_SERVICE}/managedClusters/update`;
export const DELETE_CLUSTER = `${CONTAINER_SERVICE}/managedClusters/delete`;
/**
 * Every api-version the managedClusters routes accept: 2019-08-01 (the article's), 2022-11-01 (the Azure CLI 2.45's `az aks`),
 * 2024-08-01 (the reference) and what @azure/arm-containerservice 25.3 sends.
 */
export const MANAGED_CLUSTER_API_VERSIONS = ['2019-08-01', '2022-11-01', '2024-08-01', '2024-09-01', '2025-01-01', '2026-04-01'] as const;
/** The api-versions of the "List Orchestrators" API (`az aks get-versions` sends 2019-04-01 whatever its profile). */
export const ORCHESTRATOR_API_VERSIONS = ['2017-09-30', '2019-04-01', '2019-08-01'] as const;
/** `kubernetesVersions` is served at any api-version from 2023-01-01 on. */
export const KUBERNETES_VERSIONS_MINIMUM_API_VERSION = '2023-01-01';
