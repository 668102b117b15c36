import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { findVmSize } from '@berth/catalog';
import { listKubeClusters, type Db } from '@berth/store';
import { addressAt, contains, parseCidr, type Cidr } from '@berth/arm';
import type { ClusterDirectory } from './cluster-directory.js';
import type { ClusterSettings } from './cluster-settings.js';
import { clone, type KubeObject } from './kube-object.js';
import type { KubeObjectStore, ObjectChange } from './object-store.js';
import { milliCpu, parseQuantity } from './quantity.js';
import { resourceTypeByKey } from './resource-types.js';
import { KubeError } from './status.js';

const NODES = resourceTypeByKey('core/nodes');
const NAMESPACES = resourceTypeByKey('core/namespaces');
const PODS = resourceTypeByKey('core/pods');
const DEPLOYMENTS = resourceTypeByKey('apps/deployments');
const SERVICES = resourceTypeByKey('core/services');
const EVENTS = resourceTypeByKey('core/events');

/**
 * Writes one reconcile pass makes before it lets the cluster's other work run;
 * the writes it made enqueue the next pass. A Deployment scaled to thousands
 * converges in bounded steps instead of one long burst.
 */
const BATCH = 500;

/** Lets the server's other work (requests, timers) run between writes: store calls on SQLite resolve without ever yielding. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export const INTERNAL_LB = 'service.beta.kubernetes.io/azure-load-balancer-internal';
export const INTERNAL_LB_SUBNET = 'service.beta.kubernetes.io/azure-load-balancer-internal-subnet';

const hash = (text: string, bytes = 4) => createHash('sha256').update(text).digest('hex').slice(0, bytes * 2);
const hashInt = (text: string) => parseInt(hash(text), 16);
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The CIDR of a named subnet of a cluster's vnet: the node subnet, or a /24 the local cloud derives from the name. */
export function subnetCidr(settings: ClusterSettings, subnetName?: string): string {
  if (!subnetName || subnetName === settings.nodeSubnetName) return settings.nodeSubnetCidr;
  return `10.225.${hashInt(subnetName) % 256}.0/24`;
}

/**
 * What a real cluster's own controllers do, simulated (and documented as
 * simulated): nodes for the agent pool, pods and status for Deployments,
 * load-balancer addresses for Services. Level-triggered: each reconcile reads
 * current state and converges, so repeats, restarts and missed events are harmless.
 */
export class SimulatedControllers {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** Per cluster, the reconciles due, run one at a time: placements never race for a node's room. */
  private readonly due = new Map<string, Map<string, { kind: string; namespace: string; name: string; attempt: number }>>();
  private readonly workers = new Map<string, Promise<void>>();
  /** Per cluster, `namespace/name` of FailedScheduling events whose pods are gone. */
  private readonly doomedEvents = new Map<string, Set<string>>();
  private stopped = false;
  private readonly onChange = (change: ObjectChange) => this.observe(change);

  constructor(
    private readonly db: Db,
    private readonly store: KubeObjectStore,
    private readonly clusters: ClusterDirectory,
    private readonly options: { delayMs: number; log?: { warn(obj: object, msg: string): void } },
  ) {}

  async start(): Promise<void> {
    this.store.on('change', this.onChange);
    for (const row of await listKubeClusters(this.db)) this.enqueue(row.cluster_id, 'cluster', '', '');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.store.off('change', this.onChange);
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    await Promise.allSettled([...this.workers.values()]);
  }

