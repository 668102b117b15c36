import { checkComputePut, computeNameProblem, purposeProblems } from '@berth/compute-rules';
import { findVmSize } from '@berth/catalog';
import { AksProvisioningConfiguration, AksAttachConfiguration, type ComputeDefinition, type ErrorDetail } from '@berth/sdk';

/** The front end's load balancer and TLS, which both wizard forms set. */
export interface FrontEndFields {
  loadBalancerType: 'PublicIp' | 'InternalLoadBalancer';
  loadBalancerSubnet: string;
  tls: boolean;
  tlsMode: 'auto' | 'custom';
  leafDomainLabel: string;
  cert: string;
  key: string;
  cname: string;
}

/** The wizard's "Create new" form, as the user typed it. */
export interface CreateForm extends FrontEndFields {
  name: string;
  location: string;
  vmSize: string;
  nodes: string;
  purpose: 'FastProd' | 'DevTest';
  network: 'Basic' | 'Advanced';
  vnetResourceGroup: string;
  vnetName: string;
  subnetName: string;
  serviceCidr: string;
  dnsServiceIp: string;
  dockerBridgeCidr: string;
}

export interface AttachForm extends FrontEndFields {
  name: string;
  clusterId: string;
  purpose: 'FastProd' | 'DevTest';
}

/** A public load balancer and no TLS: what both forms start with. */
const EMPTY_FRONT_END: FrontEndFields = {
  loadBalancerType: 'PublicIp',
  loadBalancerSubnet: '',
  tls: false,
  tlsMode: 'auto',
  leafDomainLabel: '',
  cert: '',
  key: '',
  cname: '',
};

export const emptyCreateForm = (location = 'westus'): CreateForm => ({
  name: '',
  location,
  vmSize: 'Standard_D3_v2',
  nodes: '3',
  purpose: 'FastProd',
  network: 'Basic',
  vnetResourceGroup: '',
  vnetName: '',
  subnetName: '',
  serviceCidr: '',
  dnsServiceIp: '',
  dockerBridgeCidr: '',
  ...EMPTY_FRONT_END,
});

export const emptyAttachForm = (): AttachForm => ({
  name: '',
  clusterId: '',
  purpose: 'FastProd',
  ...EMPTY_FRONT_END,
});

/** Which form field a rule's `target` (from @berth/compute-rules or from the server) concerns. */
export function fieldOf(target: string | undefined): string {
  if (!target) return 'form';
  if (target === 'computeName' || target === 'name') return 'name';
  if (target === 'location' || target.endsWith('computeLocation')) return 'location';
  if (target.endsWith('agentVmSize')) return 'vmSize';
  if (target.endsWith('agentCount') || target.endsWith('scaleSettings')) return 'nodes';
  if (target.endsWith('clusterPurpose')) return 'purpose';
  if (target.includes('aksNetworkingConfiguration')) {
    if (/serviceCidr/i.test(target)) return 'serviceCidr';
    if (/dnsServiceIP/i.test(target)) return 'dnsServiceIp';
    if (/dockerBridgeCidr/i.test(target)) return 'dockerBridgeCidr';
    if (/subnetId/i.test(target)) return 'subnetName';
    return 'network';
  }
  if (target.endsWith('loadBalancerSubnet')) return 'loadBalancerSubnet';
  if (target.endsWith('loadBalancerType')) return 'loadBalancerType';
  if (target.endsWith('leafDomainLabel')) return 'leafDomainLabel';
  if (target.endsWith('sslConfiguration.cert')) return 'cert';
  if (target.endsWith('sslConfiguration.key')) return 'key';
  if (target.endsWith('sslConfiguration.cname')) return 'cname';
  if (target.endsWith('sslConfiguration')) return 'tls';
  if (target === 'properties.resourceId') return 'clusterId';
  return 'form';
}

export type FieldProblems = Record<string, string[]>;

/** Problems grouped by the field they concern; a rule on several fields is shown at each. */
export function byField(details: ErrorDetail[]): FieldProblems {
  const out: FieldProblems = {};
  for (const d of details) {
    // Too few vCPUs is shown at the node count, next to its arithmetic.
    const field = d.code === 'InsufficientVcpusForProduction' ? 'nodes' : fieldOf(d.target);
    (out[field] ??= []).push(d.message);
    // TLS with an internal load balancer concerns both controls.
    if (d.code === 'TlsWithInternalLoadBalancer') (out.loadBalancerType ??= []).push(d.message);
  }
  return out;
}

function ssl(form: FrontEndFields) {
  if (!form.tls) return undefined;
  return form.tlsMode === 'auto'
    ? { leafDomainLabel: form.leafDomainLabel.trim() }
    : { sslCertPem: form.cert, sslKeyPem: form.key, sslCname: form.cname.trim() };
}

const nodeCount = (nodes: string) => (/^\d+$/.test(nodes.trim()) ? Number(nodes.trim()) : NaN);

