/** The parts of a compute PUT the rules read (the shape of Microsoft.MachineLearningServices 2022-10-01 `ComputeResource` for AKS). */
export interface SslConfiguration {
  status?: 'Disabled' | 'Enabled' | 'Auto';
  cert?: string | null;
  key?: string | null;
  cname?: string | null;
  leafDomainLabel?: string | null;
  overwriteExistingDomain?: boolean;
}

export interface AksNetworkingConfiguration {
  subnetId?: string;
  serviceCidr?: string;
  dnsServiceIP?: string;
  dockerBridgeCidr?: string;
}

export interface ComputeRequest {
  location?: string;
  properties: {
    computeType: string;
    description?: string | null;
    resourceId?: string | null;
    computeLocation?: string;
    properties?: {
      agentCount?: number;
      agentVmSize?: string;
      clusterPurpose?: 'FastProd' | 'DenseProd' | 'DevTest';
      sslConfiguration?: SslConfiguration;
      aksNetworkingConfiguration?: AksNetworkingConfiguration;
      loadBalancerType?: 'PublicIp' | 'InternalLoadBalancer';
      loadBalancerSubnet?: string | null;
    };
  };
}
