import { createHash } from 'node:crypto';
import type { ArmErrorDetail } from '@berth/arm';
import {
  deleteKubeCluster,
  deleteResourceTree,
  getKubeClusterByManagedCluster,
  insertKubeCluster,
  isUniqueViolation,
  updateKubeClusterSettings,
  type Db,
} from '@berth/store';
import { remainingSinceStart, type OperationHandler } from '@berth/operations';
import type { ClusterDirectory } from '../kube/cluster-directory.js';
import { clusterSettingsCodec, type ClusterSettings } from '../kube/cluster-settings.js';
import type { SimulatedControllers } from '../kube/controllers/index.js';
import { policyDenial } from '../policy/policy-rules.js';
import type { ManagedClusterSpec } from './managed-cluster-spec.js';
import { CREATE_CLUSTER, DELETE_CLUSTER, UPDATE_CLUSTER } from './names.js';
import { managedClusters, type ManagedClusterBody } from './managed-cluster-store.js';

export interface ClusterOpData {
  idKey: string;
  id: string;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  clusterId: string;
  spec: ManagedClusterSpec;
}

export interface LocalCloudRuntime {
  controllers: SimulatedControllers;
  clusters: ClusterDirectory;
  settings: { provisioningDelayMs: number };
  /** Stops what runs for a cluster (workloads, local load balancers) before its objects go. */
  stopCluster(clusterId: string): Promise<void>;
}

/** What the cluster's Kubernetes API and controllers need of its spec. */
export function clusterSettings(data: Pick<ClusterOpData, 'id' | 'name' | 'resourceGroup' | 'spec'>): ClusterSettings {
  const { spec } = data;
  const digits = String(parseInt(createHash('sha256').update(data.id.toLowerCase()).digest('hex').slice(0, 8), 16) % 1e8).padStart(8, '0');
  return {
    managedClusterId: data.id,
    clusterName: data.name,
    resourceGroup: data.resourceGroup,
    region: spec.location,
    kubernetesVersion: spec.kubernetesVersion,
    authorizedIPRanges: spec.authorizedIPRanges,
    privateCluster: spec.privateCluster,
    serviceCidr: spec.network.serviceCidr,
    dnsServiceIP: spec.network.dnsServiceIP,
    podCidr: spec.network.podCidr ?? '10.244.0.0/16',
    nodeSubnetCidr: spec.nodeSubnet.cidr,
    nodeSubnetName: spec.nodeSubnet.name,
    agentPool: { name: spec.pool.name, count: spec.pool.count, vmSize: spec.pool.vmSize },
    nodeNamePrefix: `aks-${spec.pool.name}-${digits}-vmss`,
  };
}

async function setState(db: Db, idKey: string, state: string, change?: (body: ManagedClusterBody) => ManagedClusterBody): Promise<void> {
  const cluster = await managedClusters.get(db, idKey);
  if (!cluster) return;
  let { body } = cluster;
  if (change) body = change(body);
  body.properties.provisioningState = state;
  for (const pool of body.properties.agentPoolProfiles) pool.provisioningState = state;
  await managedClusters.update(db, idKey, body, new Date().toISOString());
}

/** Egress through a load balancer or a managed NAT gateway needs a public IP (R10); user-defined routing does not. */
function needsPublicIp(spec: ManagedClusterSpec): boolean {
  return spec.network.outboundType === 'loadBalancer' || spec.network.outboundType === 'managedNATGateway';
}

export function managedClusterOperationHandlers(runtime: LocalCloudRuntime): OperationHandler<ClusterOpData>[] {
  const { controllers, clusters, settings } = runtime;

  async function ensureKubeApi(db: Db, data: ClusterOpData): Promise<string> {
    const existing = await getKubeClusterByManagedCluster(db, data.idKey);
    const clusterSettingsJson = clusterSettingsCodec.stringify(clusterSettings(data));
    if (existing) {
      await updateKubeClusterSettings(db, existing.cluster_id, clusterSettingsJson);
      clusters.forget(existing.cluster_id);
      return existing.cluster_id;
    }
    try {
      await insertKubeCluster(db, {
        cluster_id: data.clusterId,
        managed_cluster_key: data.idKey,
        resource_version: 0,
        settings: clusterSettingsJson,
        created_at: new Date().toISOString(),
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    return data.clusterId;
  }

  const failed = ({ db, data }: { db: Db; data: ClusterOpData }, _error: ArmErrorDetail) => setState(db, data.idKey, 'Failed');

  return [
    {
      kind: CREATE_CLUSTER,
      async run({ db, data, step, operation }) {
        switch (step) {
          case 'policy': {
            const denial = needsPublicIp(data.spec) ? await policyDenial(db, data.subscriptionId, data.id, ['Microsoft.Network/publicIPAddresses']) : undefined;
            return denial ? { failed: denial } : { next: 'provision' };
          }
          case 'provision': {
            const wait = remainingSinceStart(operation, settings.provisioningDelayMs);
            return wait > 0 ? { next: 'provision', afterMs: wait } : { next: 'bootstrap' };
          }
          default: {
            const clusterId = await ensureKubeApi(db, data);
            await controllers.bootstrap(clusterId, clusterSettings(data));
            await setState(db, data.idKey, 'Succeeded');
            return { done: true };
          }
        }
      },
      onFailed: failed,
    },
    {
      kind: UPDATE_CLUSTER,
      async run({ db, data, step, operation }) {
        if (step === 'policy') {
          // A cluster whose create failed never got its public IP: a PUT that retries it creates one, so the policy applies again (R10).
          const provisioned = await getKubeClusterByManagedCluster(db, data.idKey);
          const denial =
            !provisioned && needsPublicIp(data.spec)
              ? await policyDenial(db, data.subscriptionId, data.id, ['Microsoft.Network/publicIPAddresses'])
              : undefined;
          return denial ? { failed: denial } : { next: 'provision' };
        }
        if (step === 'provision') {
          // Scaling takes the local cloud a fraction of a create.
          const wait = remainingSinceStart(operation, settings.provisioningDelayMs / 2);
          return wait > 0 ? { next: 'provision', afterMs: wait } : { next: 'apply' };
        }
        const clusterId = await ensureKubeApi(db, data);
        await controllers.bootstrap(clusterId, clusterSettings(data));
        await setState(db, data.idKey, 'Succeeded');
        return { done: true };
      },
      onFailed: failed,
    },
    {
      kind: DELETE_CLUSTER,
      async run({ db, data, operation }) {
        const wait = remainingSinceStart(operation, settings.provisioningDelayMs / 2);
        if (wait > 0) return { next: 'deprovision', afterMs: wait };
        await deleteClusterApi(db, data.idKey, clusters, runtime.stopCluster);
        await deleteResourceTree(db, data.idKey);
        return { done: true };
      },
      onFailed: failed,
    },
  ];
}

/** Removes a managed cluster's Kubernetes API and everything in it. */
export async function deleteClusterApi(
  db: Db,
  managedClusterKey: string,
  clusters: ClusterDirectory,
  stopCluster: (clusterId: string) => Promise<void>,
): Promise<void> {
  const kube = await getKubeClusterByManagedCluster(db, managedClusterKey);
  if (!kube) return;
  // Its objects go without change events: what runs for them stops first.
  await stopCluster(kube.cluster_id);
  await deleteKubeCluster(db, kube.cluster_id);
  clusters.forget(kube.cluster_id);
}
