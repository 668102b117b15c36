import { addressAt, parseCidr } from '@berth/arm';
import type { ClusterSettings } from '../cluster-settings.js';
import type { KubeObject } from '../kube-object.js';
import type { KubeObjectStore } from '../object-store.js';
import { milliCpu, parseQuantity } from '../quantity.js';
import { resourceTypeByKey } from '../resource-types.js';
import { KubeError } from '../status.js';
import { hash, hashInt } from './hashing.js';
import { now } from './writes.js';

const PODS = resourceTypeByKey('core/pods');
const EVENTS = resourceTypeByKey('core/events');

export interface PodSpec {
  nodeName?: string;
  containers?: Array<{ name?: string; image?: string; command?: string[]; resources?: { requests?: Record<string, unknown> } }>;
  initContainers?: Array<{ resources?: { requests?: Record<string, unknown> } }>;
}

/** CPU in millicores and memory in bytes. */
export interface Resources {
  cpu: number;
  memory: number;
}

export const podSpecOf = (pod: KubeObject) => pod.spec as PodSpec | undefined;

/** What a pod asks of a node: its containers' requests summed, or its largest init container's if that is more (they run one at a time, first). */
export function podRequests(spec: PodSpec | undefined): Resources {
  const of = (c: { resources?: { requests?: Record<string, unknown> } }): Resources => ({
    cpu: milliCpu(parseQuantity(c.resources?.requests?.cpu) ?? 0),
    memory: Math.ceil(parseQuantity(c.resources?.requests?.memory) ?? 0),
  });
  const sum = (spec?.containers ?? []).map(of).reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 });
  for (const init of (spec?.initContainers ?? []).map(of)) {
    sum.cpu = Math.max(sum.cpu, init.cpu);
    sum.memory = Math.max(sum.memory, init.memory);
  }
  return sum;
}

