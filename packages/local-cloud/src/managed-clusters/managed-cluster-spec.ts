import type { ArmErrorDetail } from '@berth/arm';
import { findRegion, findVmSize, listRegions, defaultKubernetesVersion, resolveKubernetesVersion, supportedKubernetesVersions } from '@berth/catalog';
import { isIpRange, networkProblems } from '@berth/arm';
import type { ManagedClusterPut } from '@berth/shapes';

/** A managed cluster request, validated and with AKS's defaults filled in. */
export interface ManagedClusterSpec {
  location: string;
  kubernetesVersion: string;
  tier: string;
  supportPlan: string;
  dnsPrefix: string;
  pool: { name: string; count: number; vmSize: string; vnetSubnetID?: string };
  network: {
    networkPlugin: string;
    serviceCidr: string;
    dnsServiceIP: string;
    podCidr?: string;
    dockerBridgeCidr?: string;
    loadBalancerSku: string;
    outboundType: string;
  };
  nodeSubnet: { name: string; cidr: string };
  authorizedIPRanges: string[];
  privateCluster: boolean;
}

const RESOURCE_NAME = /^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$/;
const POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;
const DNS_PREFIX = /^[a-zA-Z0-9]$|^[a-zA-Z0-9][-a-zA-Z0-9]{0,52}[a-zA-Z0-9]$/;
const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/([^/]+)$/i;
/** AKS puts a cluster's nodes in 10.224.0.0/16 of the vnet it creates; in a vnet of yours, the local cloud uses 10.240.0.0/16. */
const MANAGED_SUBNET = '10.224.0.0/16';
const CUSTOM_SUBNET = '10.240.0.0/16';

export function checkClusterName(name: string): ArmErrorDetail | undefined {
  if (RESOURCE_NAME.test(name)) return undefined;
  return {
    code: 'InvalidResourceName',
    target: 'resourceName',
    message: `The managed cluster name '${name}' is invalid: use 1 to 63 letters, digits, hyphens and underscores, starting and ending with a letter or digit.`,
  };
}

function detail(code: string, target: string, message: string): ArmErrorDetail {
  return { code, target, message };
}

export function nodeSubnetOf(vnetSubnetID?: string): { name: string; cidr: string } {
  const match = vnetSubnetID ? SUBNET_ID.exec(vnetSubnetID) : null;
  return match ? { name: match[1], cidr: CUSTOM_SUBNET } : { name: 'aks-subnet', cidr: MANAGED_SUBNET };
}

function knownRegions(): string {
  return listRegions()
    .map((r) => r.name)
    .join(', ');
}

/**
 * Checks a managed-cluster PUT against every rule at once and fills in AKS's
 * defaults. Returns the problems (empty when valid) and the spec.
 */
