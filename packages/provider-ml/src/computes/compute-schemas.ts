import { Type, type Static } from '@sinclair/typebox';
import { Tags } from '@berth/front-door';

const Purpose = Type.Union([Type.Literal('FastProd'), Type.Literal('DenseProd'), Type.Literal('DevTest')]);
const LoadBalancerType = Type.Union([Type.Literal('PublicIp'), Type.Literal('InternalLoadBalancer')]);

export const SslConfiguration = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('Disabled'), Type.Literal('Enabled'), Type.Literal('Auto')])),
  cert: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  key: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  cname: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  leafDomainLabel: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  overwriteExistingDomain: Type.Optional(Type.Boolean()),
});
export type SslConfiguration = Static<typeof SslConfiguration>;

export const AksNetworkingConfiguration = Type.Object({
  subnetId: Type.Optional(Type.String()),
  serviceCidr: Type.Optional(Type.String()),
  dnsServiceIP: Type.Optional(Type.String()),
  dockerBridgeCidr: Type.Optional(Type.String()),
});
export type AksNetworkingConfiguration = Static<typeof AksNetworkingConfiguration>;

/** `properties.properties` of an AKS compute: the AKSSchema fields a client may set. */
export const AksProperties = Type.Object({
  agentCount: Type.Optional(Type.Integer({ minimum: 0 })),
  agentVmSize: Type.Optional(Type.String()),
  clusterPurpose: Type.Optional(Purpose),
  clusterFqdn: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  sslConfiguration: Type.Optional(SslConfiguration),
  aksNetworkingConfiguration: Type.Optional(AksNetworkingConfiguration),
  loadBalancerType: Type.Optional(LoadBalancerType),
  loadBalancerSubnet: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  systemServices: Type.Optional(Type.Array(Type.Object({}))),
});
export type AksProperties = Static<typeof AksProperties>;

export const ComputePut = Type.Object({
  location: Type.Optional(Type.String()),
  tags: Type.Optional(Tags),
  properties: Type.Object({
    computeType: Type.String(),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    resourceId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    computeLocation: Type.Optional(Type.String()),
    disableLocalAuth: Type.Optional(Type.Boolean()),
    properties: Type.Optional(AksProperties),
  }),
});
export type ComputePut = Static<typeof ComputePut>;

/**
 * PATCH: the AKS fields Berth updates in place. The official client's
 * ClusterUpdateParameters carries only `scaleSettings`; for an AKS compute its
 * `maxNodeCount` is read as the node count.
 */
export const ComputePatch = Type.Object({
  properties: Type.Object({
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    properties: Type.Optional(
      Type.Object({
        agentCount: Type.Optional(Type.Integer({ minimum: 1 })),
        agentVmSize: Type.Optional(Type.String()),
        sslConfiguration: Type.Optional(SslConfiguration),
        loadBalancerType: Type.Optional(LoadBalancerType),
        loadBalancerSubnet: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        scaleSettings: Type.Optional(Type.Object({ maxNodeCount: Type.Integer({ minimum: 1 }), minNodeCount: Type.Optional(Type.Integer()), nodeIdleTimeBeforeScaleDown: Type.Optional(Type.String()) })),
      }),
    ),
  }),
});
export type ComputePatch = Static<typeof ComputePatch>;

export interface SystemService {
  systemServiceType: string;
  publicIpAddress: string;
  version: string;
}

/** The stored and returned compute; secrets (the TLS key, kubeconfigs) live encrypted elsewhere. */
export interface ComputeBody {
  id: string;
  name: string;
  type: string;
  location: string;
  tags?: Record<string, string>;
  systemData: Record<string, string>;
  properties: {
    computeType: 'AKS';
    computeLocation: string;
    description: string | null;
    resourceId: string;
    provisioningState: string;
    provisioningErrors: Array<{ error: { code: string; message: string; details?: unknown[] } }> | null;
    isAttachedCompute: boolean;
    createdOn: string;
    modifiedOn: string;
    disableLocalAuth: boolean;
    properties: {
      agentCount: number;
      agentVmSize: string;
      clusterPurpose: 'FastProd' | 'DenseProd' | 'DevTest';
      clusterFqdn: string | null;
      systemServices: SystemService[];
      sslConfiguration: { status: 'Disabled' | 'Enabled' | 'Auto'; cert?: string; cname?: string; leafDomainLabel?: string; overwriteExistingDomain?: boolean };
      aksNetworkingConfiguration?: AksNetworkingConfiguration;
      loadBalancerType: 'PublicIp' | 'InternalLoadBalancer';
      loadBalancerSubnet?: string;
    };
  };
}
