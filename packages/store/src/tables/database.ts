import type { KubeClustersTable, KubeEventsTable, KubeObjectsTable } from './kube.table.js';
import type { ResourceSecretsTable } from './resource-secrets.table.js';
import type { ServicePrincipalsTable } from './service-principals.table.js';
import type { StudioCodesTable, StudioSessionsTable } from './studio-sessions.table.js';
import type { OperationsTable } from './operations.table.js';
import type { ResourcesTable } from './resources.table.js';
import type { SubscriptionsTable } from './subscriptions.table.js';
import type { TokensTable } from './tokens.table.js';

export interface Database {
  subscriptions: SubscriptionsTable;
  resources: ResourcesTable;
  operations: OperationsTable;
  tokens: TokensTable;
  kube_clusters: KubeClustersTable;
  kube_objects: KubeObjectsTable;
  kube_events: KubeEventsTable;
  resource_secrets: ResourceSecretsTable;
  service_principals: ServicePrincipalsTable;
  studio_codes: StudioCodesTable;
  studio_sessions: StudioSessionsTable;
}
