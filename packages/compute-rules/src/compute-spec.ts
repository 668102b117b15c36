import type { ArmErrorDetail } from '@berth/arm';
import { addressAt, networkProblems, parseCidr, parseResourceId } from '@berth/arm';
import { findRegion, findVmSize, listRegions } from '@berth/catalog';
import type { ClusterPurpose, LoadBalancerType } from '@berth/shapes';
import type { AksNetworkingConfiguration, ComputeRequest, SslConfiguration } from './compute-request.js';
import { checkTls } from './tls-rules.js';

/** A compute PUT with defaults applied: what Berth compares for R5 and acts on. */
export interface ComputeSpec {
  mode: 'create' | 'attach';
  location: string;
  description: string | null;
  /** The managed cluster to attach (attach only). */
  resourceId?: string;
  agentCount: number;
  agentVmSize: string;
  clusterPurpose: ClusterPurpose;
  ssl: SslConfiguration;
  networking?: AksNetworkingConfiguration;
  loadBalancerType: LoadBalancerType;
  loadBalancerSubnet?: string;
}

const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;
/** The nodes' subnet: in a vnet of yours, or the one AKS manages when no subnet is given (as the local cloud simulates them). */
const CUSTOM_SUBNET_CIDR = '10.240.0.0/16';
const MANAGED_SUBNET_CIDR = '10.224.0.0/16';
/** AKS's defaults for what a compute leaves out: the service range, and the pods' range of kubenet (the plugin of the clusters Berth creates). */
const DEFAULT_SERVICE_CIDR = '10.0.0.0/16';
const KUBENET_POD_CIDR = '10.244.0.0/16';
/** The DNS service's address within the service range, as AKS defaults it (10.0.0.10 in 10.0.0.0/16). */
const DNS_SERVICE_OFFSET = 10;
const MIN_PROD_VCPUS = 12;
const MIN_DEVTEST_VCPUS = 2;

export interface SpecCheck {
  spec: ComputeSpec;
  problems: ArmErrorDetail[];
  warnings: string[];
}

const T = 'properties.properties';

/** R2: production needs at least 12 vCPUs (nodes x cores); dev/test is warned that it has no fault tolerance, and below 2 vCPUs that it is small. */
export function purposeProblems(
  purpose: ClusterPurpose,
  pools: Array<{ count: number; vmSize: string }>,
  target: string,
): { problems: ArmErrorDetail[]; warnings: string[] } {
  const sizes = pools.map((p) => ({ ...p, vcpus: findVmSize(p.vmSize)?.vCPUs }));
  if (sizes.some((s) => s.vcpus === undefined)) return { problems: [], warnings: [] };
  const total = sizes.reduce((n, s) => n + s.count * s.vcpus!, 0);
  const arithmetic = sizes.map((s) => `${s.count} node${s.count === 1 ? '' : 's'} x ${s.vcpus} vCPUs (${s.vmSize})`).join(' + ');
  if (purpose !== 'DevTest' && total < MIN_PROD_VCPUS) {
    const first = sizes[0];
    const nodesNeeded = Math.ceil(MIN_PROD_VCPUS / first.vcpus!);
    return {
      problems: [
        {
          code: 'InsufficientVcpusForProduction',
          target,
          message: `A ${purpose} cluster needs at least ${MIN_PROD_VCPUS} vCPUs, and ${arithmetic} = ${total}. Use at least ${nodesNeeded} nodes of ${first.vmSize}, a larger VM size, or clusterPurpose DevTest for a development and test cluster (one front-end replica, no fault tolerance).`,
        },
      ],
      warnings: [],
    };
  }
  if (purpose === 'DevTest') {
    return {
      problems: [],
      warnings: [
        `A DevTest cluster runs one inference front-end replica, without fault tolerance: fine for development and tests; use FastProd (at least ${MIN_PROD_VCPUS} vCPUs) for production.`,
        ...(total < MIN_DEVTEST_VCPUS
          ? [`A DevTest cluster should have at least ${MIN_DEVTEST_VCPUS} vCPUs; ${arithmetic} = ${total}. Inference may be slow.`]
          : []),
      ],
    };
  }
  return { problems: [], warnings: [] };
}

/**
 * Pre-flight checks of a compute PUT that need no cloud call (R1 is checked by
 * the caller; the cluster of an attach is checked by `checkAttachCluster`).
 */
