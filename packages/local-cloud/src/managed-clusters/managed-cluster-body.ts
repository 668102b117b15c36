import { createHash } from 'node:crypto';
import type { ManagedClusterSpec } from './managed-cluster-spec.js';
import { MANAGED_CLUSTER_TYPE } from './names.js';
import type { ManagedClusterBody } from './managed-cluster-store.js';

const short = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);

/** The ARM body of a managed cluster with `spec`, as AKS answers it. */
export function managedClusterBody(
  spec: ManagedClusterSpec,
  o: { id: string; name: string; resourceGroup: string; tags?: Record<string, string>; principalId: string; tenantId: string; provisioningState: string },
): ManagedClusterBody {
  const fqdnHost = `${spec.dnsPrefix}-${short(o.id.toLowerCase())}`;
  return {
    id: o.id,
    name: o.name,
    type: MANAGED_CLUSTER_TYPE,
    location: spec.location,
    ...(o.tags ? { tags: o.tags } : {}),
    sku: { name: 'Base', tier: spec.tier },
    identity: { type: 'SystemAssigned', principalId: o.principalId, tenantId: o.tenantId },
    properties: {
      provisioningState: o.provisioningState,
      powerState: { code: 'Running' },
      kubernetesVersion: spec.kubernetesVersion,
      currentKubernetesVersion: spec.kubernetesVersion,
      dnsPrefix: spec.dnsPrefix,
      ...(spec.privateCluster
        ? { privateFQDN: `${fqdnHost}.${short(o.id)}.privatelink.${spec.location}.azmk8s.io` }
        : { fqdn: `${fqdnHost}.hcp.${spec.location}.azmk8s.io`, azurePortalFQDN: `${fqdnHost}.portal.hcp.${spec.location}.azmk8s.io` }),
      supportPlan: spec.supportPlan,
      agentPoolProfiles: [
        {
          name: spec.pool.name,
          count: spec.pool.count,
          vmSize: spec.pool.vmSize,
          osDiskSizeGB: 128,
          osDiskType: 'Managed',
          kubeletDiskType: 'OS',
          maxPods: 110,
          type: 'VirtualMachineScaleSets',
          provisioningState: o.provisioningState,
          powerState: { code: 'Running' },
          orchestratorVersion: spec.kubernetesVersion,
          currentOrchestratorVersion: spec.kubernetesVersion,
          enableNodePublicIP: false,
          mode: 'System',
          osType: 'Linux',
          osSKU: 'Ubuntu',
          nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202501.01.0',
          ...(spec.pool.vnetSubnetID ? { vnetSubnetID: spec.pool.vnetSubnetID } : {}),
        },
      ],
      // A managed-identity cluster: AKS answers `msi` here, and `az aks show` reads `.secret` off this object.
      servicePrincipalProfile: { clientId: 'msi' },
      enableRBAC: true,
      nodeResourceGroup: `MC_${o.resourceGroup}_${o.name}_${spec.location}`,
      maxAgentPools: 100,
      networkProfile: {
        networkPlugin: spec.network.networkPlugin,
        ...(spec.network.podCidr ? { podCidr: spec.network.podCidr, podCidrs: [spec.network.podCidr] } : {}),
        serviceCidr: spec.network.serviceCidr,
        serviceCidrs: [spec.network.serviceCidr],
        dnsServiceIP: spec.network.dnsServiceIP,
        ...(spec.network.dockerBridgeCidr ? { dockerBridgeCidr: spec.network.dockerBridgeCidr } : {}),
        outboundType: spec.network.outboundType,
        loadBalancerSku: spec.network.loadBalancerSku,
        ipFamilies: ['IPv4'],
      },
      ...(spec.authorizedIPRanges.length > 0 || spec.privateCluster
        ? {
            apiServerAccessProfile: {
              ...(spec.authorizedIPRanges.length > 0 ? { authorizedIPRanges: spec.authorizedIPRanges } : {}),
              enablePrivateCluster: spec.privateCluster,
            },
          }
        : {}),
    },
  };
}