/** The configuration the SDK sends for "Create new". */
export function createConfiguration(form: CreateForm, subscriptionId: string): AksProvisioningConfiguration {
  const advanced = form.network === 'Advanced';
  const config = new AksProvisioningConfiguration({
    location: form.location,
    vmSize: form.vmSize.trim(),
    agentCount: nodeCount(form.nodes),
    clusterPurpose: form.purpose,
    ...(advanced
      ? {
          vnetResourceGroupName: form.vnetResourceGroup.trim() || undefined,
          vnetName: form.vnetName.trim() || undefined,
          subnetName: form.subnetName.trim() || undefined,
          serviceCidr: form.serviceCidr.trim() || undefined,
          dnsServiceIp: form.dnsServiceIp.trim() || undefined,
          dockerBridgeCidr: form.dockerBridgeCidr.trim() || undefined,
        }
      : {}),
    loadBalancerType: form.loadBalancerType,
    ...(form.loadBalancerType === 'InternalLoadBalancer' && form.loadBalancerSubnet.trim() ? { loadBalancerSubnet: form.loadBalancerSubnet.trim() } : {}),
  });
  config.subscriptionId = subscriptionId;
  const tls = ssl(form);
  if (tls) config.enableSsl(tls);
  return config;
}

export function attachConfiguration(form: AttachForm): AksAttachConfiguration {
  const config = new AksAttachConfiguration({ resourceId: form.clusterId || '/unset', clusterPurpose: form.purpose });
  const tls = ssl(form);
  if (tls) config.enableSsl(tls);
  return config;
}

/** The attach body: the attach configuration plus the load balancer (an update the server accepts on attach). */
export function attachDefinition(form: AttachForm): ComputeDefinition {
  const body = attachConfiguration(form).toCompute();
  body.properties.properties = {
    ...body.properties.properties,
    loadBalancerType: form.loadBalancerType,
    ...(form.loadBalancerType === 'InternalLoadBalancer' && form.loadBalancerSubnet.trim() ? { loadBalancerSubnet: form.loadBalancerSubnet.trim() } : {}),
  };
  return body;
}

export interface Validation {
  problems: FieldProblems;
  /** Every broken rule, as the server would list them. */
  details: ErrorDetail[];
  warnings: string[];
  /** "3 nodes x 4 vCPUs = 12 vCPUs; Production needs at least 12". */
  vcpuLine?: string;
}

/** The vCPU arithmetic of R2, spelled out. */
export function vcpuLine(nodes: number, vmSize: string, purpose: 'FastProd' | 'DevTest' | 'DenseProd'): string | undefined {
  const size = findVmSize(vmSize);
  if (!size || !Number.isFinite(nodes)) return undefined;
  const total = nodes * size.vCPUs;
  const need = purpose === 'DevTest' ? 'Dev-test recommends at least 2' : 'Production needs at least 12';
  return `${nodes} node${nodes === 1 ? '' : 's'} x ${size.vCPUs} vCPUs = ${total} vCPUs; ${need}`;
}

/** Every rule of "Create new" at once: R1 (name), R2 (vCPUs), VM size, networking, load balancer, TLS (R8, R9) — the server's own rules. */
export function validateCreate(form: CreateForm, subscriptionId: string, existingNames: readonly string[] = []): Validation {
  const details: ErrorDetail[] = [];
  const nameProblem = computeNameProblem(form.name.trim());
  if (nameProblem) details.push(nameProblem);
  else if (existingNames.some((n) => n.toLowerCase() === form.name.trim().toLowerCase())) {
    details.push({ code: 'ComputeNameInUse', target: 'computeName', message: `A compute named '${form.name.trim()}' already exists in this workspace (R5).` });
  }
  const nodes = nodeCount(form.nodes);
  if (!Number.isFinite(nodes)) {
    details.push({ code: 'InvalidAgentCount', target: 'properties.properties.agentCount', message: 'The number of nodes is a whole number from 1 to 1000.' });
  }
  const body = createConfiguration({ ...form, nodes: Number.isFinite(nodes) ? form.nodes : '3' }, subscriptionId).toCompute();
  const check = checkComputePut(body, form.location);
  details.push(...check.problems);
  return { details, problems: byField(details), warnings: check.warnings, vcpuLine: vcpuLine(nodes, form.vmSize, form.purpose) };
}

/** What can be checked of an attach before the server reads the cluster (name, TLS with the load balancer, certificate PEM). */
export function validateAttach(form: AttachForm, existingNames: readonly string[] = []): Validation {
  const details: ErrorDetail[] = [];
  const nameProblem = computeNameProblem(form.name.trim());
  if (nameProblem) details.push(nameProblem);
  else if (existingNames.some((n) => n.toLowerCase() === form.name.trim().toLowerCase())) {
    details.push({ code: 'ComputeNameInUse', target: 'computeName', message: `A compute named '${form.name.trim()}' already exists in this workspace (R5).` });
  }
  if (!form.clusterId) details.push({ code: 'NoClusterChosen', target: 'properties.resourceId', message: 'Choose a cluster to attach from the list.' });
  const check = checkComputePut(
    attachDefinition({ ...form, clusterId: form.clusterId || '/subscriptions/x/resourceGroups/x/providers/Microsoft.ContainerService/managedClusters/x' }),
    'westus',
  );
  details.push(...check.problems);
  return { details, problems: byField(details), warnings: check.warnings };
}

/** R2 for a new node count of an existing compute (Scale). */
export function validateScale(nodes: string, vmSize: string, purpose: 'FastProd' | 'DevTest' | 'DenseProd'): Validation {
  const n = nodeCount(nodes);
  const details: ErrorDetail[] = [];
  if (!Number.isFinite(n) || n < 1 || n > 1000) {
    details.push({ code: 'InvalidAgentCount', target: 'properties.properties.agentCount', message: 'The number of nodes is a whole number from 1 to 1000.' });
  } else {
    details.push(...purposeProblems(purpose, [{ count: n, vmSize }], 'properties.properties.agentCount').problems);
  }
  return { details, problems: byField(details), warnings: [], vcpuLine: vcpuLine(n, vmSize, purpose) };
}
