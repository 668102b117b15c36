import { isDeepStrictEqual } from 'node:util';
import { addressAt, parseCidr } from '@berth/arm';
import { findVmSize } from '@berth/catalog';
import type { ClusterSettings } from '../cluster-settings.js';
import type { KubeObject } from '../kube-object.js';
import type { KubeObjectStore } from '../object-store.js';
import { resourceTypeByKey } from '../resource-types.js';
import { hash } from './hashing.js';
import { unlessExists, unlessGone } from './writes.js';

const NODES = resourceTypeByKey('core/nodes');

function nodeName(settings: ClusterSettings, index: number): string {
  return `${settings.nodeNamePrefix}${String(index).padStart(6, '0')}`;
}

/** Node `index` of the agent pool: the VM size's capacity less AKS's reservations, Ready, with the AKS labels. */
function desiredNode(settings: ClusterSettings, index: number): KubeObject {
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
  const name = nodeName(settings, index);
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
    spec: {
      podCIDR: addressAt(parseCidr(settings.podCidr)!, index * 256) + '/24',
      providerID: `azure:///subscriptions/local/resourceGroups/mc/providers/Microsoft.Compute/virtualMachineScaleSets/${settings.nodeNamePrefix}/virtualMachines/${index}`,
    },
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

/** What the agent pool's virtual machine scale set would do: one Ready node per instance. Keyed by cluster. */
export class NodeController {
  constructor(private readonly store: KubeObjectStore) {}

  /** Nodes 0..count-1 of the agent pool exist with the pool's VM size and version; others are removed. */
  async reconcile(clusterId: string, settings: ClusterSettings): Promise<void> {
    const current = await this.store.list(clusterId, NODES);
    const wanted = new Map(Array.from({ length: settings.agentPool.count }, (_, i) => [nodeName(settings, i), i]));
    for (const node of current.items) {
      if (!wanted.has(node.metadata.name!)) await unlessGone(this.store.remove(clusterId, NODES, '', node.metadata.name!));
    }
    for (const [name, index] of wanted) {
      const desired = desiredNode(settings, index);
      const existing = current.items.find((n) => n.metadata.name === name);
      if (!existing) await unlessExists(this.store.create(clusterId, NODES, desired));
      else if (!isDeepStrictEqual(existing.status, desired.status) || !isDeepStrictEqual(existing.metadata.labels, desired.metadata.labels)) {
        await this.store.replace(clusterId, NODES, {
          ...existing,
          metadata: { ...existing.metadata, labels: desired.metadata.labels },
          status: desired.status,
        });
      }
    }
  }
}
