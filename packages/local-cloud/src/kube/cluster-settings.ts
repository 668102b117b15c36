/** What a local cluster's Kubernetes API and simulated controllers need of its managed-cluster spec. */
export interface ClusterSettings {
  managedClusterId: string;
  clusterName: string;
  resourceGroup: string;
  region: string;
  kubernetesVersion: string;
  authorizedIPRanges: string[];
  privateCluster: boolean;
  serviceCidr: string;
  dnsServiceIP: string;
  podCidr: string;
  /** The node subnet: the vnet subnet the agent pool sits in. */
  nodeSubnetCidr: string;
  nodeSubnetName: string;
  agentPool: { name: string; count: number; vmSize: string };
  /** Stable part of node names, e.g. `aks-nodepool1-12345678-vmss`. */
  nodeNamePrefix: string;
}

export type ClusterRole = 'admin' | 'user';
