import { ANNOTATION_COMPUTE_ID, LABEL_COMPUTE, LABEL_MANAGED_BY, MANAGED_BY, SCORING_SERVICE_LABEL, isOwnedAnnotation, isOwnedLabel } from './constants.js';
import { ClusterClient, describeRef, InstallerError, shortRef, type ObjectRef } from './cluster-client.js';
import { desiredObjects, secretReaderObjects } from './desired-objects.js';
import { computeLabel, type InstallSpec, type KubeObject } from './install-spec.js';
import { DEFAULTED_KINDS, drifted, mergeForReplace } from './ownership.js';

/** How many times one object is re-read and written again after 409 Conflict before giving up. */
const MAX_ATTEMPTS = 5;

interface ManagedKind {
  apiVersion: string;
  kind: string;
}

/** Every kind the installer writes, in delete order (the reverse of creation). */
export const MANAGED_KINDS: ManagedKind[] = [
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
  { apiVersion: 'v1', kind: 'Namespace' },
];

/** Selects a compute's objects. */
export function computeSelector(computeId: string): string {
  return `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_COMPUTE}=${computeLabel(computeId)}`;
}

const refOf = (obj: KubeObject): ObjectRef => ({ apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace });
const keyOf = (obj: KubeObject) => `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
const isStatus = (err: unknown, code: number) => err instanceof InstallerError && err.statusCode === code;

/**
 * Brings one object to its desired state: creates it when missing; otherwise
 * replaces it (PUT with the live resourceVersion) when what Berth owns of it
 * differs, re-reading and retrying on 409 Conflict. Returns what it did.
 */
async function applyObject(client: ClusterClient, desired: KubeObject): Promise<'created' | 'changed' | undefined> {
  const ref = refOf(desired);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const live = await client.get(ref);
    if (!live) {
      try {
        await client.create(desired);
        return 'created';
      } catch (err) {
        if (isStatus(err, 409)) continue; // created meanwhile: read it and compare
        throw err;
      }
    }
    const owner = live.metadata.labels?.[LABEL_COMPUTE];
    if (owner && owner !== desired.metadata.labels?.[LABEL_COMPUTE]) {
      const other = live.metadata.annotations?.[ANNOTATION_COMPUTE_ID] ?? `compute label ${owner}`;
      throw new InstallerError(`${describeRef(desired)} belongs to another compute (${other}); detach that compute from the cluster first`, {
        operation: 'install',
        object: describeRef(desired),
        reason: 'OwnedByAnotherCompute',
      });
    }
    if (live.metadata.deletionTimestamp) {
      throw new InstallerError(`${describeRef(desired)} is being deleted; install again once it is gone`, {
        operation: 'install',
        object: describeRef(desired),
        reason: 'Terminating',
      });
    }
    // A namespace someone else created is used as it is, never adopted (so uninstall won't delete it).
    if (desired.kind === 'Namespace' && !owner) return undefined;

    const next = mergeForReplace(desired, live);
    if (!drifted(live, next)) return undefined;
    try {
      if (DEFAULTED_KINDS.has(desired.kind)) {
        // The difference may only be defaults the server fills in: ask the server what it would store.
        const wouldStore = await client.replace(next, { dryRun: true });
        if (!drifted(live, wouldStore)) return undefined;
      }
      await client.replace(next);
      return 'changed';
    } catch (err) {
      if (isStatus(err, 409)) continue; // changed meanwhile: read again
      if (isStatus(err, 422) && /immutable/i.test((err as Error).message)) {
        // A field that cannot change (a selector, a roleRef) differs: recreate the object.
        await client.delete(ref);
        continue;
      }
      throw err;
    }
  }
  throw new InstallerError(`${describeRef(desired)} kept changing while Berth updated it (${MAX_ATTEMPTS} conflicts in a row)`, {
    operation: 'replace',
    object: describeRef(desired),
    statusCode: 409,
    reason: 'Conflict',
  });
}

/**
 * Level-triggered install: every desired object converged (the secret readers from the scoring Services
 * the cluster holds now), then the compute's objects no longer desired removed.
 */
export async function applyInstall(client: ClusterClient, spec: InstallSpec): Promise<{ changed: string[] }> {
  const desired = desiredObjects(spec);
  const changed: string[] = [];
  for (const obj of desired) {
    if (await applyObject(client, obj)) changed.push(shortRef(obj));
  }
  const readers = secretReaderObjects(spec, await client.list('v1', 'Service', { labelSelector: SCORING_SERVICE_LABEL }));
  for (const obj of readers) {
    try {
      if (await applyObject(client, obj)) changed.push(shortRef(obj));
    } catch (err) {
      // A namespace deleted (404) or terminating (403) since the Services were listed: its Services go with it.
      if (isStatus(err, 404) || isStatus(err, 403)) continue;
      throw err;
    }
  }
  desired.push(...readers);
  // Objects of this compute that are no longer desired (the TLS secret once TLS is off, or
  // an object an older installer version wrote), in delete order.
  const keep = new Set(desired.map(keyOf));
  const selector = computeSelector(spec.computeId);
  for (const { apiVersion, kind } of MANAGED_KINDS) {
    if (kind === 'Namespace') continue;
    for (const item of await client.list(apiVersion, kind, { labelSelector: selector })) {
      if (keep.has(keyOf(item))) continue;
      if (await client.delete(refOf(item))) changed.push(shortRef(item));
    }
  }
  return { changed };
}

/** Objects a namespace may hold without holding anything of someone else's. */
function isClusterFurniture(obj: KubeObject): boolean {
  if (obj.kind === 'ConfigMap') return obj.metadata.name === 'kube-root-ca.crt';
  if (obj.kind === 'ServiceAccount') return obj.metadata.name === 'default';
  if (obj.kind === 'Secret') return obj.type === 'kubernetes.io/service-account-token';
  return false;
}

/** True when the namespace holds nothing but this compute's objects (and what every namespace holds). */
async function holdsOnlyOurs(client: ClusterClient, namespace: string, label: string): Promise<boolean> {
  const kinds: ManagedKind[] = [
    { apiVersion: 'apps/v1', kind: 'Deployment' },
    { apiVersion: 'v1', kind: 'Pod' },
    { apiVersion: 'v1', kind: 'Service' },
    { apiVersion: 'v1', kind: 'ConfigMap' },
    { apiVersion: 'v1', kind: 'Secret' },
    { apiVersion: 'v1', kind: 'ServiceAccount' },
  ];
  for (const { apiVersion, kind } of kinds) {
    const items = await client.list(apiVersion, kind, { namespace });
    if (items.some((item) => item.metadata.labels?.[LABEL_COMPUTE] !== label && !isClusterFurniture(item))) return false;
  }
  return true;
}

/**
 * Removes every object of the compute (found by its label, cluster-scoped ones
 * included), in delete order; the namespace goes too when it holds nothing but
 * ours, and otherwise merely loses Berth's labels. Idempotent.
 */
export async function applyUninstall(client: ClusterClient, computeId: string): Promise<{ deleted: string[] }> {
  const deleted: string[] = [];
  const selector = computeSelector(computeId);
  const label = computeLabel(computeId);
  for (const { apiVersion, kind } of MANAGED_KINDS) {
    for (const item of await client.list(apiVersion, kind, { labelSelector: selector })) {
      if (kind === 'Namespace') {
        if (item.metadata.deletionTimestamp) continue;
        if (!(await holdsOnlyOurs(client, item.metadata.name, label))) {
          await disown(client, item);
          continue;
        }
      }
      if (await client.delete(refOf(item))) deleted.push(shortRef(item));
    }
  }
  return { deleted };
}

/** Takes Berth's labels and annotations off an object that must stay (a namespace shared with others). */
async function disown(client: ClusterClient, obj: KubeObject): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const live = attempt === 0 ? obj : await client.get(refOf(obj));
    if (!live) return;
    const next = structuredClone(live);
    delete next.status;
    delete next.metadata.managedFields;
    next.metadata.labels = Object.fromEntries(Object.entries(live.metadata.labels ?? {}).filter(([k]) => !isOwnedLabel(k)));
    next.metadata.annotations = Object.fromEntries(Object.entries(live.metadata.annotations ?? {}).filter(([k]) => !isOwnedAnnotation(k)));
    try {
      await client.replace(next);
      return;
    } catch (err) {
      if (isStatus(err, 409)) continue;
      if (isStatus(err, 404)) return;
      throw err;
    }
  }
}
