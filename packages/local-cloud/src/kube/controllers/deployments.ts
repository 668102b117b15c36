import { isDeepStrictEqual } from 'node:util';
import { clone, type KubeObject } from '../kube-object.js';
import type { KubeObjectStore } from '../object-store.js';
import { resourceTypeByKey } from '../resource-types.js';
import { KubeError } from '../status.js';
import { podTemplateHash } from './hashing.js';
import { controllerOf, type PodSpec } from './pod-lifecycle.js';
import { now, unlessGone, unlessRaced } from './writes.js';

const DEPLOYMENTS = resourceTypeByKey('apps/deployments');
const REPLICASETS = resourceTypeByKey('apps/replicasets');
const PODS = resourceTypeByKey('core/pods');

const REVISION = 'deployment.kubernetes.io/revision';
const TEMPLATE_HASH = 'pod-template-hash';

interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  strategy?: { rollingUpdate?: { maxUnavailable?: unknown } };
  revisionHistoryLimit?: number;
}

interface ReplicaCounts {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  conditions?: Condition[];
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

const specReplicas = (rs: KubeObject) => (rs.spec as { replicas?: number }).replicas ?? 1;
const statusOf = (rs: KubeObject | undefined) => (rs?.status ?? {}) as ReplicaCounts;
const revisionOf = (obj: KubeObject) => Number(obj.metadata.annotations?.[REVISION] ?? 0) || 0;
const sum = (replicaSets: KubeObject[], count: (s: ReplicaCounts) => number | undefined) => replicaSets.reduce((n, rs) => n + (count(statusOf(rs)) ?? 0), 0);

/** `spec.strategy.rollingUpdate.maxUnavailable` as a pod count (default 25%, rounded down as Kubernetes does). */
function maxUnavailable(spec: DeploymentSpec, replicas: number): number {
  const value = spec.strategy?.rollingUpdate?.maxUnavailable ?? '25%';
  if (typeof value === 'number') return Math.max(0, Math.floor(value));
  const percent = /^(\d+)%$/.exec(String(value));
  return percent ? Math.floor((replicas * Number(percent[1])) / 100) : 0;
}

/**
 * The Deployment controller: a Deployment's current pod template has a ReplicaSet
 * of its own (`<deployment>-<pod-template-hash>`, owned by it, at the next
 * revision) with spec.replicas; the ReplicaSets of older templates are scaled to
 * 0 at once (a rolling update without its pacing) and kept up to
 * revisionHistoryLimit. The status sums the ReplicaSets' as `kubectl rollout
 * status` reads it. Keyed by Deployment.
 */
export class DeploymentController {
  constructor(private readonly store: KubeObjectStore) {}

  async reconcile(clusterId: string, namespace: string, name: string): Promise<void> {
    const deployment = await this.store.get(clusterId, DEPLOYMENTS, namespace, name);
    const replicaSets = (await this.store.list(clusterId, REPLICASETS, namespace)).items;
    const uid = deployment?.metadata.uid;
    // ReplicaSets of a Deployment of this name that is gone (deleted, or deleted and made anew): garbage.
    for (const rs of replicaSets) {
      const owner = controllerOf(rs);
      if (owner?.kind === 'Deployment' && owner.name === name && owner.uid !== uid)
        await unlessGone(this.store.remove(clusterId, REPLICASETS, namespace, rs.metadata.name!));
    }
    const owned = replicaSets.filter((rs) => uid !== undefined && controllerOf(rs)?.uid === uid);
    if (!deployment || owned.length === 0) await this.removePodsOwnedDirectly(clusterId, namespace, name);
    if (!deployment) return;

    const spec = deployment.spec as DeploymentSpec;
    const replicas = spec.replicas ?? 1;
    const templateHash = podTemplateHash(spec.template);
    const current = owned.find((rs) => rs.metadata.labels?.[TEMPLATE_HASH] === templateHash);
    const old = owned.filter((rs) => rs !== current);
    const newest = Math.max(0, ...old.map(revisionOf));
    // A template that comes back takes its old ReplicaSet back, at a new revision.
    const revision = current && revisionOf(current) > newest ? revisionOf(current) : newest + 1;
    let failure: string | undefined;
    let newReplicaSet = current;
    if (!current) {
      try {
        newReplicaSet = await this.store.create(clusterId, REPLICASETS, newReplicaSetOf(deployment, templateHash, revision));
      } catch (err) {
        // Quota exhausted, namespace going away, or the name taken by a ReplicaSet not its own: reported as FailedCreate.
        if (!(err instanceof KubeError && (err.code === 403 || err.code === 404 || err.reason === 'AlreadyExists'))) throw err;
        failure = err.message;
      }
    } else {
      newReplicaSet = (await this.scale(clusterId, current, replicas, revision)) ?? current;
    }
    const scaledDown: KubeObject[] = [];
    for (const rs of old) scaledDown.push((await this.scale(clusterId, rs, 0, revisionOf(rs))) ?? rs);
    await this.pruneHistory(clusterId, scaledDown, spec.revisionHistoryLimit ?? 10);
    const replicaSetsNow = [...(newReplicaSet ? [newReplicaSet] : []), ...scaledDown];
    await this.writeStatus(clusterId, deployment, newReplicaSet, replicaSetsNow, `${name}-${templateHash}`, newReplicaSet ? revision : undefined, failure);
  }

