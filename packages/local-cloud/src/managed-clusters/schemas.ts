import { Type, type Static } from '@sinclair/typebox';
import { Tags } from '@berth/front-door';

/** The parts of `ManagedCluster` the local cloud reads; other fields clients send are accepted and ignored. */
const AgentPoolProfile = Type.Object({
  name: Type.String(),
  count: Type.Optional(Type.Integer()),
  vmSize: Type.Optional(Type.String()),
  mode: Type.Optional(Type.String()),
  osType: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  orchestratorVersion: Type.Optional(Type.String()),
  vnetSubnetID: Type.Optional(Type.String()),
  maxPods: Type.Optional(Type.Integer()),
  osDiskSizeGB: Type.Optional(Type.Integer()),
  availabilityZones: Type.Optional(Type.Array(Type.String())),
  enableNodePublicIP: Type.Optional(Type.Boolean()),
});

export const ManagedClusterPut = Type.Object({
  location: Type.String({ minLength: 1 }),
  tags: Type.Optional(Tags),
  sku: Type.Optional(Type.Object({ name: Type.Optional(Type.String()), tier: Type.Optional(Type.String()) })),
  identity: Type.Optional(Type.Object({ type: Type.String() })),
  properties: Type.Object({
    kubernetesVersion: Type.Optional(Type.String()),
    dnsPrefix: Type.Optional(Type.String()),
    fqdnSubdomain: Type.Optional(Type.String()),
    supportPlan: Type.Optional(Type.String()),
    enableRBAC: Type.Optional(Type.Boolean()),
    nodeResourceGroup: Type.Optional(Type.String()),
    agentPoolProfiles: Type.Optional(Type.Array(AgentPoolProfile)),
    networkProfile: Type.Optional(
      Type.Object({
        networkPlugin: Type.Optional(Type.String()),
        networkPolicy: Type.Optional(Type.String()),
        podCidr: Type.Optional(Type.String()),
        serviceCidr: Type.Optional(Type.String()),
        dnsServiceIP: Type.Optional(Type.String()),
        dockerBridgeCidr: Type.Optional(Type.String()),
        outboundType: Type.Optional(Type.String()),
        loadBalancerSku: Type.Optional(Type.String()),
      }),
    ),
    apiServerAccessProfile: Type.Optional(
      Type.Object({
        authorizedIPRanges: Type.Optional(Type.Array(Type.String())),
        enablePrivateCluster: Type.Optional(Type.Boolean()),
        privateDNSZone: Type.Optional(Type.String()),
        enablePrivateClusterPublicFQDN: Type.Optional(Type.Boolean()),
      }),
    ),
    linuxProfile: Type.Optional(Type.Object({})),
    servicePrincipalProfile: Type.Optional(Type.Object({})),
    addonProfiles: Type.Optional(Type.Object({})),
  }),
});
export type ManagedClusterPut = Static<typeof ManagedClusterPut>;

/** The stored and returned managed cluster (shape of the 2024-08-01 examples). */
export interface ManagedClusterBody {
  id: string;
  name: string;
  type: string;
  location: string;
  tags?: Record<string, string>;
  sku: { name: string; tier: string };
  identity: { type: string; principalId: string; tenantId: string };
  properties: {
    provisioningState: string;
    powerState: { code: string };
    kubernetesVersion: string;
    currentKubernetesVersion: string;
    dnsPrefix: string;
    fqdn?: string;
    privateFQDN?: string;
    azurePortalFQDN?: string;
    supportPlan: string;
    agentPoolProfiles: Array<Record<string, unknown> & { name: string; count: number; vmSize: string }>;
    enableRBAC: boolean;
    nodeResourceGroup: string;
    maxAgentPools: number;
    networkProfile: Record<string, unknown> & {
      networkPlugin: string;
      podCidr?: string;
      serviceCidr: string;
      dnsServiceIP: string;
      outboundType: string;
      loadBalancerSku: string;
      dockerBridgeCidr?: string;
    };
    apiServerAccessProfile?: { authorizedIPRanges?: string[]; enablePrivateCluster?: boolean };
    addonProfiles?: Record<string, unknown>;
  };
}
