import { createHash } from 'node:crypto';
import type { ClusterPurpose, LoadBalancerType } from '@berth/shapes';

/** What to install for one ML compute. */
export interface InstallSpec {
  /** ARM id of the compute, e.g. `/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/computes/myaks`. */
  computeId: string;
  computeName: string;
  workspaceName: string;
  /** ARM id of the workspace. */
  workspaceId: string;
  clusterPurpose: ClusterPurpose;
  loadBalancerType: LoadBalancerType;
  loadBalancerSubnet?: string;
  /** TLS termination is on when set (R8). */
  tls?: { certPem: string; keyPem: string; cname?: string };
  /** The image that runs the front end: a public Node.js image (`node:20-alpine`). */
  image: string;
  /** The router's bundled source (`@berth/inference-frontend`), shipped in a ConfigMap and run with `node`. */
  router: string;
}

/** A Kubernetes object as plain JSON. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
};

/**
 * The label value that marks a compute's objects. ARM ids are case-insensitive,
 * so the id is lower-cased before hashing; label values are at most 63
 * characters, so a short hash stands for the id (the full id is an annotation).
 */
export function computeLabel(computeId: string): string {
  return createHash('sha256').update(computeId.trim().toLowerCase()).digest('hex').slice(0, 20);
}

/** Front-end replicas per cluster purpose (R2): no fault tolerance for dev/test, highly available otherwise. */
export function replicasFor(purpose: InstallSpec['clusterPurpose']): number {
  return purpose === 'DevTest' ? 1 : 3;
}