export function checkManagedCluster(
  body: ManagedClusterPut,
  context: { name: string; resourceGroup: string; subscriptionId: string; apiVersion: string },
): { problems: ArmErrorDetail[]; spec: ManagedClusterSpec } {
  const problems: ArmErrorDetail[] = [];
  const nameProblem = checkClusterName(context.name);
  if (nameProblem) problems.push(nameProblem);
  const region = findRegion(body.location);
  if (!region)
    problems.push(
      detail(
        'LocationNotAvailableForResourceType',
        'location',
        `The location '${body.location}' is not available for resource type 'Microsoft.ContainerService/managedClusters'. Known locations: ${knownRegions()}.`,
      ),
    );
  const location = region?.name ?? body.location.toLowerCase().replace(/\s+/g, '');
  const p = body.properties;
  const tier = body.sku?.tier ?? 'Free';
  if (!['Free', 'Standard', 'Premium'].includes(tier))
    problems.push(detail('InvalidParameter', 'sku.tier', `sku.tier '${tier}' is not one of Free, Standard, Premium.`));
  const supportPlan = p.supportPlan ?? 'KubernetesOfficial';
  if (!['KubernetesOfficial', 'AKSLongTermSupport'].includes(supportPlan))
    problems.push(detail('InvalidParameter', 'properties.supportPlan', `supportPlan '${supportPlan}' is not one of KubernetesOfficial, AKSLongTermSupport.`));
  if (supportPlan === 'AKSLongTermSupport' && tier !== 'Premium') {
    problems.push(detail('InvalidParameter', 'properties.supportPlan', 'The AKSLongTermSupport support plan needs sku.tier Premium.'));
  }

  let kubernetesVersion = region ? (defaultKubernetesVersion(location) ?? '') : '';
  if (p.kubernetesVersion !== undefined && region) {
    const resolved = resolveKubernetesVersion(location, p.kubernetesVersion);
    if (!resolved) {
      problems.push(
        detail(
          'K8sVersionNotSupported',
          'properties.kubernetesVersion',
          `Kubernetes version ${p.kubernetesVersion} is not available in ${location}. Available versions: ${supportedKubernetesVersions(location).join(', ')} (long-term support only, with sku.tier Premium and supportPlan AKSLongTermSupport: ${ltsOnlyVersions(location).join(', ') || 'none'}).`,
        ),
      );
    } else if (resolved.ltsOnly && (tier !== 'Premium' || supportPlan !== 'AKSLongTermSupport')) {
      problems.push(
        detail(
          'K8sVersionNotSupported',
          'properties.kubernetesVersion',
          `Kubernetes version ${resolved.version} is only available with long-term support: set sku.tier to Premium and properties.supportPlan to AKSLongTermSupport, or choose one of ${supportedKubernetesVersions(location).join(', ')}.`,
        ),
      );
    } else {
      kubernetesVersion = resolved.version;
    }
  }

  const dnsPrefix =
    p.dnsPrefix ??
    `${context.name}-${context.resourceGroup}-${context.subscriptionId.slice(0, 6)}`
      .replace(/[^a-zA-Z0-9-]/g, '')
      .slice(0, 54)
      .replace(/-+$/, '');
  if (!DNS_PREFIX.test(dnsPrefix)) {
    problems.push(
      detail(
        'InvalidDnsPrefix',
        'properties.dnsPrefix',
        `dnsPrefix '${dnsPrefix}' is invalid: use 1 to 54 letters, digits and hyphens, starting and ending with a letter or digit.`,
      ),
    );
  }

  const pools = p.agentPoolProfiles ?? [];
  if (pools.length === 0)
    problems.push(
      detail('InvalidParameter', 'properties.agentPoolProfiles', 'At least one agent pool is required (agentPoolProfiles[0] with name, count and vmSize).'),
    );
  if (pools.length > 1)
    problems.push(
      detail('InvalidParameter', 'properties.agentPoolProfiles', 'The local cloud creates one agent pool per cluster; give exactly one agentPoolProfile.'),
    );
  const pool = pools[0] ?? { name: 'nodepool1' };
  if (!POOL_NAME.test(pool.name))
    problems.push(
      detail(
        'InvalidParameter',
        'properties.agentPoolProfiles[0].name',
        `Agent pool name '${pool.name}' is invalid: 1 to 12 lowercase letters and digits, starting with a letter.`,
      ),
    );
  const count = pool.count ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    problems.push(
      detail('InvalidParameter', 'properties.agentPoolProfiles[0].count', `Agent pool count ${count} is out of range: a pool has 1 to 1000 nodes.`),
    );
  }
  const vmSize = pool.vmSize ?? 'Standard_DS2_v2';
  const size = findVmSize(vmSize);
  if (!size)
    problems.push(
      detail(
        'InvalidVMSize',
        'properties.agentPoolProfiles[0].vmSize',
        `The VM size '${vmSize}' is unknown. Use a size such as Standard_D3_v2, Standard_DS3_v2 or Standard_D4s_v3 (\`az vm list-sizes\`).`,
      ),
    );
  if (pool.vnetSubnetID !== undefined && !SUBNET_ID.test(pool.vnetSubnetID)) {
    problems.push(
      detail(
        'InvalidParameter',
        'properties.agentPoolProfiles[0].vnetSubnetID',
        `vnetSubnetID '${pool.vnetSubnetID}' is not a subnet resource id (/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}).`,
      ),
    );
  }
  const nodeSubnet = nodeSubnetOf(pool.vnetSubnetID);

  const np = p.networkProfile ?? {};
  const networkPlugin = np.networkPlugin ?? 'kubenet';
  const modernApi = context.apiVersion >= '2020-01-01';
  const loadBalancerSku = (np.loadBalancerSku ?? (modernApi ? 'standard' : 'basic')).toLowerCase();
  if (!['standard', 'basic'].includes(loadBalancerSku))
    problems.push(
      detail('InvalidParameter', 'properties.networkProfile.loadBalancerSku', `loadBalancerSku '${np.loadBalancerSku}' is not one of standard, basic.`),
    );
  const network = {
    networkPlugin,
    serviceCidr: np.serviceCidr ?? '10.0.0.0/16',
    dnsServiceIP: np.dnsServiceIP ?? '10.0.0.10',
    podCidr: networkPlugin === 'kubenet' ? (np.podCidr ?? '10.244.0.0/16') : np.podCidr,
    dockerBridgeCidr: np.dockerBridgeCidr,
    loadBalancerSku,
    outboundType: np.outboundType ?? 'loadBalancer',
  };
  problems.push(...networkProblems(network, nodeSubnet.cidr, 'properties.networkProfile'));

  const access = p.apiServerAccessProfile ?? {};
  const authorizedIPRanges = access.authorizedIPRanges ?? [];
  const privateCluster = access.enablePrivateCluster ?? false;
  for (const [i, range] of authorizedIPRanges.entries()) {
    if (!isIpRange(range))
      problems.push(detail('InvalidParameter', `properties.apiServerAccessProfile.authorizedIPRanges[${i}]`, `'${range}' is not an IP address or CIDR range.`));
  }
  if (authorizedIPRanges.length > 0 && loadBalancerSku !== 'standard') {
    problems.push(
      detail(
        'InvalidParameter',
        'properties.apiServerAccessProfile.authorizedIPRanges',
        'API server authorized IP ranges need the Standard load balancer: set networkProfile.loadBalancerSku to standard.',
      ),
    );
  }
  if (privateCluster && authorizedIPRanges.length > 0) {
    problems.push(
      detail(
        'InvalidParameter',
        'properties.apiServerAccessProfile',
        'A private cluster cannot also have authorized IP ranges: its API server has no public endpoint to restrict.',
      ),
    );
  }
  if (privateCluster && loadBalancerSku !== 'standard') {
    problems.push(
      detail(
        'InvalidParameter',
        'properties.apiServerAccessProfile.enablePrivateCluster',
        'A private cluster needs the Standard load balancer: set networkProfile.loadBalancerSku to standard.',
      ),
    );
  }

  return {
    problems,
    spec: {
      location,
      kubernetesVersion,
      tier,
      supportPlan,
      dnsPrefix,
      pool: { name: pool.name, count, vmSize: size?.name ?? vmSize, ...(pool.vnetSubnetID ? { vnetSubnetID: pool.vnetSubnetID } : {}) },
      network,
      nodeSubnet,
      authorizedIPRanges,
      privateCluster,
    },
  };
}

function ltsOnlyVersions(location: string): string[] {
  const all = supportedKubernetesVersions(location, { includeLtsOnly: true });
  const regular = new Set(supportedKubernetesVersions(location));
  return all.filter((v) => !regular.has(v));
}