export function checkComputePut(body: ComputeRequest, workspaceLocation: string): SpecCheck {
  const problems: ArmErrorDetail[] = [];
  const warnings: string[] = [];
  const p = body.properties;
  if (p.computeType !== 'AKS') {
    problems.push({
      code: 'UnsupportedComputeType',
      target: 'properties.computeType',
      message: `computeType '${p.computeType}' is not supported; Berth manages AKS inference clusters (computeType 'AKS').`,
    });
  }
  const aks = p.properties ?? {};
  const mode = p.resourceId ? 'attach' : 'create';
  const requestedLocation = p.computeLocation ?? body.location ?? workspaceLocation;
  const region = findRegion(requestedLocation);
  if (!region && mode === 'create') {
    problems.push({
      code: 'InvalidLocation',
      target: 'location',
      message: `The location '${requestedLocation}' is unknown. Known locations: ${listRegions()
        .map((r) => r.name)
        .join(', ')}.`,
    });
  }
  const agentVmSize = aks.agentVmSize ?? 'Standard_D3_v2';
  const size = findVmSize(agentVmSize);
  const agentCount = aks.agentCount ?? 3;
  const clusterPurpose = aks.clusterPurpose ?? 'FastProd';
  if (mode === 'create') {
    if (!size)
      problems.push({
        code: 'InvalidVmSize',
        target: `${T}.agentVmSize`,
        message: `The VM size '${agentVmSize}' is unknown. Use a size such as Standard_D3_v2 (4 vCPUs), Standard_DS3_v2 or Standard_D4s_v3.`,
      });
    if (agentCount < 1 || agentCount > 1000)
      problems.push({
        code: 'InvalidAgentCount',
        target: `${T}.agentCount`,
        message: `agentCount ${agentCount} is out of range: a cluster has 1 to 1000 nodes.`,
      });
    else {
      const r2 = purposeProblems(clusterPurpose, [{ count: agentCount, vmSize: agentVmSize }], `${T}.clusterPurpose`);
      problems.push(...r2.problems);
      warnings.push(...r2.warnings);
    }
  }
  const net = aks.aksNetworkingConfiguration && withDnsServiceIp(aks.aksNetworkingConfiguration);
  if (net) {
    if (mode === 'attach') {
      problems.push({
        code: 'NetworkingOnAttach',
        target: `${T}.aksNetworkingConfiguration`,
        message: 'aksNetworkingConfiguration applies when Berth creates the cluster; an attached cluster keeps its own network.',
      });
    }
    if (net.subnetId !== undefined && !SUBNET_ID.test(net.subnetId)) {
      problems.push({
        code: 'InvalidSubnetId',
        target: `${T}.aksNetworkingConfiguration.subnetId`,
        message: `subnetId '${net.subnetId}' is not a subnet resource id (/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}).`,
      });
    }
    // Checked as the cloud will see it, defaults included, so that it cannot refuse the cluster later.
    const effective = { ...net, serviceCidr: net.serviceCidr ?? DEFAULT_SERVICE_CIDR, podCidr: KUBENET_POD_CIDR };
    problems.push(...networkProblems(effective, net.subnetId ? CUSTOM_SUBNET_CIDR : MANAGED_SUBNET_CIDR, `${T}.aksNetworkingConfiguration`));
  }
  const loadBalancerType = aks.loadBalancerType ?? 'PublicIp';
  const loadBalancerSubnet = aks.loadBalancerSubnet ?? undefined;
  if (loadBalancerSubnet && loadBalancerType !== 'InternalLoadBalancer') {
    problems.push({
      code: 'SubnetWithoutInternalLoadBalancer',
      target: `${T}.loadBalancerSubnet`,
      message: 'loadBalancerSubnet applies to an internal load balancer: set loadBalancerType to InternalLoadBalancer, or leave the subnet out.',
    });
  }
  const ssl: SslConfiguration = { status: 'Disabled', ...definedOnly(aks.sslConfiguration ?? {}) };
  const tls = checkTls(ssl, loadBalancerType, `${T}.sslConfiguration`);
  problems.push(...tls.problems);
  warnings.push(...tls.warnings);
  if (mode === 'attach' && p.resourceId && !isManagedClusterId(p.resourceId)) {
    problems.push({
      code: 'InvalidResourceId',
      target: 'properties.resourceId',
      message: `resourceId '${p.resourceId}' is not a managed cluster id (/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ContainerService/managedClusters/{name}).`,
    });
  }
  return {
    problems,
    warnings,
    spec: {
      mode,
      location: region?.name ?? requestedLocation.toLowerCase(),
      description: p.description ?? null,
      ...(p.resourceId ? { resourceId: p.resourceId } : {}),
      agentCount,
      agentVmSize: size?.name ?? agentVmSize,
      clusterPurpose,
      ssl,
      ...(net ? { networking: net } : {}),
      loadBalancerType,
      ...(loadBalancerSubnet ? { loadBalancerSubnet } : {}),
    },
  };
}

/**
 * AKS puts the DNS service at 10.0.0.10 unless told otherwise, which is outside
 * any other service range: a serviceCidr given alone gets the address at the
 * same place in its own range.
 */
function withDnsServiceIp(net: AksNetworkingConfiguration): AksNetworkingConfiguration {
  const service = net.serviceCidr === undefined || net.dnsServiceIP !== undefined ? undefined : parseCidr(net.serviceCidr);
  return service && service.size > DNS_SERVICE_OFFSET ? { ...net, dnsServiceIP: addressAt(service, DNS_SERVICE_OFFSET) } : net;
}

export function isManagedClusterId(id: string): boolean {
  const parts = parseResourceId(id);
  return (
    !!parts && parts.namespace.toLowerCase() === 'microsoft.containerservice' && parts.types.length === 1 && parts.types[0].toLowerCase() === 'managedclusters'
  );
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

/** The form in which two specs compare for R5 (ids compare without case). */
export function comparableSpec(spec: ComputeSpec): string {
  return JSON.stringify({ ...spec, resourceId: spec.resourceId?.toLowerCase() });
}