  /** Creates the cluster's namespaces and makes its nodes match the agent pool; idempotent. */
  async bootstrap(clusterId: string, settings: ClusterSettings): Promise<void> {
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      if (!(await this.store.get(clusterId, NAMESPACES, '', name))) {
        await this.ignoreExists(this.store.create(clusterId, NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }));
      }
    }
    await this.reconcileNodes(clusterId, settings);
  }

  private async ignoreExists(p: Promise<unknown>): Promise<void> {
    await p.catch((err) => {
      if (!(err instanceof KubeError && err.reason === 'AlreadyExists')) throw err;
    });
  }

  private observe(change: ObjectChange): void {
    const { clusterId, resource, namespace, name } = change;
    switch (resource.key) {
      case 'apps/deployments':
        this.enqueue(clusterId, 'deployment', namespace, name);
        break;
      case 'core/services':
        this.enqueue(clusterId, 'service', namespace, name);
        break;
      case 'core/pods': {
        const pod = change.object;
        const owner = pod.metadata.ownerReferences?.find((o) => o.kind === 'Deployment');
        if (owner) this.enqueue(clusterId, 'deployment', namespace, owner.name);
        // A pod that leaves a node makes room for pending ones; a pod created without a node waits for one.
        if (change.type === 'DELETED' ? !!(pod.spec as PodSpec)?.nodeName : !owner) this.enqueue(clusterId, 'schedule', '', '');
        if (change.type === 'DELETED' && isUnschedulable(pod)) {
          // Its FailedScheduling event goes with it, so that events never outgrow the pods (a real cluster expires them after an hour).
          let doomed = this.doomedEvents.get(clusterId);
          if (!doomed) this.doomedEvents.set(clusterId, (doomed = new Set()));
          doomed.add(`${namespace}/${schedulingEventName(pod)}`);
          this.enqueue(clusterId, 'events', '', '');
        }
        break;
      }
      case 'core/nodes':
        this.enqueue(clusterId, 'cluster', '', '');
        break;
    }
  }

  private enqueue(clusterId: string, kind: string, namespace: string, name: string, attempt = 0): void {
    if (this.stopped) return;
    const key = `${clusterId}/${kind}/${namespace}/${name}`;
    if (this.pending.has(key)) return;
    const delay = attempt === 0 ? this.options.delayMs : Math.min(5000, 100 * 2 ** attempt);
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        let due = this.due.get(clusterId);
        if (!due) this.due.set(clusterId, (due = new Map()));
        due.set(key, { kind, namespace, name, attempt });
        this.work(clusterId);
      }, delay),
    );
  }

  /** Runs a cluster's due reconciles in order, one at a time, until none is left. */
  private work(clusterId: string): void {
    if (this.workers.has(clusterId)) return;
    const due = this.due.get(clusterId)!;
    const run = (async () => {
      while (!this.stopped && due.size > 0) {
        const [key, item] = due.entries().next().value!;
        due.delete(key);
        try {
          await this.reconcile(clusterId, item.kind, item.namespace, item.name);
        } catch (err) {
          this.options.log?.warn({ err, key }, 'simulated controller failed; retrying');
          if (item.attempt < 8) this.enqueue(clusterId, item.kind, item.namespace, item.name, item.attempt + 1);
        }
      }
    })().finally(() => {
      this.workers.delete(clusterId);
      if (due.size === 0) this.due.delete(clusterId);
      else if (!this.stopped) this.work(clusterId);
    });
    this.workers.set(clusterId, run);
  }

  private async reconcile(clusterId: string, kind: string, namespace: string, name: string): Promise<void> {
    const settings = await this.clusters.get(clusterId);
    if (!settings) return;
    switch (kind) {
      case 'cluster': {
        await this.reconcileNodes(clusterId, settings);
        const deployments = await this.store.list(clusterId, DEPLOYMENTS);
        for (const d of deployments.items) this.enqueue(clusterId, 'deployment', d.metadata.namespace!, d.metadata.name!);
        const services = await this.store.list(clusterId, SERVICES);
        for (const s of services.items) this.enqueue(clusterId, 'service', s.metadata.namespace!, s.metadata.name!);
        this.enqueue(clusterId, 'schedule', '', '');
        return;
      }
      case 'deployment':
        return this.reconcileDeployment(clusterId, settings, namespace, name);
      case 'service':
        return this.reconcileService(clusterId, settings, namespace, name);
      case 'schedule':
        return this.schedulePending(clusterId, settings);
      case 'events':
        return this.removeDoomedEvents(clusterId);
    }
  }

  private nodeName(settings: ClusterSettings, index: number): string {
    return `${settings.nodeNamePrefix}${String(index).padStart(6, '0')}`;
  }

  private desiredNode(settings: ClusterSettings, index: number): KubeObject {
    const size = findVmSize(settings.agentPool.vmSize);
    const cpu = size?.vCPUs ?? 2;
    const memoryKi = Math.round((size?.memoryGiB ?? 8) * 1024 * 1024);
    const capacity: Record<string, string> = {
      cpu: String(cpu),
      memory: `${memoryKi}Ki`,
      pods: '110',
      'ephemeral-storage': '129886128Ki',
      ...(size?.gpus ? { 'nvidia.com/gpu': String(size.gpus) } : {}),
    };
    // AKS reserves part of each node for the system (kube-reserved); the figures here are indicative.
    const allocatable = { ...capacity, cpu: `${cpu * 1000 - 140 - 60 * Math.min(cpu, 4)}m`, memory: `${Math.round(memoryKi * 0.78)}Ki` };
    const name = this.nodeName(settings, index);
    const ip = addressAt(parseCidr(settings.nodeSubnetCidr)!, 4 + index);
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node.kubernetes.io/instance-type': settings.agentPool.vmSize,
          'topology.kubernetes.io/region': settings.region,
          'topology.kubernetes.io/zone': '0',
          'kubernetes.azure.com/agentpool': settings.agentPool.name,
          'kubernetes.azure.com/cluster': `MC_${settings.resourceGroup}_${settings.clusterName}_${settings.region}`,
          'kubernetes.azure.com/mode': 'system',
          agentpool: settings.agentPool.name,
        },
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'berth.dev/simulated': 'true' },
      },
      spec: { podCIDR: addressAt(parseCidr(settings.podCidr)!, index * 256) + '/24', providerID: `azure:///subscriptions/local/resourceGroups/mc/providers/Microsoft.Compute/virtualMachineScaleSets/${settings.nodeNamePrefix}/virtualMachines/${index}` },
      status: {
        capacity,
        allocatable,
        conditions: [
          { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
          { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
          { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
          { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
        ],
        addresses: [
          { type: 'InternalIP', address: ip },
          { type: 'Hostname', address: name },
        ],
        nodeInfo: {
          kubeletVersion: `v${settings.kubernetesVersion}`,
          kubeProxyVersion: `v${settings.kubernetesVersion}`,
          osImage: 'Ubuntu 22.04.5 LTS',
          kernelVersion: '5.15.0-1079-azure',
          containerRuntimeVersion: 'containerd://1.7.25-1',
          operatingSystem: 'linux',
          architecture: 'amd64',
          machineID: hash(name, 16),
          systemUUID: hash(`${name}/uuid`, 16),
          bootID: hash(`${name}/boot`, 16),
        },
      },
    };
  }

  /** Nodes 0..count-1 of the agent pool exist with the pool's VM size and version; others are removed. */
  private async reconcileNodes(clusterId: string, settings: ClusterSettings): Promise<void> {
    const current = await this.store.list(clusterId, NODES);
    const wanted = new Map(Array.from({ length: settings.agentPool.count }, (_, i) => [this.nodeName(settings, i), i]));
    for (const node of current.items) {
      if (!wanted.has(node.metadata.name!)) await this.store.remove(clusterId, NODES, '', node.metadata.name!).catch(() => undefined);
    }
    for (const [name, index] of wanted) {
      const desired = this.desiredNode(settings, index);
      const existing = current.items.find((n) => n.metadata.name === name);
      if (!existing) await this.ignoreExists(this.store.create(clusterId, NODES, desired));
      else if (!isDeepStrictEqual(existing.status, desired.status) || !isDeepStrictEqual(existing.metadata.labels, desired.metadata.labels)) {
        await this.store.replace(clusterId, NODES, { ...existing, metadata: { ...existing.metadata, labels: desired.metadata.labels }, status: desired.status });
      }
    }
  }

  private async removeDoomedEvents(clusterId: string): Promise<void> {
    const doomed = this.doomedEvents.get(clusterId);
    let writes = 0;
    for (const key of doomed ?? []) {
      if (writes++ >= BATCH) {
        this.enqueue(clusterId, 'events', '', '');
        return;
      }
      doomed!.delete(key);
      const [namespace, name] = key.split('/');
      await this.store.remove(clusterId, EVENTS, namespace, name).catch(() => undefined);
      await yieldToEventLoop();
    }
    this.doomedEvents.delete(clusterId);
  }

  /** The nodes' room and the pods bound to them: what a placement is decided against. */
  private async placement(clusterId: string, pods: KubeObject[]): Promise<Placement> {
    return new Placement((await this.store.list(clusterId, NODES)).items, pods);
  }

  private async reconcileDeployment(clusterId: string, settings: ClusterSettings, namespace: string, name: string): Promise<void> {
    const deployment = await this.store.get(clusterId, DEPLOYMENTS, namespace, name);
    const allPods = (await this.store.list(clusterId, PODS)).items;
    const pods = allPods.filter((p) => p.metadata.namespace === namespace);
    if (!deployment) {
      // Garbage collection: pods whose owning Deployment is gone.
      const orphans = pods.filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === name));
      for (const pod of orphans.slice(0, BATCH)) {
        await this.store.remove(clusterId, PODS, namespace, pod.metadata.name!).catch(() => undefined);
        await yieldToEventLoop();
      }
      return;
    }
    const spec = deployment.spec as any;
    const template = spec.template;
    const templateHash = hash(JSON.stringify(template), 5).slice(0, 10);
    const owned = pods.filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === deployment.metadata.uid));
    const placement = await this.placement(clusterId, allPods);
    const keep: KubeObject[] = [];
    const doomed: KubeObject[] = [];
    for (const pod of owned) {
      const nodeName = (pod.spec as PodSpec)?.nodeName;
      const stale = pod.metadata.labels?.['pod-template-hash'] !== templateHash || (nodeName !== undefined && !placement.hasNode(nodeName));
      (stale ? doomed : keep).push(pod);
    }
    const replicas: number = spec.replicas ?? 1;
    // Scaling down removes pods still waiting for a node first, as the ReplicaSet controller does.
    keep.sort((a, b) => Number(isRunning(b)) - Number(isRunning(a)) || byText(a.metadata.name!, b.metadata.name!));
    doomed.push(...keep.splice(replicas));
    let writes = 0;
    for (const pod of doomed) {
      if (writes++ >= BATCH) break;
      await this.store.remove(clusterId, PODS, namespace, pod.metadata.name!).catch(() => undefined);
      placement.release(pod);
      await yieldToEventLoop();
    }
    let failure: string | undefined;
    const requests = podRequests(template.spec);
    for (let i = keep.length; i < replicas && writes < BATCH && placement.nodeCount > 0; i++, writes++) {
      const podName = `${name}-${templateHash}-${hash(`${deployment.metadata.uid}/${Date.now()}/${i}/${Math.random()}`, 3).slice(0, 5)}`;
      const pod: KubeObject = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          namespace,
          labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': templateHash },
          annotations: template.metadata?.annotations,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: deployment.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        spec: clone(template.spec),
      };
      const spot = placement.place(requests, deployment.metadata.uid!);
      try {
        if (spot.node !== undefined) {
          (pod.spec as PodSpec).nodeName = spot.node;
          keep.push(await this.store.create(clusterId, PODS, this.runningPod(settings, pod)));
          placement.bind(pod, requests, deployment.metadata.uid!);
        } else {
          keep.push(await this.createUnschedulable(clusterId, pod, spot.message));
        }
      } catch (err) {
        // Quota exhausted or namespace going away: what the ReplicaSet controller reports as FailedCreate, without retrying in a loop.
        if (!(err instanceof KubeError && (err.code === 403 || err.code === 404))) throw err;
        failure = err.message;
        break;
      }
      await yieldToEventLoop();
    }
    await this.writeDeploymentStatus(clusterId, deployment, keep, replicas, templateHash, failure);
  }

  private async writeDeploymentStatus(clusterId: string, deployment: KubeObject, pods: KubeObject[], replicas: number, templateHash: string, failure: string | undefined): Promise<void> {
    const name = deployment.metadata.name!;
    // Only running pods are ready; pending ones count as replicas, not as available.
    const ready = Math.min(pods.filter(isRunning).length, replicas);
    const available = ready >= replicas - maxUnavailable(deployment.spec, replicas);
    const status = {
      observedGeneration: deployment.metadata.generation ?? 1,
      replicas: pods.length,
      updatedReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      ...(replicas - ready > 0 ? { unavailableReplicas: replicas - ready } : {}),
      conditions: [
        { type: 'Available', status: available ? 'True' : 'False', reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}-${templateHash}" has successfully progressed.` },
        ...(failure ? [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure }] : []),
      ],
    };
    const previous = (deployment.status ?? {}) as { conditions?: Array<Record<string, string>> };
    const sameExceptTimes = isDeepStrictEqual(
      { ...status, conditions: status.conditions },
      { ...previous, conditions: previous.conditions?.map(({ lastUpdateTime: _u, lastTransitionTime: _t, ...c }) => c) },
    );
    if (sameExceptTimes) return;
    const stamp = now();
    const conditions = status.conditions.map((c) => {
      const before = previous.conditions?.find((p) => p.type === c.type);
      return { ...c, lastUpdateTime: stamp, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : stamp };
    });
    try {
      await this.store.replace(clusterId, DEPLOYMENTS, { ...deployment, status: { ...status, conditions } }, deployment.metadata.resourceVersion);
    } catch (err) {
      // The deployment changed meanwhile: that change enqueued another reconcile.
      if (!(err instanceof KubeError && (err.reason === 'Conflict' || err.code === 404))) throw err;
    }
  }

  private runningPod(settings: ClusterSettings, pod: KubeObject): KubeObject {
    const containers: any[] = (pod.spec as any)?.containers ?? [];
    const started = now();
    pod.status = {
      phase: 'Running',
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: started })),
      hostIP: addressAt(parseCidr(settings.nodeSubnetCidr)!, 4 + (hashInt((pod.spec as any).nodeName ?? '') % Math.max(1, settings.agentPool.count))),
      podIP: addressAt(parseCidr(settings.podCidr)!, 10 + (hashInt(pod.metadata.name ?? '') % 60000)),
      startTime: started,
      containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: started } } })),
      qosClass: 'Burstable',
    };
    return pod;
  }

  /** A pod no node has room for: Pending, PodScheduled False/Unschedulable, and the scheduler's FailedScheduling event. */
  private async createUnschedulable(clusterId: string, pod: KubeObject, message: string): Promise<KubeObject> {
    pod.status = unschedulableStatus(message);
    const created = await this.store.create(clusterId, PODS, pod);
    await this.recordFailedScheduling(clusterId, created, message);
    return created;
  }

  private async recordFailedScheduling(clusterId: string, pod: KubeObject, message: string): Promise<void> {
    const stamp = now();
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: schedulingEventName(pod), namespace: pod.metadata.namespace },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion },
      reason: 'FailedScheduling',
      message,
      source: { component: 'default-scheduler' },
      reportingComponent: 'default-scheduler',
      reportingInstance: '',
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      count: 1,
      type: 'Warning',
    };
    const existing = await this.store.get(clusterId, EVENTS, pod.metadata.namespace!, event.metadata.name!);
    const write = existing
      ? this.store.replace(clusterId, EVENTS, { ...existing, message, lastTimestamp: stamp, count: Number(existing.count ?? 1) + 1 })
      : this.store.create(clusterId, EVENTS, event);
    // An event is worth less than the pod it explains: one refused by the quota is dropped.
    await write.catch((err) => {
      if (!(err instanceof KubeError && err.code < 500)) throw err;
    });
  }

  /**
   * The scheduler: pending pods, oldest first, go to a node with room for their
   * requests; those that fit nowhere stay Pending and say why. Pods created with
   * a node (spec.nodeName) just start there.
   */
  private async schedulePending(clusterId: string, settings: ClusterSettings): Promise<void> {
    const pods = (await this.store.list(clusterId, PODS)).items;
    const placement = await this.placement(clusterId, pods);
    if (placement.nodeCount === 0) return;
    const waiting = pods
      .filter((p) => (p.status as { phase?: string })?.phase === 'Pending' || p.status === undefined)
      .sort((a, b) => byText(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? '') || byText(a.metadata.name!, b.metadata.name!));
    let writes = 0;
    for (const pod of waiting) {
      if (writes >= BATCH) {
        this.enqueue(clusterId, 'schedule', '', '');
        return;
      }
      const spec = pod.spec as PodSpec;
      const owner = pod.metadata.ownerReferences?.[0]?.uid ?? pod.metadata.uid!;
      const requests = podRequests(spec);
      let updated: KubeObject | undefined;
      let message: string | undefined;
      if (spec?.nodeName !== undefined) {
        updated = this.runningPod(settings, clone(pod));
      } else {
        const spot = placement.place(requests, owner);
        if (spot.node !== undefined) {
          updated = this.runningPod(settings, { ...clone(pod), spec: { ...spec, nodeName: spot.node } });
          placement.bind(updated, requests, owner);
        } else if (schedulingMessage(pod) !== spot.message) {
          message = spot.message;
          updated = { ...pod, status: unschedulableStatus(spot.message, pod) };
        }
      }
      if (!updated) continue;
      writes++;
      const saved = await this.store.replace(clusterId, PODS, updated, pod.metadata.resourceVersion).catch((err) => {
        // Changed or deleted meanwhile: that change enqueued another pass.
        if (err instanceof KubeError && (err.reason === 'Conflict' || err.code === 404)) return undefined;
        throw err;
      });
      if (saved && message !== undefined) await this.recordFailedScheduling(clusterId, saved, message);
      else if (saved && isUnschedulable(pod)) await this.store.remove(clusterId, EVENTS, pod.metadata.namespace!, schedulingEventName(pod)).catch(() => undefined);
      await yieldToEventLoop();
    }
  }

  /** Private addresses in use in the cluster's vnet, each with what holds it: '' for a node, `namespace/name` for a service. */
  private async privateAddressHolders(clusterId: string): Promise<Map<string, string[]>> {
    const holders = new Map<string, string[]>();
    const hold = (ip: string, holder: string) => holders.set(ip, [...(holders.get(ip) ?? []), holder].sort());
    for (const node of (await this.store.list(clusterId, NODES)).items) {
      for (const a of (node.status as any)?.addresses ?? []) if (a.type === 'InternalIP') hold(a.address, '');
    }
    for (const s of (await this.store.list(clusterId, SERVICES)).items) {
      const ip: string | undefined = (s.status as any)?.loadBalancer?.ingress?.[0]?.ip;
      if (ip) hold(ip, `${s.metadata.namespace}/${s.metadata.name}`);
    }
    return holders;
  }

  /** A LoadBalancer Service gets a public address, or with the internal annotation a private one from its subnet. */
  private async reconcileService(clusterId: string, settings: ClusterSettings, namespace: string, name: string): Promise<void> {
    const service = await this.store.get(clusterId, SERVICES, namespace, name);
    if (!service) return;
    const spec = service.spec as { type?: string };
    const current: string | undefined = (service.status as any)?.loadBalancer?.ingress?.[0]?.ip;
    let desired: string | undefined;
    if (spec.type === 'LoadBalancer') {
      const annotations = service.metadata.annotations ?? {};
      const seed = `${clusterId}/${namespace}/${name}`;
      if (annotations[INTERNAL_LB] === 'true') {
        const cidr = parseCidr(subnetCidr(settings, annotations[INTERNAL_LB_SUBNET]))!;
        const holders = await this.privateAddressHolders(clusterId);
        const key = `${namespace}/${name}`;
        // Two services given one address at once both keep seeing it taken; the one that sorts first keeps it.
        const holder = current === undefined ? undefined : holders.get(current)?.find((h) => h !== key);
        const fits = current !== undefined && contains(cidr, current) && (holder === undefined || holder > key);
        desired = fits ? current : freeAddress(cidr, hashInt(seed), holders);
      } else {
        const isPublic = current !== undefined && current.startsWith('20.');
        desired = isPublic ? current : `20.${40 + (hashInt(seed) % 200)}.${hashInt(`${seed}/b`) % 256}.${1 + (hashInt(`${seed}/c`) % 254)}`;
      }
    }
    if (desired === current) return;
    const status = desired ? { loadBalancer: { ingress: [{ ip: desired, ipMode: 'VIP' }] } } : { loadBalancer: {} };
    await this.store.replace(clusterId, SERVICES, { ...service, status }, service.metadata.resourceVersion).catch((err) => {
      if (!(err instanceof KubeError && (err.reason === 'Conflict' || err.code === 404))) throw err;
    });
  }
}

