import type { Insertable, Selectable } from 'kysely';

/** One local-cloud cluster's Kubernetes API state: its resourceVersion counter and access settings. */
export interface KubeClustersTable {
  cluster_id: string;
  /** Lower-cased id of the managed cluster resource that owns this API. */
  managed_cluster_key: string;
  resource_version: number;
  /** JSON: version, authorized IP ranges, subnet and service CIDRs the API server and simulated controllers need. */
  settings: string;
  created_at: string;
}
export type KubeClusterRow = Selectable<KubeClustersTable>;

/** Kubernetes objects; `resource` is `<group>/<plural>` (`core/secrets`, `apps/deployments`), `namespace` is '' when cluster-scoped. */
export interface KubeObjectsTable {
  cluster_id: string;
  resource: string;
  namespace: string;
  name: string;
  uid: string;
  resource_version: number;
  body: string;
}
export type KubeObjectRow = Selectable<KubeObjectsTable>;
export type NewKubeObject = Insertable<KubeObjectsTable>;

/** The change log watches replay from: one row per write, keyed by the cluster's resourceVersion. */
export interface KubeEventsTable {
  cluster_id: string;
  resource_version: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: string;
  namespace: string;
  name: string;
  body: string;
}
export type KubeEventRow = Selectable<KubeEventsTable>;
