import { ANNOTATION_LOCAL_ENDPOINTS, FE_NAME, LABEL_COMPUTE, LABEL_NAME, NAMESPACE } from './constants.js';
import type { ClusterClient } from './cluster-client.js';
import { computeLabel, replicasFor, type InstallSpec, type KubeObject } from './install-spec.js';

/** Whether the front end serves: each fact that is missing says so in `reason`. */
export interface Readiness {
  ready: boolean;
  reason: string;
  endpointIp?: string;
  /** Where Berth's local cloud also serves the Service's ports on this machine (its `berth.dev/local-endpoints`). */
  localEndpoints?: string[];
  /** Set when a front-end pod cannot start (image not found, crash loop, missing config): waiting longer will not help. */
  failure?: string;
  desiredReplicas: number;
  readyReplicas: number;
}

/** Waiting reasons of a container that will not start by itself. */
const STUCK_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

/** Why a front-end pod cannot start, from its containers' waiting states; undefined when none is stuck. */
function stuckPod(pods: KubeObject[]): string | undefined {
  for (const pod of pods) {
    const statuses = ((pod.status as any)?.containerStatuses ?? []) as Array<{ name: string; state?: { waiting?: { reason?: string; message?: string } } }>;
    for (const c of statuses) {
      const waiting = c.state?.waiting;
      if (waiting?.reason && STUCK_REASONS.has(waiting.reason)) {
        return `pod ${NAMESPACE}/${pod.metadata.name}: container ${c.name} is waiting: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
      }
    }
  }
  return undefined;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/**
 * Ready when the Deployment runs the spec's image with all desired replicas
 * ready and updated and is Available, and the Service has a load-balancer address.
 */
export async function checkReadiness(client: ClusterClient, spec: InstallSpec): Promise<Readiness> {
  const desiredReplicas = replicasFor(spec.clusterPurpose);
  const [deployment, service] = await Promise.all([
    client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NAMESPACE, name: FE_NAME }),
    client.get({ apiVersion: 'v1', kind: 'Service', namespace: NAMESPACE, name: FE_NAME }),
  ]);
  const ingress = ((service?.status as any)?.loadBalancer?.ingress ?? []) as Array<{ ip?: string; hostname?: string }>;
  const endpointIp = ingress.find((i) => i.ip)?.ip ?? ingress.find((i) => i.hostname)?.hostname;
  const local = service?.metadata.annotations?.[ANNOTATION_LOCAL_ENDPOINTS];
  const localEndpoints = local ? local.split(',').map((u) => u.trim()) : undefined;
  const status = (deployment?.status ?? {}) as { observedGeneration?: number; readyReplicas?: number; updatedReplicas?: number; conditions?: Condition[] };
  const readyReplicas = status.readyReplicas ?? 0;
  const answer = (reason: string, ready = false, failure?: string): Readiness => ({
    ready,
    reason,
    desiredReplicas,
    readyReplicas,
    ...(endpointIp ? { endpointIp } : {}),
    ...(localEndpoints ? { localEndpoints } : {}),
    ...(failure ? { failure } : {}),
  });

  if (!deployment) return answer(`Deployment ${NAMESPACE}/${FE_NAME} does not exist`);
  if (deployment.metadata.deletionTimestamp) return answer(`Deployment ${NAMESPACE}/${FE_NAME} is being deleted`);
  const container = (((deployment.spec as any)?.template?.spec?.containers ?? []) as Array<{ name?: string; image?: string }>).find((c) => c.name === FE_NAME);
  if (container?.image !== spec.image) return answer(`Deployment ${NAMESPACE}/${FE_NAME} runs image ${container?.image ?? '(none)'}, not ${spec.image}, yet`);
  const generation = (deployment.metadata.generation as number | undefined) ?? 0;
  if ((status.observedGeneration ?? 0) < generation)
    return answer(`Deployment ${NAMESPACE}/${FE_NAME} is rolling out (generation ${generation} not yet observed)`);
  if ((status.updatedReplicas ?? 0) < desiredReplicas)
    return answer(`Deployment ${NAMESPACE}/${FE_NAME} has ${status.updatedReplicas ?? 0}/${desiredReplicas} replicas updated`);
  if (readyReplicas < desiredReplicas) {
    const pods = await client.list('v1', 'Pod', {
      namespace: NAMESPACE,
      labelSelector: `${LABEL_NAME}=${FE_NAME},${LABEL_COMPUTE}=${computeLabel(spec.computeId)}`,
    });
    const failure = stuckPod(pods);
    return answer(`Deployment ${NAMESPACE}/${FE_NAME} has ${readyReplicas}/${desiredReplicas} replicas ready${failure ? `: ${failure}` : ''}`, false, failure);
  }
  const available = status.conditions?.find((c) => c.type === 'Available');
  if (available?.status !== 'True') {
    return answer(
      `Deployment ${NAMESPACE}/${FE_NAME} is not Available${available?.reason ? ` (${available.reason}${available.message ? `: ${available.message}` : ''})` : ''}`,
    );
  }
  if (!service) return answer(`Service ${NAMESPACE}/${FE_NAME} does not exist`);
  if (!endpointIp) return answer(`Service ${NAMESPACE}/${FE_NAME} has no load-balancer address yet`);
  return answer(`${readyReplicas}/${desiredReplicas} front-end replicas ready; scoring endpoint ${endpointIp}`, true);
}