/**
 * A free address of the subnet for a load balancer, from a per-service starting point.
 * Azure keeps the first four addresses of a subnet and the nodes sit just above
 * them, so load balancers start at the hundredth; none when the subnet is full.
 */
function freeAddress(cidr: Cidr, start: number, taken: Map<string, string[]>): string | undefined {
  const span = Math.max(1, cidr.size - 110);
  for (let i = 0; i < span; i++) {
    const ip = addressAt(cidr, 100 + ((start + i) % span));
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}

/** Code-unit order: names and timestamps are ASCII, and localeCompare costs too much over thousands of pods. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface PodSpec {
  nodeName?: string;
  containers?: Array<{ resources?: { requests?: Record<string, unknown> } }>;
  initContainers?: Array<{ resources?: { requests?: Record<string, unknown> } }>;
}

/** CPU in millicores and memory in bytes. */
interface Resources {
  cpu: number;
  memory: number;
}

/** What a pod asks of a node: its containers' requests summed, or its largest init container's if that is more (they run one at a time, first). */
function podRequests(spec: PodSpec | undefined): Resources {
  const of = (c: { resources?: { requests?: Record<string, unknown> } }): Resources => ({
    cpu: milliCpu(parseQuantity(c.resources?.requests?.cpu) ?? 0),
    memory: Math.ceil(parseQuantity(c.resources?.requests?.memory) ?? 0),
  });
  const sum = (spec?.containers ?? []).map(of).reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 });
  for (const init of (spec?.initContainers ?? []).map(of)) {
    sum.cpu = Math.max(sum.cpu, init.cpu);
    sum.memory = Math.max(sum.memory, init.memory);
  }
  return sum;
}

