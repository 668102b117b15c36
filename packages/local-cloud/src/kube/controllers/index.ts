import { WorkQueue, type ReconcileResult } from '@berth/work-queue';
import { listKubeClusters, type Db } from '@berth/store';
import type { ClusterDirectory } from '../cluster-directory.js';
import type { ClusterSettings } from '../cluster-settings.js';
import type { KubeObjectStore, ObjectChange } from '../object-store.js';
import { resourceTypeByKey } from '../resource-types.js';
import { DeploymentController } from './deployments.js';
import { EndpointSliceController } from './endpoint-slices.js';
import { SchedulingEventCleaner } from './events.js';
import { createDefaultClusterRoles } from './default-cluster-roles.js';
import { createSystemNamespaces } from './namespaces.js';
import { createDefaultServiceAccounts, DEFAULT_SERVICE_ACCOUNT } from './service-accounts.js';
import { NodeController } from './nodes.js';
import { controllerOf, isUnschedulable, podSpecOf, type RunsForReal } from './pod-lifecycle.js';
import { PodScheduler } from './pods-scheduler.js';
import { ReplicaSetController } from './replicasets.js';
import { ServiceController } from './services.js';
import type { LocalLoadBalancers } from '../../workloads/local-load-balancers.js';

const DEPLOYMENTS = resourceTypeByKey('apps/deployments');
const REPLICASETS = resourceTypeByKey('apps/replicasets');
const SERVICES = resourceTypeByKey('core/services');

/** Failed reconciles are retried after 100 ms, doubling up to 5 s. */
const BACKOFF = { baseMs: 100, maxMs: 5000 };

// Queue keys: a cluster's id, or `<clusterId>/<namespace>/<name>` for one of its objects (ids and names hold no '/').
const objectKey = (clusterId: string, namespace: string, name: string) => `${clusterId}/${namespace}/${name}`;
const clusterOf = (key: string) => key.split('/', 1)[0];
function objectOf(key: string): { clusterId: string; namespace: string; name: string } {
  const [clusterId, namespace, name] = key.split('/');
  return { clusterId, namespace, name };
}

/**
 * What a real cluster's own controllers do, simulated (and documented as
 * simulated): nodes for the agent pool, ReplicaSets for Deployments, pods for
 * ReplicaSets, scheduling, load-balancer addresses for Services. One controller
 * per kind (this folder), each fed by a work queue from the object store's
 * changes. Level-triggered: each reconcile reads current state and converges,
 * so repeats, restarts and missed changes are harmless.
 */
export class SimulatedControllers {
  private readonly nodes: NodeController;
  private readonly deployments: DeploymentController;
  private readonly replicaSets: ReplicaSetController;
  private readonly scheduler: PodScheduler;
  private readonly services: ServiceController;
  private readonly events: SchedulingEventCleaner;
  private readonly endpointSlices: EndpointSliceController;
  /** Keyed by cluster; a pass also resyncs what depends on the nodes. */
  private readonly nodeQueue: WorkQueue;
  private readonly deploymentQueue: WorkQueue;
  /** ReplicaSets (object keys) and the scheduler (cluster keys) place pods on nodes: one cluster's run one at a time, so no two placements share a node's room. */
  private readonly placementQueue: WorkQueue;
  /** Grouped by cluster, as the load balancers' private addresses come from one pool per cluster. */
  private readonly serviceQueue: WorkQueue;
  private readonly eventQueue: WorkQueue;
  /** Keyed by `<clusterId>/<namespace>`. */
  private readonly endpointQueue: WorkQueue;
  /** Keyed by cluster: every namespace's `default` ServiceAccount. */
  private readonly serviceAccountQueue: WorkQueue;
  private readonly onChange = (change: ObjectChange) => this.observe(change);

  constructor(
    private readonly db: Db,
    private readonly store: KubeObjectStore,
    private readonly clusters: ClusterDirectory,
    options: {
      delayMs: number;
      runsForReal: RunsForReal;
      simulatedMessage?: string;
      loadBalancers: LocalLoadBalancers;
      log?: { warn(obj: object, msg: string): void };
    },
  ) {
    this.nodes = new NodeController(store);
    this.deployments = new DeploymentController(store);
    this.replicaSets = new ReplicaSetController(store, options.runsForReal, options.simulatedMessage);
    this.scheduler = new PodScheduler(store, options.runsForReal, options.simulatedMessage);
    this.services = new ServiceController(store, options.loadBalancers);
    this.events = new SchedulingEventCleaner(store);
    this.endpointSlices = new EndpointSliceController(store);
    const queue = (controller: string, reconcile: (key: string) => Promise<ReconcileResult | void>, groupOf?: (key: string) => string) =>
      new WorkQueue({
        reconcile,
        groupOf,
        debounceMs: options.delayMs,
        backoff: BACKOFF,
        onError: (key, err, failures, retryInMs) => options.log?.warn({ err, key, controller, failures, retryInMs }, 'simulated controller failed; retrying'),
      });
    this.nodeQueue = queue('nodes', (clusterId) => this.withSettings(clusterId, (settings) => this.reconcileNodes(clusterId, settings)));
    this.deploymentQueue = queue('deployments', (key) => {
      const { clusterId, namespace, name } = objectOf(key);
      return this.deployments.reconcile(clusterId, namespace, name);
    });
    this.placementQueue = queue(
      'placement',
      (key) => {
        if (!key.includes('/')) return this.withSettings(key, (settings) => this.scheduler.reconcile(key, settings));
        const { clusterId, namespace, name } = objectOf(key);
        return this.withSettings(clusterId, (settings) => this.replicaSets.reconcile(clusterId, settings, namespace, name));
      },
      clusterOf,
    );
    this.serviceQueue = queue(
      'services',
      (key) => {
        const { clusterId, namespace, name } = objectOf(key);
        return this.withSettings(clusterId, (settings) => this.services.reconcile(clusterId, settings, namespace, name));
      },
      clusterOf,
    );
    this.eventQueue = queue('events', (clusterId) => this.events.reconcile(clusterId));
    this.endpointQueue = queue('endpointslices', (key) => {
      const [clusterId, namespace] = key.split('/');
      return this.endpointSlices.reconcile(clusterId, namespace);
    });
    this.serviceAccountQueue = queue('serviceaccounts', (clusterId) => this.withSettings(clusterId, () => createDefaultServiceAccounts(store, clusterId)));
  }

