import type { AksNetworkingConfiguration, SslConfiguration } from '@berth/compute-rules';

export type { AksNetworkingConfiguration, SslConfiguration };

/** Shapes of Berth's API (those of Microsoft.MachineLearningServices 2022-10-01), as far as the SDK reads them. */
export interface Subscription {
  id: string;
  subscriptionId: string;
  tenantId: string;
  displayName: string;
  state: string;
}

export interface ResourceGroup {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  properties: { provisioningState: string };
}

export interface WorkspaceResource {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  properties: { provisioningState: string; description?: string; friendlyName?: string; workspaceId: string; [key: string]: unknown };
}

export type ClusterPurpose = 'FastProd' | 'DenseProd' | 'DevTest';
export type LoadBalancerType = 'PublicIp' | 'InternalLoadBalancer';

export interface AksProperties {
  agentCount?: number;
  agentVmSize?: string;
  clusterPurpose?: ClusterPurpose;
  clusterFqdn?: string | null;
  systemServices?: Array<{ systemServiceType: string; publicIpAddress: string; version: string }>;
  sslConfiguration?: SslConfiguration;
  aksNetworkingConfiguration?: AksNetworkingConfiguration;
  loadBalancerType?: LoadBalancerType;
  loadBalancerSubnet?: string;
}

export interface ComputeResource {
  id?: string;
  name?: string;
  location?: string;
  tags?: Record<string, string>;
  properties: {
    computeType: 'AKS';
    computeLocation?: string;
    description?: string | null;
    resourceId?: string;
    provisioningState?: string;
    provisioningErrors?: Array<{ error: { code: string; message: string } }> | null;
    isAttachedCompute?: boolean;
    properties?: AksProperties;
  };
}

export interface ComputeUpdate {
  properties: {
    description?: string | null;
    properties?: { agentCount?: number; sslConfiguration?: SslConfiguration; loadBalancerType?: LoadBalancerType; loadBalancerSubnet?: string | null };
  };
}

export interface AksComputeSecrets {
  computeType: 'AKS';
  userKubeConfig: string | null;
  adminKubeConfig: string;
  imagePullSecretName: string | null;
}

export interface ComputeNode {
  nodeId: string;
  privateIpAddress: string | null;
  publicIpAddress: string | null;
  port: number;
  nodeState: string;
}
