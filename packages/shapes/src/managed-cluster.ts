import { Type, type Static } from '@sinclair/typebox';
import { Tags } from './arm-common.js';

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

const AgentPoolProfileBody = Type.Object({
  name: Type.String(),
  count: Type.Integer(),
  vmSize: Type.String(),
  osDiskSizeGB: Type.Integer(),
  osDiskType: Type.String(),
  kubeletDiskType: Type.String(),
  maxPods: Type.Integer(),
  type: Type.String(),
  provisioningState: Type.String(),
  powerState: Type.Object({ code: Type.String() }),
  orchestratorVersion: Type.String(),
  currentOrchestratorVersion: Type.String(),
  enableNodePublicIP: Type.Boolean(),
  mode: Type.String(),
  osType: Type.String(),
  osSKU: Type.String(),
  nodeImageVersion: Type.String(),
  vnetSubnetID: Type.Optional(Type.String()),
});

/** The stored and returned managed cluster (shape of the 2024-08-01 examples). */
export const ManagedCluster = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  location: Type.String(),
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  sku: Type.Object({ name: Type.String(), tier: Type.String() }),
  identity: Type.Object({ type: Type.String(), principalId: Type.String(), tenantId: Type.String() }),
  properties: Type.Object({
    provisioningState: Type.String(),
    powerState: Type.Object({ code: Type.String() }),
    kubernetesVersion: Type.String(),
    currentKubernetesVersion: Type.String(),
    dnsPrefix: Type.String(),
    fqdn: Type.Optional(Type.String()),
    privateFQDN: Type.Optional(Type.String()),
    azurePortalFQDN: Type.Optional(Type.String()),
    supportPlan: Type.String(),
    agentPoolProfiles: Type.Array(AgentPoolProfileBody),
    enableRBAC: Type.Boolean(),
    nodeResourceGroup: Type.String(),
    maxAgentPools: Type.Integer(),
    networkProfile: Type.Object({
      networkPlugin: Type.String(),
      podCidr: Type.Optional(Type.String()),
      podCidrs: Type.Optional(Type.Array(Type.String())),
      serviceCidr: Type.String(),
      serviceCidrs: Type.Array(Type.String()),
      dnsServiceIP: Type.String(),
      outboundType: Type.String(),
      loadBalancerSku: Type.String(),
      dockerBridgeCidr: Type.Optional(Type.String()),
      ipFamilies: Type.Array(Type.String()),
    }),
    apiServerAccessProfile: Type.Optional(
      Type.Object({ authorizedIPRanges: Type.Optional(Type.Array(Type.String())), enablePrivateCluster: Type.Optional(Type.Boolean()) }),
    ),
    addonProfiles: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** `{clientId: 'msi'}` as AKS answers for a managed-identity cluster; `az aks show` fails without the object. Optional only for clusters stored before it was added. */
    servicePrincipalProfile: Type.Optional(Type.Object({ clientId: Type.String() })),
  }),
});
export type ManagedCluster = Static<typeof ManagedCluster>;

export const ManagedClusterList = Type.Object({ value: Type.Array(ManagedCluster), nextLink: Type.Optional(Type.String()) });

/** `listClusterAdminCredential` / `listClusterUserCredential`: kubeconfigs, base64. */
export const CredentialResults = Type.Object({ kubeconfigs: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })) });
export type CredentialResults = Static<typeof CredentialResults>;