export const phaseOf = (pod: KubeObject) => (pod.status as { phase?: string } | undefined)?.phase;
/** Whether a pod's Ready condition is True: what ReplicaSets count as ready and EndpointSlices as serving. */
export const isReady = (pod: KubeObject) =>
  (pod.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ??
  false;

/** Whether the scheduler has bound a pod to a node (its PodScheduled condition is True). */
export const isBound = (pod: KubeObject) =>
  (pod.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some(
    (c) => c.type === 'PodScheduled' && c.status === 'True',
  ) ?? false;

/** The controller a pod answers to (its ReplicaSet), as the ownerReference marked controller names it. */
export const controllerOf = (obj: KubeObject) => obj.metadata.ownerReferences?.find((o) => o.controller);

/** What pods are spread by: their controller, or the pod itself when it has none. */
export const spreadKeyOf = (pod: KubeObject) => controllerOf(pod)?.uid ?? pod.metadata.uid ?? '';

export function schedulingMessage(pod: KubeObject): string | undefined {
  const conditions = (pod.status as { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } | undefined)?.conditions;
  const scheduled = conditions?.find((c) => c.type === 'PodScheduled');
  return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' ? scheduled.message : undefined;
}

export const isUnschedulable = (pod: KubeObject) => schedulingMessage(pod) !== undefined;

/** One FailedScheduling event per pod, named from the pod as kubectl expects (`<pod>.<suffix>`). */
export const schedulingEventName = (pod: KubeObject) => `${pod.metadata.name}.${hash(`${pod.metadata.uid}/FailedScheduling`, 8)}`;

/** Decides whether a pod's containers run for real (the workload runtime) or are simulated. */
export type RunsForReal = (spec: PodSpec | undefined) => boolean;

/** The node's address and the scheduled conditions every bound pod shares. */
function hostIpOf(settings: ClusterSettings, spec: PodSpec | undefined): string {
  return addressAt(parseCidr(settings.nodeSubnetCidr)!, 4 + (hashInt(spec?.nodeName ?? '') % Math.max(1, settings.agentPool.count)));
}

/**
 * A pod bound to its node: Running and Ready at once when simulated (nothing runs, and its
 * status message says so), or ContainerCreating when the workload runtime is to start it.
 */
export function startedPod(settings: ClusterSettings, pod: KubeObject, runsForReal: RunsForReal, simulatedMessage = SIMULATED_MESSAGE): KubeObject {
  const spec = podSpecOf(pod);
  const started = now();
  const real = runsForReal(spec);
  const containerStatuses = (spec?.containers ?? []).map((c) => ({
    name: c.name,
    image: c.image,
    imageID: '',
    ready: !real,
    started: !real,
    restartCount: 0,
    state: real ? { waiting: { reason: 'ContainerCreating' } } : { running: { startedAt: started } },
  }));
  // A starting pod is scheduled and initialized, not yet ready; a simulated one is all of it at once.
  const types = real ? ['PodScheduled', 'Initialized', 'Ready', 'ContainersReady'] : ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
  const conditions = types.map((type) =>
    !real || type === 'PodScheduled' || type === 'Initialized'
      ? { type, status: 'True', lastTransitionTime: started }
      : { type, status: 'False', reason: 'ContainersNotReady', lastTransitionTime: started },
  );
  pod.status = {
    phase: real ? 'Pending' : 'Running',
    conditions,
    ...(real ? {} : { message: simulatedMessage }),
    hostIP: hostIpOf(settings, spec),
    ...(real ? {} : { podIP: addressAt(parseCidr(settings.podCidr)!, 10 + (hashInt(pod.metadata.name ?? '') % 60000)) }),
    startTime: started,
    containerStatuses,
    qosClass: 'Burstable',
  };
  return pod;
}

/** What a simulated pod's status says: nothing runs, and why. */
export const SIMULATED_MESSAGE =
  "Simulated by Berth's local cloud: nothing runs. Only containers of a Node.js image (node:*) whose command starts with `node` run for real, and only when `berth up` runs workloads.";

/** A pod no node has room for: Pending, PodScheduled False/Unschedulable with the scheduler's message. */
export function unschedulableStatus(message: string, pod?: KubeObject): object {
  const previous = (pod?.status as { conditions?: Array<{ type: string; lastTransitionTime?: string }> } | undefined)?.conditions?.find(
    (c) => c.type === 'PodScheduled',
  );
  return {
    phase: 'Pending',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: previous?.lastTransitionTime ?? now(),
        reason: 'Unschedulable',
        message,
      },
    ],
    qosClass: 'Burstable',
  };
}

/** The scheduler's FailedScheduling event of a pod: created, or counted once more with the newer message. */
export async function recordFailedScheduling(store: KubeObjectStore, clusterId: string, pod: KubeObject, message: string): Promise<void> {
  const stamp = now();
  const event: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: schedulingEventName(pod), namespace: pod.metadata.namespace },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
      resourceVersion: pod.metadata.resourceVersion,
    },
    reason: 'FailedScheduling',
    message,
    source: { component: 'default-scheduler' },
    reportingComponent: 'default-scheduler',
    reportingInstance: '',
    firstTimestamp: stamp,
    lastTimestamp: stamp,
    count: 1,
    type: 'Warning',
  };
  const existing = await store.get(clusterId, EVENTS, pod.metadata.namespace!, event.metadata.name!);
  const write = existing
    ? store.replace(clusterId, EVENTS, { ...existing, message, lastTimestamp: stamp, count: Number(existing.count ?? 1) + 1 })
    : store.create(clusterId, EVENTS, event);
  // An event is worth less than the pod it explains: one refused by the quota is dropped.
  await write.catch((err) => {
    if (!(err instanceof KubeError && err.code < 500)) throw err;
  });
}

/** Creates a pod no node has room for, Pending with its FailedScheduling event. */
export async function createUnschedulable(store: KubeObjectStore, clusterId: string, pod: KubeObject, message: string): Promise<KubeObject> {
  pod.status = unschedulableStatus(message);
  const created = await store.create(clusterId, PODS, pod);
  await recordFailedScheduling(store, clusterId, created, message);
  return created;
}