  private get queues(): WorkQueue[] {
    return [this.nodeQueue, this.deploymentQueue, this.placementQueue, this.serviceQueue, this.eventQueue, this.endpointQueue, this.serviceAccountQueue];
  }

  async start(): Promise<void> {
    this.store.on('change', this.onChange);
    for (const row of await listKubeClusters(this.db)) {
      this.nodeQueue.add(row.cluster_id);
      // Clusters made before namespaces had their `default` account get it now.
      this.serviceAccountQueue.add(row.cluster_id);
    }
  }

  async stop(): Promise<void> {
    this.store.off('change', this.onChange);
    await Promise.all(this.queues.map((q) => q.shutdown()));
  }

  /** Creates the cluster's namespaces, their `default` ServiceAccounts and the default ClusterRoles, and makes its nodes match the agent pool; idempotent. */
  async bootstrap(clusterId: string, settings: ClusterSettings): Promise<void> {
    await createSystemNamespaces(this.store, clusterId);
    await createDefaultServiceAccounts(this.store, clusterId);
    await createDefaultClusterRoles(this.store, clusterId);
    await this.nodes.reconcile(clusterId, settings);
  }

  /** Runs a reconcile with the cluster's settings; a cluster that is gone has nothing to reconcile. */
  private async withSettings(clusterId: string, reconcile: (settings: ClusterSettings) => Promise<ReconcileResult | void>): Promise<ReconcileResult | void> {
    const settings = await this.clusters.get(clusterId);
    return settings ? reconcile(settings) : undefined;
  }

  /** The nodes, then everything that depends on them: pods on removed nodes are replaced, pending pods may fit on new ones. */
  private async reconcileNodes(clusterId: string, settings: ClusterSettings): Promise<void> {
    await this.nodes.reconcile(clusterId, settings);
    const add = (queue: WorkQueue, items: Array<{ metadata: { namespace?: string; name?: string } }>) => {
      for (const item of items) queue.add(objectKey(clusterId, item.metadata.namespace!, item.metadata.name!));
    };
    add(this.deploymentQueue, (await this.store.list(clusterId, DEPLOYMENTS)).items);
    add(this.placementQueue, (await this.store.list(clusterId, REPLICASETS)).items);
    add(this.serviceQueue, (await this.store.list(clusterId, SERVICES)).items);
    this.placementQueue.add(clusterId);
  }

  private observe(change: ObjectChange): void {
    const { clusterId, resource, namespace, name, object } = change;
    switch (resource.key) {
      case 'apps/deployments':
        this.deploymentQueue.add(objectKey(clusterId, namespace, name));
        break;
      case 'apps/replicasets': {
        this.placementQueue.add(objectKey(clusterId, namespace, name));
        const owner = controllerOf(object);
        if (owner?.kind === 'Deployment') this.deploymentQueue.add(objectKey(clusterId, namespace, owner.name));
        break;
      }
      case 'core/pods': {
        this.endpointQueue.add(`${clusterId}/${namespace}`);
        const owner = controllerOf(object);
        if (owner?.kind === 'ReplicaSet') this.placementQueue.add(objectKey(clusterId, namespace, owner.name));
        // A pod that leaves a node makes room for pending ones; a pod created without a controller waits for the scheduler.
        if (change.type === 'DELETED' ? podSpecOf(object)?.nodeName !== undefined : !owner) this.placementQueue.add(clusterId);
        if (change.type === 'DELETED' && isUnschedulable(object)) {
          // Its FailedScheduling event goes with it.
          this.events.podGone(clusterId, object);
          this.eventQueue.add(clusterId);
        }
        break;
      }
      case 'core/services':
        this.serviceQueue.add(objectKey(clusterId, namespace, name));
        this.endpointQueue.add(`${clusterId}/${namespace}`);
        break;
      case 'discovery.k8s.io/endpointslices':
        // A slice of ours edited or deleted by hand is put back.
        this.endpointQueue.add(`${clusterId}/${namespace}`);
        break;
      case 'core/nodes':
        this.nodeQueue.add(clusterId);
        break;
      case 'core/namespaces':
        this.serviceAccountQueue.add(clusterId);
        break;
      case 'core/serviceaccounts':
        if (change.type === 'DELETED' && name === DEFAULT_SERVICE_ACCOUNT) this.serviceAccountQueue.add(clusterId);
        break;
    }
  }
}
