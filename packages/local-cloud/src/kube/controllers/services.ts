import { addressAt, contains, parseCidr, type Cidr } from '@berth/arm';
import type { ClusterSettings } from '../cluster-settings.js';
import type { KubeObjectStore } from '../object-store.js';
import { resourceTypeByKey } from '../resource-types.js';
import { hashInt } from './hashing.js';
import { unlessRaced } from './writes.js';
import { LOCAL_ENDPOINTS_ANNOTATION, type LocalLoadBalancers } from '../../workloads/local-load-balancers.js';

const NODES = resourceTypeByKey('core/nodes');
const SERVICES = resourceTypeByKey('core/services');

export const INTERNAL_LB = 'service.beta.kubernetes.io/azure-load-balancer-internal';
export const INTERNAL_LB_SUBNET = 'service.beta.kubernetes.io/azure-load-balancer-internal-subnet';

/** The CIDR of a named subnet of a cluster's vnet: the node subnet, or a /24 the local cloud derives from the name. */
export function subnetCidr(settings: ClusterSettings, subnetName?: string): string {
  if (!subnetName || subnetName === settings.nodeSubnetName) return settings.nodeSubnetCidr;
  return `10.225.${hashInt(subnetName) % 256}.0/24`;
}

/**
 * A free address of the subnet for a load balancer, from a per-service starting point.
 * Azure keeps the first four addresses of a subnet and the nodes sit just above
 * them, so load balancers start at the hundredth; none when the subnet is full.
 */
function freeAddress(cidr: Cidr, start: number, taken: Map<string, string[]>): string | undefined {
  const span = Math.max(1, cidr.size - 110);
  for (let i = 0; i < span; i++) {
    const ip = addressAt(cidr, 100 + ((start + i) % span));
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}

/**
 * What Azure's cloud controller does for Services: a LoadBalancer Service gets a
 * public address, or with the internal annotation a private one from its subnet;
 * and, as the cloud's addresses are simulated, its ports served on loopback ports
 * too (local-load-balancers.ts), named in its `berth.dev/local-endpoints` annotation.
 * Keyed by service; one cluster's services take their turns (addresses are handed out from a shared pool).
 */
export class ServiceController {
  constructor(
    private readonly store: KubeObjectStore,
    private readonly loadBalancers: LocalLoadBalancers,
  ) {}

  /** Private addresses in use in the cluster's vnet, each with what holds it: '' for a node, `namespace/name` for a service. */
  private async privateAddressHolders(clusterId: string): Promise<Map<string, string[]>> {
    const holders = new Map<string, string[]>();
    const hold = (ip: string, holder: string) => holders.set(ip, [...(holders.get(ip) ?? []), holder].sort());
    for (const node of (await this.store.list(clusterId, NODES)).items) {
      for (const a of (node.status as { addresses?: Array<{ type: string; address: string }> } | undefined)?.addresses ?? [])
        if (a.type === 'InternalIP') hold(a.address, '');
    }
    for (const s of (await this.store.list(clusterId, SERVICES)).items) {
      const ip = ingressIp(s.status);
      if (ip) hold(ip, `${s.metadata.namespace}/${s.metadata.name}`);
    }
    return holders;
  }

  async reconcile(clusterId: string, settings: ClusterSettings, namespace: string, name: string): Promise<void> {
    const service = await this.store.get(clusterId, SERVICES, namespace, name);
    if (!service) return this.loadBalancers.close(`${clusterId}/${namespace}/${name}`);
    const spec = service.spec as { type?: string };
    const current = ingressIp(service.status);
    let desired: string | undefined;
    if (spec.type === 'LoadBalancer') {
      const annotations = service.metadata.annotations ?? {};
      const seed = `${clusterId}/${namespace}/${name}`;
      if (annotations[INTERNAL_LB] === 'true') {
        const cidr = parseCidr(subnetCidr(settings, annotations[INTERNAL_LB_SUBNET]))!;
        const holders = await this.privateAddressHolders(clusterId);
        const key = `${namespace}/${name}`;
        // Two services given one address at once both keep seeing it taken; the one that sorts first keeps it.
        const holder = current === undefined ? undefined : holders.get(current)?.find((h) => h !== key);
        const fits = current !== undefined && contains(cidr, current) && (holder === undefined || holder > key);
        desired = fits ? current : freeAddress(cidr, hashInt(seed), holders);
      } else {
        const isPublic = current !== undefined && current.startsWith('20.');
        desired = isPublic ? current : `20.${40 + (hashInt(seed) % 200)}.${hashInt(`${seed}/b`) % 256}.${1 + (hashInt(`${seed}/c`) % 254)}`;
      }
    }
    // Every Service with a cluster IP is served on loopback ports (for workloads' service variables); a LoadBalancer's are published.
    const served =
      spec.type !== 'ExternalName' && (spec as { clusterIP?: string }).clusterIP !== 'None' && ((spec as { ports?: unknown[] }).ports ?? []).length > 0;
    const urls = served ? await this.loadBalancers.serve(clusterId, service) : undefined;
    if (!served) await this.loadBalancers.close(`${clusterId}/${namespace}/${name}`);
    const localEndpoints = spec.type === 'LoadBalancer' && urls ? urls.join(',') : undefined;
    const annotations = { ...service.metadata.annotations };
    if (localEndpoints) annotations[LOCAL_ENDPOINTS_ANNOTATION] = localEndpoints;
    else delete annotations[LOCAL_ENDPOINTS_ANNOTATION];
    if (desired === current && annotations[LOCAL_ENDPOINTS_ANNOTATION] === service.metadata.annotations?.[LOCAL_ENDPOINTS_ANNOTATION]) return;
    const status = desired ? { loadBalancer: { ingress: [{ ip: desired, ipMode: 'VIP' }] } } : { loadBalancer: {} };
    const metadata = { ...service.metadata, annotations };
    if (Object.keys(annotations).length === 0) Reflect.deleteProperty(metadata, 'annotations');
    await unlessRaced(this.store.replace(clusterId, SERVICES, { ...service, metadata, status }, service.metadata.resourceVersion));
  }
}

function ingressIp(status: unknown): string | undefined {
  return (status as { loadBalancer?: { ingress?: Array<{ ip?: string }> } } | undefined)?.loadBalancer?.ingress?.[0]?.ip;
}
