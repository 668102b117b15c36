import { isDeepStrictEqual } from 'node:util';
import type { ClusterSettings } from '../cluster-settings.js';
import { clone, type KubeObject } from '../kube-object.js';
import type { KubeObjectStore } from '../object-store.js';
import { resourceTypeByKey } from '../resource-types.js';
import { KubeError } from '../status.js';
import { randomSuffix } from './hashing.js';
import { Placement } from './placement.js';
import { controllerOf, createUnschedulable, isBound, isReady, podRequests, podSpecOf, startedPod, type PodSpec, type RunsForReal } from './pod-lifecycle.js';
import { BATCH, now, unlessGone, unlessRaced, yieldToEventLoop } from './writes.js';

const NODES = resourceTypeByKey('core/nodes');
const PODS = resourceTypeByKey('core/pods');
const REPLICASETS = resourceTypeByKey('apps/replicasets');

/** Names a random suffix may collide with an existing pod's before a pass gives up on one pod. */
const NAME_ATTEMPTS = 5;

/** Code-unit order: names are ASCII, and localeCompare costs too much over thousands of pods. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface ReplicaSetSpec {
  replicas?: number;
  template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/**
 * The ReplicaSet controller: each ReplicaSet has spec.replicas pods, named
 * `<replicaset>-<5 random characters>` and owned by it. New pods are placed at
 * once (Running where a node has room, Pending and Unschedulable where none
 * has), so this runs on the placement queue, in the cluster's placement turn.
 * Pods whose ReplicaSet is gone are deleted (garbage collection). Keyed by ReplicaSet.
 */
export class ReplicaSetController {
  constructor(
    private readonly store: KubeObjectStore,
    private readonly runsForReal: RunsForReal,
    private readonly simulatedMessage?: string,
  ) {}

  async reconcile(clusterId: string, settings: ClusterSettings, namespace: string, name: string): Promise<void> {
    const replicaSet = await this.store.get(clusterId, REPLICASETS, namespace, name);
    const allPods = (await this.store.list(clusterId, PODS)).items;
    const ofThisName = allPods.filter((p) => p.metadata.namespace === namespace && controllerOf(p)?.kind === 'ReplicaSet' && controllerOf(p)?.name === name);
    const uid = replicaSet?.metadata.uid;
    const placement = new Placement((await this.store.list(clusterId, NODES)).items, allPods);
    const keep: KubeObject[] = [];
    const doomed: KubeObject[] = [];
    for (const pod of ofThisName) {
      const nodeName = podSpecOf(pod)?.nodeName;
      // Garbage: a pod of a ReplicaSet of this name that is gone (deleted, or deleted and made anew).
      // Lost: a pod on a node that is gone (the pool was scaled down), as on a real cluster.
      const garbage = controllerOf(pod)?.uid !== uid;
      const lost = nodeName !== undefined && !placement.hasNode(nodeName);
      (garbage || lost ? doomed : keep).push(pod);
    }
    const spec = replicaSet?.spec as ReplicaSetSpec | undefined;
    const replicas = spec?.replicas ?? 1;
    // Scaling down removes pods still waiting for a node first, as the ReplicaSet controller does.
    keep.sort((a, b) => Number(isBound(b)) - Number(isBound(a)) || byText(a.metadata.name!, b.metadata.name!));
    doomed.push(...keep.splice(replicas));
    let writes = 0;
    for (const pod of doomed) {
      if (writes++ >= BATCH) break;
      await unlessGone(this.store.remove(clusterId, PODS, namespace, pod.metadata.name!));
      placement.release(pod);
      await yieldToEventLoop();
    }
    if (!replicaSet || !spec || !uid) return;
    let failure: string | undefined;
    const requests = podRequests(spec.template.spec);
    for (let i = keep.length; i < replicas && writes < BATCH && placement.nodeCount > 0; i++, writes++) {
      const spot = placement.place(requests, uid);
      try {
        const pod = await this.createPod(clusterId, settings, replicaSet, spot.node === undefined ? { unschedulable: spot.message } : { node: spot.node });
        keep.push(pod);
        if (spot.node !== undefined) placement.bind(pod, requests, uid);
      } catch (err) {
        // Quota exhausted or namespace going away: what the ReplicaSet controller reports as FailedCreate, without retrying in a loop.
        if (!(err instanceof KubeError && (err.code === 403 || err.code === 404))) throw err;
        failure = err.message;
        break;
      }
      await yieldToEventLoop();
    }
    await this.writeStatus(clusterId, replicaSet, keep, failure);
  }

  /** A pod of the template, under a fresh name: on `node` and running, or pending for want of room. */
  private async createPod(
    clusterId: string,
    settings: ClusterSettings,
    replicaSet: KubeObject,
    where: { node: string } | { unschedulable: string },
  ): Promise<KubeObject> {
    const { namespace, name, uid } = replicaSet.metadata;
    const template = (replicaSet.spec as ReplicaSetSpec).template;
    for (let attempt = 1; ; attempt++) {
      const pod: KubeObject = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${name}-${randomSuffix()}`,
          namespace,
          labels: { ...template.metadata?.labels },
          ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: name!, uid: uid!, controller: true, blockOwnerDeletion: true }],
        },
        spec: clone(template.spec),
      };
      try {
        if ('unschedulable' in where) return await createUnschedulable(this.store, clusterId, pod, where.unschedulable);
        (pod.spec as PodSpec).nodeName = where.node;
        return await this.store.create(clusterId, PODS, startedPod(settings, pod, this.runsForReal, this.simulatedMessage));
      } catch (err) {
        if (!(err instanceof KubeError && err.reason === 'AlreadyExists') || attempt >= NAME_ATTEMPTS) throw err;
      }
    }
  }

  /** replicas, ready and available counts of the pods kept, and ReplicaFailure when a create was refused. */
  private async writeStatus(clusterId: string, replicaSet: KubeObject, pods: KubeObject[], failure: string | undefined): Promise<void> {
    // Only ready pods count as ready and available; pending and starting ones count as replicas.
    const ready = pods.filter(isReady).length;
    const previous = (replicaSet.status ?? {}) as { conditions?: Condition[] };
    const before = previous.conditions?.find((c) => c.type === 'ReplicaFailure');
    const conditions: Condition[] = failure
      ? [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message: failure,
            lastTransitionTime: before?.status === 'True' ? before.lastTransitionTime : now(),
          },
        ]
      : [];
    const status = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: replicaSet.metadata.generation ?? 1,
      ...(conditions.length > 0 ? { conditions } : {}),
    };
    const same = isDeepStrictEqual(
      { ...status, conditions: status.conditions?.map(({ lastTransitionTime: _t, ...c }) => c) },
      { ...previous, conditions: previous.conditions?.map(({ lastTransitionTime: _t, ...c }) => c) },
    );
    if (same) return;
    await unlessRaced(this.store.replace(clusterId, REPLICASETS, { ...replicaSet, status }, replicaSet.metadata.resourceVersion));
  }
}
