import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../kube-object.js';
import type { KubeObjectStore } from '../object-store.js';
import { matchesLabels, selectorFromLabelSelector } from '../label-selector.js';
import { resourceTypeByKey } from '../resource-types.js';
import { hash } from './hashing.js';
import { isBound, isReady, podSpecOf } from './pod-lifecycle.js';
import { unlessExists, unlessGone, unlessRaced } from './writes.js';

const PODS = resourceTypeByKey('core/pods');
const SERVICES = resourceTypeByKey('core/services');
const SLICES = resourceTypeByKey('discovery.k8s.io/endpointslices');

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MANAGED_BY = 'endpointslice-controller.k8s.io';

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

interface ContainerPort {
  name?: string;
  containerPort: number;
}

/** A Service's target port on one pod: a number as is, a name looked up in the pod's container ports. */
function targetPortOn(pod: KubeObject, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const containers = (podSpecOf(pod)?.containers ?? []) as Array<{ ports?: ContainerPort[] }>;
  return containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target)?.containerPort;
}

/** The name of a Service's one slice: stable, so repeated reconciles update it rather than add more. */
const sliceName = (service: KubeObject) => `${service.metadata.name!.slice(0, 56)}-${hash(service.metadata.uid ?? '', 3).slice(0, 5)}`;

/**
 * The EndpointSlice controller: a Service with a selector gets one slice listing
 * its pods' addresses (every bound pod with an IP, `ready` from its Ready
 * condition) and its ports resolved on them. Slices of Services without a selector
 * are the user's. Keyed by namespace: a pod change touches every Service that selects it.
 */
export class EndpointSliceController {
  constructor(private readonly store: KubeObjectStore) {}

  async reconcile(clusterId: string, namespace: string): Promise<void> {
    const [services, slices, pods] = await Promise.all([SERVICES, SLICES, PODS].map(async (t) => (await this.store.list(clusterId, t, namespace)).items));
    const ours = slices.filter((s) => s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
    const desired = services.flatMap((service) => {
      const selector = (service.spec as { selector?: Record<string, string> } | undefined)?.selector;
      return selector && Object.keys(selector).length > 0 ? [desiredSlice(service, selector, pods)] : [];
    });
    const wanted = new Set(desired.map((d) => d.metadata.name));
    for (const stale of ours.filter((s) => !wanted.has(s.metadata.name))) {
      await unlessGone(this.store.remove(clusterId, SLICES, namespace, stale.metadata.name!));
    }
    for (const slice of desired) {
      const current = ours.find((s) => s.metadata.name === slice.metadata.name);
      if (!current) await unlessExists(this.store.create(clusterId, SLICES, slice));
      else if (!isDeepStrictEqual([current.endpoints, current.ports], [slice.endpoints, slice.ports]))
        await unlessRaced(
          this.store.replace(clusterId, SLICES, { ...current, endpoints: slice.endpoints, ports: slice.ports }, current.metadata.resourceVersion),
        );
    }
  }
}

/** The slice of a Service with a selector, from the namespace's pods. */
function desiredSlice(service: KubeObject, selector: Record<string, string>, allPods: KubeObject[]): KubeObject {
  const { namespace, name, uid } = service.metadata;
  const requirements = selectorFromLabelSelector({ matchLabels: selector });
  const pods = allPods
    .filter((p) => !p.metadata.deletionTimestamp && isBound(p) && matchesLabels(requirements, p.metadata.labels))
    .filter((p) => (p.status as { podIP?: string } | undefined)?.podIP)
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  const servicePorts = ((service.spec as { ports?: ServicePort[] }).ports ?? []) as ServicePort[];
  const ports = servicePorts.map((p) => ({
    name: p.name ?? '',
    port: (pods.length > 0 ? targetPortOn(pods[0], p) : undefined) ?? (typeof p.targetPort === 'number' ? p.targetPort : p.port),
    protocol: p.protocol ?? 'TCP',
  }));
  const endpoints = pods.map((pod) => {
    const ready = isReady(pod);
    return {
      addresses: [(pod.status as { podIP: string }).podIP],
      conditions: { ready, serving: ready, terminating: false },
      ...(podSpecOf(pod)?.nodeName ? { nodeName: podSpecOf(pod)!.nodeName } : {}),
      targetRef: { kind: 'Pod', namespace, name: pod.metadata.name, uid: pod.metadata.uid },
    };
  });
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: sliceName(service),
      namespace,
      labels: { [SERVICE_NAME_LABEL]: name!, [MANAGED_BY_LABEL]: MANAGED_BY },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: name!, uid: uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}
