import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Tags } from './arm-common.js';

export const ClusterPurpose = Type.Union([Type.Literal('FastProd'), Type.Literal('DenseProd'), Type.Literal('DevTest')]);
export type ClusterPurpose = Static<typeof ClusterPurpose>;
export const LoadBalancerType = Type.Union([Type.Literal('PublicIp'), Type.Literal('InternalLoadBalancer')]);
export type LoadBalancerType = Static<typeof LoadBalancerType>;

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
  clusterPurpose: Type.Optional(ClusterPurpose),
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
        scaleSettings: Type.Optional(
          Type.Object({
            maxNodeCount: Type.Integer({ minimum: 1 }),
            minNodeCount: Type.Optional(Type.Integer()),
            nodeIdleTimeBeforeScaleDown: Type.Optional(Type.String()),
          }),
        ),
      }),
    ),
  }),
});
export type ComputePatch = Static<typeof ComputePatch>;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const SystemService = Type.Object({
  systemServiceType: Type.String(),
  publicIpAddress: Type.String(),
  version: Type.String(),
  /** Berth's local cloud only: where the front end's load balancer is also served on this machine (`http://127.0.0.1:P`, `https://127.0.0.1:P`). */
  localEndpoints: Type.Optional(Type.Array(Type.String())),
});
export type SystemService = Static<typeof SystemService>;

const ProvisioningError = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), target: Type.Optional(Type.String()), details: Type.Optional(Type.Array(Type.Unknown())) }),
});

/** The TLS settings a compute returns: never the key, which lives encrypted with the compute's other secrets. */
const StoredSslConfiguration = Type.Object({
  status: Type.Union([Type.Literal('Disabled'), Type.Literal('Enabled'), Type.Literal('Auto')]),
  cert: Type.Optional(Type.String()),
  cname: Type.Optional(Type.String()),
  leafDomainLabel: Type.Optional(Type.String()),
  overwriteExistingDomain: Type.Optional(Type.Boolean()),
});

/** The stored and returned compute; what it does not declare is never stored or sent. */
export const ComputeBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  location: Type.String(),
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  systemData: Type.Record(Type.String(), Type.String()),
  properties: Type.Object({
    computeType: Type.Literal('AKS'),
    computeLocation: Type.String(),
    description: Nullable(Type.String()),
    resourceId: Type.String(),
    provisioningState: Type.String(),
    provisioningErrors: Nullable(Type.Array(ProvisioningError)),
    isAttachedCompute: Type.Boolean(),
    createdOn: Type.String(),
    modifiedOn: Type.String(),
    disableLocalAuth: Type.Boolean(),
    properties: Type.Object({
      agentCount: Type.Integer(),
      agentVmSize: Type.String(),
      clusterPurpose: ClusterPurpose,
      clusterFqdn: Nullable(Type.String()),
      systemServices: Type.Array(SystemService),
      sslConfiguration: StoredSslConfiguration,
      aksNetworkingConfiguration: Type.Optional(AksNetworkingConfiguration),
      loadBalancerType: LoadBalancerType,
      loadBalancerSubnet: Type.Optional(Type.String()),
    }),
  }),
});
export type ComputeBody = Static<typeof ComputeBody>;

export const ComputeList = Type.Object({ value: Type.Array(ComputeBody), nextLink: Type.Optional(Type.String()) });

/** What `listKeys` returns for an AKS compute: the cluster's kubeconfigs. */
export const AksComputeSecrets = Type.Object({
  computeType: Type.Literal('AKS'),
  userKubeConfig: Nullable(Type.String()),
  adminKubeConfig: Type.String(),
  imagePullSecretName: Nullable(Type.String()),
});
export type AksComputeSecrets = Static<typeof AksComputeSecrets>;

export const ComputeNode = Type.Object({
  nodeId: Type.String(),
  privateIpAddress: Nullable(Type.String()),
  publicIpAddress: Nullable(Type.String()),
  port: Type.Integer(),
  nodeState: Type.String(),
});
export type ComputeNode = Static<typeof ComputeNode>;

export const ComputeNodeList = Type.Object({ nodes: Type.Array(ComputeNode), nextLink: Nullable(Type.String()) });