const isRunning = (pod: KubeObject) => (pod.status as { phase?: string } | undefined)?.phase === 'Running';

function schedulingMessage(pod: KubeObject): string | undefined {
  const conditions = (pod.status as { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } | undefined)?.conditions;
  const scheduled = conditions?.find((c) => c.type === 'PodScheduled');
  return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' ? scheduled.message : undefined;
}

const isUnschedulable = (pod: KubeObject) => schedulingMessage(pod) !== undefined;

/** One FailedScheduling event per pod, named from the pod as kubectl expects (`<pod>.<suffix>`). */
const schedulingEventName = (pod: KubeObject) => `${pod.metadata.name}.${hash(`${pod.metadata.uid}/FailedScheduling`, 8)}`;

function unschedulableStatus(message: string, pod?: KubeObject): object {
  const previous = (pod?.status as { conditions?: Array<{ type: string; lastTransitionTime?: string }> } | undefined)?.conditions?.find((c) => c.type === 'PodScheduled');
  return {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: previous?.lastTransitionTime ?? now(), reason: 'Unschedulable', message }],
    qosClass: 'Burstable',
  };
}

/** `spec.strategy.rollingUpdate.maxUnavailable` as a pod count (default 25%, rounded down as Kubernetes does). */
function maxUnavailable(spec: unknown, replicas: number): number {
  const value = (spec as { strategy?: { rollingUpdate?: { maxUnavailable?: unknown } } })?.strategy?.rollingUpdate?.maxUnavailable ?? '25%';
  if (typeof value === 'number') return Math.max(0, Math.floor(value));
  const percent = /^(\d+)%$/.exec(String(value));
  return percent ? Math.floor((replicas * Number(percent[1])) / 100) : 0;
}

