import type { FastifyInstance } from 'fastify';
import type { ResourceProvider } from '@berth/front-door';
import type { SecretBox } from '@berth/pki';
import type { Db } from '@berth/store';
import { kubeApiRoutes } from './kube/api-server.js';
import { ClusterDirectory } from './kube/cluster-directory.js';
import { SimulatedControllers } from './kube/controllers/index.js';
import { KubeObjectStore } from './kube/object-store.js';
import { deleteClusterApi, managedClusterOperationHandlers } from './managed-clusters/managed-cluster-operations.js';
import { managedClusterRoutes } from './managed-clusters/managed-cluster-routes.js';
import { CONTAINER_SERVICE, MANAGED_CLUSTER_TYPE_KEY } from './managed-clusters/names.js';
import { AUTHORIZATION, policyRoutes } from './policy/policy-routes.js';
import { versionRoutes } from './versions/version-routes.js';

export { CONTAINER_SERVICE, MANAGED_CLUSTER_API_VERSIONS } from './managed-clusters/names.js';

export interface LocalCloudOptions {
  db: Db;
  box: SecretBox;
  /** Berth's CA, which signs the clusters' API endpoint (the front door's certificate). */
  caPem: string;
  settings: { provisioningDelayMs: number };
  log?: { warn(obj: object, msg: string): void };
}

export interface LocalCloud {
  providers: ResourceProvider[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How soon the simulated controllers act on a change ("shortly after", as a real cluster's do). */
const CONTROLLER_DELAY_MS = 50;

/**
 * The embedded local cloud: `Microsoft.ContainerService` managed clusters,
 * `Microsoft.Authorization` policy assignments, and each cluster's Kubernetes
 * API under `/clusters/{id}` on Berth's own HTTPS port.
 */
export function createLocalCloud(options: LocalCloudOptions): LocalCloud {
  const store = new KubeObjectStore(options.db, options.box);
  const clusters = new ClusterDirectory(options.db);
  const controllers = new SimulatedControllers(options.db, store, clusters, { delayMs: CONTROLLER_DELAY_MS, log: options.log });
  const runtime = { controllers, clusters, settings: options.settings };

  const containerService: ResourceProvider = {
    namespace: CONTAINER_SERVICE,
    async routes(app: FastifyInstance) {
      await app.register(managedClusterRoutes({ box: options.box, caPem: options.caPem }));
      await app.register(versionRoutes);
      await app.register(kubeApiRoutes({ store, box: options.box, clusters }), { prefix: '/clusters/:clusterId' });
    },
    operationHandlers: managedClusterOperationHandlers(runtime),
    deleteHooks: { [MANAGED_CLUSTER_TYPE_KEY]: (db, row) => deleteClusterApi(db, row.id_key, clusters) },
  };
  const authorization: ResourceProvider = { namespace: AUTHORIZATION, routes: policyRoutes, operationHandlers: [] };

  return {
    providers: [containerService, authorization],
    start: () => controllers.start(),
    stop: () => controllers.stop(),
  };
}
