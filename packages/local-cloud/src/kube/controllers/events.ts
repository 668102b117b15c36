import type { ReconcileResult } from '@berth/work-queue';
import type { KubeObject } from '../kube-object.js';
import type { KubeObjectStore } from '../object-store.js';
import { resourceTypeByKey } from '../resource-types.js';
import { schedulingEventName } from './pod-lifecycle.js';
import { BATCH, unlessGone, yieldToEventLoop } from './writes.js';

const EVENTS = resourceTypeByKey('core/events');

/**
 * Removes the FailedScheduling events of pods that are gone, so that events never
 * outgrow the pods (a real cluster expires them after an hour). Keyed by cluster.
 */
export class SchedulingEventCleaner {
  /** Per cluster, `namespace/name` of the events to remove. */
  private readonly doomed = new Map<string, Set<string>>();

  constructor(private readonly store: KubeObjectStore) {}

  /** Notes the event of a deleted unschedulable pod; the cluster's key must then be queued. */
  podGone(clusterId: string, pod: KubeObject): void {
    let doomed = this.doomed.get(clusterId);
    if (!doomed) this.doomed.set(clusterId, (doomed = new Set()));
    doomed.add(`${pod.metadata.namespace}/${schedulingEventName(pod)}`);
  }

  async reconcile(clusterId: string): Promise<ReconcileResult | void> {
    const doomed = this.doomed.get(clusterId);
    let writes = 0;
    for (const key of doomed ?? []) {
      if (writes++ >= BATCH) return { requeueAfterMs: 0 };
      doomed!.delete(key);
      const [namespace, name] = key.split('/');
      await unlessGone(this.store.remove(clusterId, EVENTS, namespace, name));
      await yieldToEventLoop();
    }
    this.doomed.delete(clusterId);
  }
}
