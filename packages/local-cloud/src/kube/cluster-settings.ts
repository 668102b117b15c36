import { Type, type Static } from '@sinclair/typebox';
import { bodyCodec } from '@berth/store';

/** What a local cluster's Kubernetes API and simulated controllers need of its managed-cluster spec. */
const ClusterSettingsSchema = Type.Object({
  managedClusterId: Type.String(),
  clusterName: Type.String(),
  resourceGroup: Type.String(),
  region: Type.String(),
  kubernetesVersion: Type.String(),
  authorizedIPRanges: Type.Array(Type.String()),
  privateCluster: Type.Boolean(),
  serviceCidr: Type.String(),
  dnsServiceIP: Type.String(),
  podCidr: Type.String(),
  /** The node subnet: the vnet subnet the agent pool sits in. */
  nodeSubnetCidr: Type.String(),
  nodeSubnetName: Type.String(),
  agentPool: Type.Object({ name: Type.String(), count: Type.Integer(), vmSize: Type.String() }),
  /** Stable part of node names, e.g. `aks-nodepool1-12345678-vmss`. */
  nodeNamePrefix: Type.String(),
});
export type ClusterSettings = Static<typeof ClusterSettingsSchema>;

/** How settings are stored in `kube_clusters.settings`. */
export const clusterSettingsCodec = bodyCodec(ClusterSettingsSchema, 'local cluster settings');

/** The credentials AKS hands out: clusterAdmin and clusterUser. */
export type CredentialRole = 'admin' | 'user';

/** Who a cluster token speaks for: its admin, its user, or a workload's service account. */
export type ClusterRole = CredentialRole | 'serviceaccount';
