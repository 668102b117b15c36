import type { KubeObject } from '../../kube-object.js';
import { SYSTEM_NAMESPACES } from '../../object-store.js';
import { resourceTypeByKey, type ResourceType } from '../../resource-types.js';
import { conflict, forbidden, KubeError, notFound } from '../../status.js';
import type { KubeCall } from '../kube-call.js';
import { deleteOptionsOf, dryRunOf, selectorOf } from '../parse-request.js';

const NAMESPACES = resourceTypeByKey('core/namespaces');

/** Controllers before what they own, so that no controller acts on an owner whose dependents are already gone. */
const DELETION_ORDER = ['apps/deployments', 'apps/replicasets'];
const deletionRank = (key: string) => {
  const rank = DELETION_ORDER.indexOf(key);
  return rank < 0 ? DELETION_ORDER.length : rank;
};

/** What a delete asks: a dry run (in the query or, as kubectl sends it, in the DeleteOptions body) and preconditions. */
function deleteRequestOf(call: KubeCall): { dryRun: boolean; preconditions: { resourceVersion?: string; uid?: string } } {
  const options = deleteOptionsOf(call.request.body);
  return { dryRun: call.dryRun || dryRunOf(options.dryRun?.length ? options.dryRun : undefined), preconditions: options.preconditions ?? {} };
}

/** `delete`: removes one object if the DeleteOptions' preconditions hold; answers it as it was last. */
export async function deleteObject(call: KubeCall, type: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject> {
  const { dryRun, preconditions } = deleteRequestOf(call);
  const existing = await call.store.get(call.clusterId, type, namespace ?? '', name);
  if (!existing) throw notFound(type, name);
  if (preconditions.uid && preconditions.uid !== existing.metadata.uid) throw conflict(type, name);
  if (dryRun) return existing;
  if (type === NAMESPACES) return deleteNamespace(call, existing);
  return call.store.remove(call.clusterId, type, namespace ?? '', name, preconditions.resourceVersion);
}

/** A namespace goes Terminating, then everything in it goes, then the namespace; the system namespaces stay. */
async function deleteNamespace(call: KubeCall, ns: KubeObject): Promise<KubeObject> {
  const name = ns.metadata.name!;
  if (SYSTEM_NAMESPACES.includes(name)) throw forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
  // Once Terminating is stored, the store refuses every create in the namespace, controllers' too: what is listed next is all there will be.
  const terminating = await call.store.replace(call.clusterId, NAMESPACES, { ...ns, status: { phase: 'Terminating' } });
  const contents = await call.store.namespaceContents(call.clusterId, name);
  contents.sort((a, b) => deletionRank(a.type.key) - deletionRank(b.type.key));
  for (const { type, name: objectName } of contents) {
    await call.store.remove(call.clusterId, type, name, objectName).catch((err) => {
      if (!(err instanceof KubeError && err.code === 404)) throw err;
    });
  }
  await call.store.remove(call.clusterId, NAMESPACES, '', name);
  return terminating;
}

/** `deletecollection`: removes the objects the selectors pick (never a system namespace); answers them as a list. */
export async function deleteCollection(call: KubeCall, type: ResourceType, namespace?: string): Promise<unknown> {
  const matches = selectorOf(call.query);
  const { items, resourceVersion } = await call.store.list(call.clusterId, type, namespace);
  const doomed = items.filter(matches).filter((o) => !(type === NAMESPACES && SYSTEM_NAMESPACES.includes(o.metadata.name!)));
  if (!deleteRequestOf(call).dryRun) {
    for (const obj of doomed) await call.store.remove(call.clusterId, type, obj.metadata.namespace ?? '', obj.metadata.name!);
  }
  return { apiVersion: type.apiVersion, kind: `${type.kind}List`, metadata: { resourceVersion: String(resourceVersion) }, items: doomed };
}