interface NodeRoom {
  name: string;
  free: Resources & { pods: number };
}

/**
 * The scheduler's view of a cluster: each node's allocatable CPU, memory and pod
 * count, less what the pods bound to it request. Placing a pod picks the node
 * with the fewest pods of the same owner (spreading replicas), then the most
 * free CPU; a pod that fits nowhere gets the scheduler's reasons, per node.
 */
class Placement {
  private readonly nodes: NodeRoom[];
  private readonly byName = new Map<string, NodeRoom>();
  /** Pods per owner and node, for spreading. */
  private readonly spread = new Map<string, number>();

  constructor(nodes: KubeObject[], pods: KubeObject[]) {
    this.nodes = nodes.map((n) => {
      const allocatable = ((n.status as { allocatable?: Record<string, string> })?.allocatable ?? {}) as Record<string, string>;
      return {
        name: n.metadata.name!,
        free: { cpu: milliCpu(parseQuantity(allocatable.cpu) ?? 0), memory: Math.floor(parseQuantity(allocatable.memory) ?? 0), pods: Math.floor(parseQuantity(allocatable.pods) ?? 0) },
      };
    });
    for (const node of this.nodes) this.byName.set(node.name, node);
    for (const pod of pods) {
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      this.bind(pod, podRequests(pod.spec as PodSpec), pod.metadata.ownerReferences?.[0]?.uid ?? pod.metadata.uid ?? '');
    }
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  hasNode(name: string): boolean {
    return this.byName.has(name);
  }

  bind(pod: KubeObject, requests: Resources, owner: string): void {
    this.charge(pod, requests, owner, 1);
  }

  release(pod: KubeObject): void {
    this.charge(pod, podRequests(pod.spec as PodSpec), pod.metadata.ownerReferences?.[0]?.uid ?? pod.metadata.uid ?? '', -1);
  }

  private charge(pod: KubeObject, requests: Resources, owner: string, sign: 1 | -1): void {
    const node = this.byName.get((pod.spec as PodSpec)?.nodeName ?? '');
    if (!node) return;
    node.free.cpu -= sign * requests.cpu;
    node.free.memory -= sign * requests.memory;
    node.free.pods -= sign;
    const key = `${owner}/${node.name}`;
    this.spread.set(key, (this.spread.get(key) ?? 0) + sign);
  }

  place(requests: Resources, owner: string): { node: string; message?: undefined } | { node?: undefined; message: string } {
    const reasons = new Map<string, number>();
    let best: NodeRoom | undefined;
    let bestSpread = 0;
    for (const node of this.nodes) {
      const misfits = [
        ...(node.free.pods < 1 ? ['Too many pods'] : []),
        ...(node.free.cpu < requests.cpu ? ['Insufficient cpu'] : []),
        ...(node.free.memory < requests.memory ? ['Insufficient memory'] : []),
      ];
      for (const reason of misfits) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      if (misfits.length > 0) continue;
      const spread = this.spread.get(`${owner}/${node.name}`) ?? 0;
      if (!best || spread < bestSpread || (spread === bestSpread && node.free.cpu > best.free.cpu)) {
        best = node;
        bestSpread = spread;
      }
    }
    if (best) return { node: best.name };
    if (this.nodes.length === 0) return { message: 'no nodes available to schedule pods' };
    const why = [...reasons.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([reason, count]) => `${count} ${reason}`);
    return { message: `0/${this.nodes.length} nodes are available: ${why.join(', ')}.` };
  }
}
