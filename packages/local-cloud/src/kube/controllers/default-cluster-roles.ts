import defaultRoles from '../data/default-cluster-roles.json' with { type: 'json' };
import type { KubeObjectStore } from '../object-store.js';
import { resourceTypeByKey } from '../resource-types.js';
import { unlessExists } from './writes.js';

const CLUSTER_ROLES = resourceTypeByKey('rbac.authorization.k8s.io/clusterroles');

/**
 * Creates the user-facing ClusterRoles every Kubernetes cluster starts with
 * (`cluster-admin`, `admin`, `edit`, `view`; their rules, flattened, are in
 * data/default-cluster-roles.json), unless present; idempotent. One a user
 * changed or deleted is left as it is.
 */
export async function createDefaultClusterRoles(store: KubeObjectStore, clusterId: string): Promise<void> {
  for (const [name, rules] of Object.entries(defaultRoles)) {
    if (await store.get(clusterId, CLUSTER_ROLES, '', name)) continue;
    await unlessExists(
      store.create(clusterId, CLUSTER_ROLES, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } },
        rules,
      }),
    );
  }
}
