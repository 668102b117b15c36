import type { ReconcileResult } from '@berth/work-queue';
import type { ClusterSettings } from '../cluster-settings.js';
import { clone, type KubeObject } from '../kube-object.js';
import type { KubeObjectStore } from '../object-store.js';
import { resourceTypeByKey } from '../resource-types.js';
import { Placement } from './placement.js';
import {
  isUnschedulable,
  phaseOf,
  podRequests,
  podSpecOf,
  recordFailedScheduling,
  startedPod,
  isBound,
  type RunsForReal,
  schedulingEventName,
  schedulingMessage,
  spreadKeyOf,
  unschedulableStatus,
} from './pod-lifecycle.js';
import { BATCH, unlessGone, unlessRaced, yieldToEventLoop } from './writes.js';

const NODES = resourceTypeByKey('core/nodes');
const PODS = resourceTypeByKey('core/pods');
const EVENTS = resourceTypeByKey('core/events');

/** Code-unit order: names and timestamps are ASCII, and localeCompare costs too much over thousands of pods. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The scheduler: pending pods, oldest first, go to a node with room for their
 * requests; those that fit nowhere stay Pending and say why. Pods created with
 * a node (spec.nodeName) just start there. Keyed by cluster, on the placement queue.
 */
export class PodScheduler {
  constructor(
    private readonly store: KubeObjectStore,
    private readonly runsForReal: RunsForReal,
    /** What a simulated pod's status says (why nothing runs). */
    private readonly simulatedMessage?: string,
  ) {}

  async reconcile(clusterId: string, settings: ClusterSettings): Promise<ReconcileResult | void> {
    const pods = (await this.store.list(clusterId, PODS)).items;
    const placement = new Placement((await this.store.list(clusterId, NODES)).items, pods);
    if (placement.nodeCount === 0) return;
    const waiting = pods
      .filter((p) => p.status === undefined || (phaseOf(p) === 'Pending' && !isBound(p)))
      .sort((a, b) => byText(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? '') || byText(a.metadata.name!, b.metadata.name!));
    let writes = 0;
    for (const pod of waiting) {
      if (writes >= BATCH) return { requeueAfterMs: 0 };
      const spec = podSpecOf(pod);
      const spreadKey = spreadKeyOf(pod);
      const requests = podRequests(spec);
      let updated: KubeObject | undefined;
      let message: string | undefined;
      if (spec?.nodeName !== undefined) {
        updated = startedPod(settings, clone(pod), this.runsForReal, this.simulatedMessage);
      } else {
        const spot = placement.place(requests, spreadKey);
        if (spot.node !== undefined) {
          updated = startedPod(settings, { ...clone(pod), spec: { ...spec, nodeName: spot.node } }, this.runsForReal, this.simulatedMessage);
          placement.bind(updated, requests, spreadKey);
        } else if (schedulingMessage(pod) !== spot.message) {
          message = spot.message;
          updated = { ...pod, status: unschedulableStatus(spot.message, pod) };
        }
      }
      if (!updated) continue;
      writes++;
      const saved = await unlessRaced(this.store.replace(clusterId, PODS, updated, pod.metadata.resourceVersion));
      if (saved && message !== undefined) await recordFailedScheduling(this.store, clusterId, saved, message);
      else if (saved && isUnschedulable(pod)) await unlessGone(this.store.remove(clusterId, EVENTS, pod.metadata.namespace!, schedulingEventName(pod)));
      await yieldToEventLoop();
    }
  }
}
