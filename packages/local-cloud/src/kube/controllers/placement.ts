import type { KubeObject } from '../kube-object.js';
import { milliCpu, parseQuantity } from '../quantity.js';
import { phaseOf, podRequests, podSpecOf, spreadKeyOf, type Resources } from './pod-lifecycle.js';

interface NodeRoom {
  name: string;
  free: Resources & { pods: number };
}

/**
 * The scheduler's view of a cluster: each node's allocatable CPU, memory and pod
 * count, less what the pods bound to it request. Placing a pod picks the node
 * with the fewest pods of the same controller (spreading replicas), then the
 * most free CPU; a pod that fits nowhere gets the scheduler's reasons, per node.
 * Whoever places pods must hold the cluster's placement turn (one placement
 * queue, grouped by cluster), or two placements could share one node's room.
 */
export class Placement {
  private readonly nodes: NodeRoom[];
  private readonly byName = new Map<string, NodeRoom>();
  /** Pods per spread key and node. */
  private readonly spread = new Map<string, number>();

  constructor(nodes: KubeObject[], pods: KubeObject[]) {
    this.nodes = nodes.map((n) => {
      const allocatable = ((n.status as { allocatable?: Record<string, string> })?.allocatable ?? {}) as Record<string, string>;
      return {
        name: n.metadata.name!,
        free: {
          cpu: milliCpu(parseQuantity(allocatable.cpu) ?? 0),
          memory: Math.floor(parseQuantity(allocatable.memory) ?? 0),
          pods: Math.floor(parseQuantity(allocatable.pods) ?? 0),
        },
      };
    });
    for (const node of this.nodes) this.byName.set(node.name, node);
    for (const pod of pods) {
      const phase = phaseOf(pod);
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      this.bind(pod, podRequests(podSpecOf(pod)), spreadKeyOf(pod));
    }
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  hasNode(name: string): boolean {
    return this.byName.has(name);
  }

  bind(pod: KubeObject, requests: Resources, spreadKey: string): void {
    this.charge(pod, requests, spreadKey, 1);
  }

  release(pod: KubeObject): void {
    this.charge(pod, podRequests(podSpecOf(pod)), spreadKeyOf(pod), -1);
  }

  private charge(pod: KubeObject, requests: Resources, spreadKey: string, sign: 1 | -1): void {
    const node = this.byName.get(podSpecOf(pod)?.nodeName ?? '');
    if (!node) return;
    node.free.cpu -= sign * requests.cpu;
    node.free.memory -= sign * requests.memory;
    node.free.pods -= sign;
    const key = `${spreadKey}/${node.name}`;
    this.spread.set(key, (this.spread.get(key) ?? 0) + sign);
  }

  place(requests: Resources, spreadKey: string): { node: string; message?: undefined } | { node?: undefined; message: string } {
    const reasons = new Map<string, number>();
    let best: NodeRoom | undefined;
    let bestSpread = 0;
    for (const node of this.nodes) {
      const misfits = [
        ...(node.free.pods < 1 ? ['Too many pods'] : []),
        ...(node.free.cpu < requests.cpu ? ['Insufficient cpu'] : []),
        ...(node.free.memory < requests.memory ? ['Insufficient memory'] : []),
      ];
      for (const reason of misfits) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      if (misfits.length > 0) continue;
      const spread = this.spread.get(`${spreadKey}/${node.name}`) ?? 0;
      if (!best || spread < bestSpread || (spread === bestSpread && node.free.cpu > best.free.cpu)) {
        best = node;
        bestSpread = spread;
      }
    }
    if (best) return { node: best.name };
    if (this.nodes.length === 0) return { message: 'no nodes available to schedule pods' };
    const why = [...reasons.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([reason, count]) => `${count} ${reason}`);
    return { message: `0/${this.nodes.length} nodes are available: ${why.join(', ')}.` };
  }
}
