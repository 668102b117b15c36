import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { findVmSize } from '@berth/catalog';
import { listKubeClusters, type Db } from '@berth/store';
import { addressAt, contains, parseCidr, type Cidr } from '@berth/arm';
import type { ClusterDirectory } from './cluster-directory.js';
import type { ClusterSettings } from './cluster-settings.js';
import { clone, type KubeObject } from './kube-object.js';
import type { KubeObjectStore, ObjectChange } from './object-store.js';
import { resourceTypeByKey } from './resource-types.js';
import { KubeError } from './status.js';

const NODES = resourceTypeByKey('core/nodes');
const NAMESPACES = resourceTypeByKey('core/namespaces');
const PODS = resourceTypeByKey('core/pods');
const DEPLOYMENTS = resourceTypeByKey('apps/deployments');
const SERVICES = resourceTypeByKey('core/services');

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
  private readonly running = new Set<Promise<void>>();
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
    await Promise.allSettled([...this.running]);
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
        const owner = change.object.metadata.ownerReferences?.find((o) => o.kind === 'Deployment');
        if (owner) this.enqueue(clusterId, 'deployment', namespace, owner.name);
        else if (change.type !== 'DELETED') this.enqueue(clusterId, 'pod', namespace, name);
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
        const run = this.reconcile(clusterId, kind, namespace, name)
          .catch((err) => {
            this.options.log?.warn({ err, key }, 'simulated controller failed; retrying');
            if (attempt < 8) this.enqueue(clusterId, kind, namespace, name, attempt + 1);
          })
          .finally(() => this.running.delete(run));
        this.running.add(run);
      }, delay),
    );
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
        return;
      }
      case 'deployment':
        return this.reconcileDeployment(clusterId, settings, namespace, name);
      case 'service':
        return this.reconcileService(clusterId, settings, namespace, name);
      case 'pod':
        return this.reconcileStandalonePod(clusterId, settings, namespace, name);
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

  private async reconcileDeployment(clusterId: string, settings: ClusterSettings, namespace: string, name: string): Promise<void> {
    const deployment = await this.store.get(clusterId, DEPLOYMENTS, namespace, name);
    const pods = (await this.store.list(clusterId, PODS, namespace)).items;
    if (!deployment) {
      // Garbage collection: pods whose owning Deployment is gone.
      for (const pod of pods.filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === name))) {
        await this.store.remove(clusterId, PODS, namespace, pod.metadata.name!).catch(() => undefined);
      }
      return;
    }
    const spec = deployment.spec as any;
    const template = spec.template;
    const templateHash = hash(JSON.stringify(template), 5).slice(0, 10);
    const owned = pods.filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === deployment.metadata.uid));
    const nodes = (await this.store.list(clusterId, NODES)).items.map((n) => n.metadata.name!);
    const nodeSet = new Set(nodes);
    const keep: KubeObject[] = [];
    for (const pod of owned) {
      const stale = pod.metadata.labels?.['pod-template-hash'] !== templateHash || !nodeSet.has((pod.spec as any)?.nodeName);
      if (stale) await this.store.remove(clusterId, PODS, namespace, pod.metadata.name!).catch(() => undefined);
      else keep.push(pod);
    }
    const replicas: number = spec.replicas ?? 1;
    keep.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
    for (const extra of keep.splice(replicas)) await this.store.remove(clusterId, PODS, namespace, extra.metadata.name!).catch(() => undefined);
    // Spread pods over nodes: each new pod goes to the node running the fewest of this deployment's pods.
    const perNode = new Map(nodes.map((n) => [n, 0]));
    for (const pod of keep) perNode.set((pod.spec as any).nodeName, (perNode.get((pod.spec as any).nodeName) ?? 0) + 1);
    for (let i = keep.length; i < replicas && nodes.length > 0; i++) {
      const node = [...perNode.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0][0];
      perNode.set(node, perNode.get(node)! + 1);
      const podName = `${name}-${templateHash}-${hash(`${deployment.metadata.uid}/${Date.now()}/${i}/${Math.random()}`, 3).slice(0, 5)}`;
      const pod = this.runningPod(settings, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          namespace,
          labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': templateHash },
          annotations: template.metadata?.annotations,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: deployment.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        spec: { ...clone(template.spec), nodeName: node },
      });
      keep.push(await this.store.create(clusterId, PODS, pod));
    }
    const ready = Math.min(keep.length, replicas);
    const available = ready >= replicas || ready > 0;
    const status = {
      observedGeneration: deployment.metadata.generation ?? 1,
      replicas: keep.length,
      updatedReplicas: keep.length,
      readyReplicas: ready,
      availableReplicas: ready,
      ...(replicas - ready > 0 ? { unavailableReplicas: replicas - ready } : {}),
      conditions: [
        { type: 'Available', status: available ? 'True' : 'False', reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}-${templateHash}" has successfully progressed.` },
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

  /** A pod created directly (no owner) is scheduled and runs. */
  private async reconcileStandalonePod(clusterId: string, settings: ClusterSettings, namespace: string, name: string): Promise<void> {
    const pod = await this.store.get(clusterId, PODS, namespace, name);
    if (!pod || (pod.status as { phase?: string })?.phase === 'Running') return;
    const nodes = (await this.store.list(clusterId, NODES)).items;
    if (nodes.length === 0) return;
    const node = nodes[hashInt(name) % nodes.length].metadata.name!;
    const running = this.runningPod(settings, { ...pod, spec: { ...(pod.spec as object), nodeName: (pod.spec as any)?.nodeName ?? node } });
    await this.store.replace(clusterId, PODS, running, pod.metadata.resourceVersion).catch(() => undefined);
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