  /** Sets a ReplicaSet's replicas and revision; the new object, or undefined if it changed meanwhile (that change queued another pass). */
  private async scale(clusterId: string, rs: KubeObject, replicas: number, revision: number): Promise<KubeObject | undefined> {
    if (specReplicas(rs) === replicas && revisionOf(rs) === revision) return rs;
    const generation = (rs.metadata.generation ?? 1) + (specReplicas(rs) === replicas ? 0 : 1);
    const scaled: KubeObject = {
      ...rs,
      metadata: { ...rs.metadata, generation, annotations: { ...rs.metadata.annotations, [REVISION]: String(revision) } },
      spec: { ...(rs.spec as object), replicas },
    };
    return unlessRaced(this.store.replace(clusterId, REPLICASETS, scaled, rs.metadata.resourceVersion));
  }

  /** Old ReplicaSets with no pods left, beyond the newest `limit`, are deleted. */
  private async pruneHistory(clusterId: string, old: KubeObject[], limit: number): Promise<void> {
    const empty = old.filter((rs) => specReplicas(rs) === 0 && (statusOf(rs).replicas ?? 0) === 0).sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of empty.slice(0, Math.max(0, empty.length - limit))) {
      await unlessGone(this.store.remove(clusterId, REPLICASETS, rs.metadata.namespace!, rs.metadata.name!));
    }
  }

  /** Pods a Deployment owned itself, from before Berth simulated ReplicaSets: its first ReplicaSet replaces them. */
  private async removePodsOwnedDirectly(clusterId: string, namespace: string, name: string): Promise<void> {
    const pods = (await this.store.list(clusterId, PODS, namespace)).items;
    for (const pod of pods) {
      const owner = controllerOf(pod);
      if (owner?.kind === 'Deployment' && owner.name === name) await unlessGone(this.store.remove(clusterId, PODS, namespace, pod.metadata.name!));
    }
  }

  private async writeStatus(
    clusterId: string,
    deployment: KubeObject,
    newReplicaSet: KubeObject | undefined,
    replicaSets: KubeObject[],
    newName: string,
    revision: number | undefined,
    failure: string | undefined,
  ): Promise<void> {
    const spec = deployment.spec as DeploymentSpec;
    const wanted = spec.replicas ?? 1;
    const replicas = sum(replicaSets, (s) => s.replicas);
    const updated = statusOf(newReplicaSet).replicas ?? 0;
    const ready = sum(replicaSets, (s) => s.readyReplicas);
    const available = sum(replicaSets, (s) => s.availableReplicas);
    const isAvailable = available >= wanted - maxUnavailable(spec, wanted);
    const complete = updated === wanted && replicas === wanted && available === wanted;
    const replicaFailure = failure
      ? { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure }
      : statusOf(newReplicaSet).conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    const status = {
      observedGeneration: deployment.metadata.generation ?? 1,
      replicas,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      ...(wanted - available > 0 ? { unavailableReplicas: wanted - available } : {}),
      conditions: [
        isAvailable
          ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
          : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
        complete
          ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newName}" has successfully progressed.` }
          : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newName}" is progressing.` },
        ...(replicaFailure ? [{ type: 'ReplicaFailure', status: 'True', reason: replicaFailure.reason, message: replicaFailure.message }] : []),
      ] as Condition[],
    };
    const previous = (deployment.status ?? {}) as { conditions?: Condition[] };
    // The revision of the Deployment is its new ReplicaSet's, once there is one.
    const annotations = revision === undefined ? deployment.metadata.annotations : { ...deployment.metadata.annotations, [REVISION]: String(revision) };
    const unchanged =
      isDeepStrictEqual(annotations, deployment.metadata.annotations) &&
      isDeepStrictEqual(status, { ...previous, conditions: previous.conditions?.map(({ lastUpdateTime: _u, lastTransitionTime: _t, ...c }) => c) });
    if (unchanged) return;
    const stamp = now();
    const conditions = status.conditions.map((c) => {
      const before = previous.conditions?.find((p) => p.type === c.type);
      const same = before?.status === c.status && before.reason === c.reason && before.message === c.message;
      return {
        ...c,
        lastUpdateTime: same ? before.lastUpdateTime : stamp,
        lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : stamp,
      };
    });
    const written = { ...deployment, metadata: { ...deployment.metadata, annotations }, status: { ...status, conditions } };
    await unlessRaced(this.store.replace(clusterId, DEPLOYMENTS, written, deployment.metadata.resourceVersion));
  }
}

/** The ReplicaSet of a Deployment's current template: its template and selector with the pod-template-hash label added. */
function newReplicaSetOf(deployment: KubeObject, templateHash: string, revision: number): KubeObject {
  const { name, namespace, uid } = deployment.metadata;
  const spec = deployment.spec as DeploymentSpec;
  const template = clone(spec.template);
  const labels = { ...template.metadata?.labels, [TEMPLATE_HASH]: templateHash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${name}-${templateHash}`,
      namespace,
      generation: 1,
      labels,
      annotations: { [REVISION]: String(revision) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: name!, uid: uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas: spec.replicas ?? 1,
      selector: { ...clone(spec.selector), matchLabels: { ...spec.selector.matchLabels, [TEMPLATE_HASH]: templateHash } },
      template: { ...template, metadata: { ...template.metadata, labels } },
    },
    status: { replicas: 0 },
  };
}
