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
import {
  CONTAINER_SERVICE,
  KUBERNETES_VERSIONS_MINIMUM_API_VERSION,
  MANAGED_CLUSTER_API_VERSIONS,
  MANAGED_CLUSTER_TYPE_KEY,
  ORCHESTRATOR_API_VERSIONS,
} from './managed-clusters/names.js';
import { AUTHORIZATION, policyRoutes } from './policy/policy-routes.js';
import { versionRoutes } from './versions/version-routes.js';
import { LocalLoadBalancers } from './workloads/local-load-balancers.js';
import { WorkloadRuntime } from './workloads/workload-runtime.js';
import { defaultMaxRunningPods, type WorkloadPlan } from './workloads/workload-isolation.js';
import { SIMULATED_MESSAGE } from './kube/controllers/pod-lifecycle.js';

export { CONTAINER_SERVICE, MANAGED_CLUSTER_API_VERSIONS, ORCHESTRATOR_API_VERSIONS } from './managed-clusters/names.js';
export { defaultMaxRunningPods, planWorkloads, type RunWorkloads, type WorkloadPlan } from './workloads/workload-isolation.js';

/** Real Azure versions of policy assignments; the routes serve any version from 2019-09-01 on, so each of these. */
const POLICY_ASSIGNMENT_API_VERSIONS = ['2019-09-01', '2020-09-01', '2021-06-01', '2022-06-01', '2023-04-01', '2024-04-01', '2024-05-01', '2025-01-01'];

export interface LocalCloudOptions {
  db: Db;
  box: SecretBox;
  /** Berth's CA, which signs the clusters' API endpoint (the front door's certificate). */
  caPem: string;
  settings: { provisioningDelayMs: number };
  /**
   * Whether and how pods of Node.js images run for real, as sandboxed processes (see workloads/), from
   * planWorkloads; otherwise every pod is simulated, and says why.
   */
  workloads: WorkloadPlan;
  /** Pods that run for real at once (`--max-running-pods`); more wait, Pending. */
  maxRunningPods?: number;
  /** How long running pods' service-account tokens live (default 1 hour; renewed at 80%). */
  podTokenLifetimeMs?: number;
  /** Where running workloads keep their files (their volumes hold Secrets): a private folder. */
  workloadsDir: string;
  log?: { warn(obj: object, msg: string): void };
}

export interface LocalCloud {
  providers: ResourceProvider[];
  /** Starts the controllers and, when they run, the workloads, which call their cluster's API at `apiUrl` (Berth's own URL). */
  start(apiUrl: string): Promise<void>;
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
  const loadBalancers = new LocalLoadBalancers(store);
  const plan = options.workloads;
  const workloads =
    'isolation' in plan
      ? new WorkloadRuntime({
          db: options.db,
          store,
          box: options.box,
          caPem: options.caPem,
          dir: options.workloadsDir,
          loadBalancers,
          podTokenLifetimeMs: options.podTokenLifetimeMs,
          isolation: plan.isolation,
          maxRunningPods: options.maxRunningPods ?? defaultMaxRunningPods(),
          log: options.log,
        })
      : undefined;
  const controllers = new SimulatedControllers(options.db, store, clusters, {
    delayMs: CONTROLLER_DELAY_MS,
    runsForReal: workloads?.runsForReal ?? (() => false),
    ...('off' in plan ? { simulatedMessage: `${SIMULATED_MESSAGE} Workloads are off: ${plan.off}` } : {}),
    loadBalancers,
    log: options.log,
  });
  const stopCluster = async (clusterId: string) => {
    await workloads?.stopCluster(clusterId);
    await loadBalancers.stopCluster(clusterId);
  };
  const runtime = { controllers, clusters, settings: options.settings, stopCluster };

  const containerService: ResourceProvider = {
    namespace: CONTAINER_SERVICE,
    async routes(app: FastifyInstance) {
      await app.register(managedClusterRoutes({ box: options.box, caPem: options.caPem }));
      await app.register(versionRoutes);
      await app.register(kubeApiRoutes({ store, box: options.box, clusters, workloads }), { prefix: '/clusters/:clusterId' });
    },
    operationHandlers: managedClusterOperationHandlers(runtime),
    deleteHooks: { [MANAGED_CLUSTER_TYPE_KEY]: (db, row) => deleteClusterApi(db, row.id_key, clusters, stopCluster) },
    resourceTypes: [
      { resourceType: 'managedClusters', apiVersions: MANAGED_CLUSTER_API_VERSIONS },
      { resourceType: 'locations/orchestrators', apiVersions: ORCHESTRATOR_API_VERSIONS },
      // The same versions as managed clusters, from the kubernetesVersions API's first one on.
      { resourceType: 'locations/kubernetesVersions', apiVersions: MANAGED_CLUSTER_API_VERSIONS.filter((v) => v >= KUBERNETES_VERSIONS_MINIMUM_API_VERSION) },
      // The front door's operation status routes answer any api-version; clients poll at the cluster call's.
      { resourceType: 'locations/operationStatuses', apiVersions: MANAGED_CLUSTER_API_VERSIONS },
      { resourceType: 'locations/operationResults', apiVersions: MANAGED_CLUSTER_API_VERSIONS },
    ],
  };
  const authorization: ResourceProvider = {
    namespace: AUTHORIZATION,
    routes: policyRoutes,
    operationHandlers: [],
    resourceTypes: [{ resourceType: 'policyAssignments', apiVersions: POLICY_ASSIGNMENT_API_VERSIONS, locations: 'global' }],
  };

  return {
    providers: [containerService, authorization],
    async start(apiUrl) {
      loadBalancers.start();
      await controllers.start();
      await workloads?.start(apiUrl);
    },
    async stop() {
      await controllers.stop();
      await workloads?.stop();
      await loadBalancers.stop();
    },
  };
}
