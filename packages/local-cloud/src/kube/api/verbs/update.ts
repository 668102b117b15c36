import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../kube-object.js';
import { checkNesting } from '../../nesting.js';
import { prepareUpdate } from '../../object-rules.js';
import type { ResourceType } from '../../resource-types.js';
import { badRequest, conflict, notFound } from '../../status.js';
import { authorizeGrants } from '../auth.js';
import type { KubeCall } from '../kube-call.js';
import { createObject } from './create.js';

/**
 * `update` (PUT): replaces the object, or its status with `subresource` 'status'.
 * A resourceVersion in the body must be the current one. A missing object is
 * created only for the kinds whose API allows it.
 */
export async function updateObject(
  call: KubeCall,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  obj: KubeObject,
  subresource?: string,
): Promise<unknown> {
  if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
    throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
  }
  obj.metadata.name = name;
  if (type.namespaced) obj.metadata.namespace = namespace;
  const existing = await call.store.get(call.clusterId, type, namespace ?? '', name);
  if (!existing) {
    if (subresource || !type.createOnUpdate) throw notFound(type, name);
    return createObject(call, type, namespace, obj);
  }
  const expected = obj.metadata.resourceVersion || undefined;
  if (expected !== undefined && expected !== existing.metadata.resourceVersion) throw conflict(type, name);
  return saveUpdate(call, type, existing, prepareUpdate(type, existing, obj, subresource));
}

/**
 * Stores an update of `existing` (on a dry run, only answers it). One that changes
 * nothing is not written, as the API server skips it: same resourceVersion, no watch event.
 */
export async function saveUpdate(call: KubeCall, type: ResourceType, existing: KubeObject, prepared: KubeObject): Promise<KubeObject> {
  const { uid, creationTimestamp, resourceVersion } = existing.metadata;
  if (isDeepStrictEqual({ ...prepared, metadata: { ...prepared.metadata, uid, creationTimestamp, resourceVersion } }, existing)) return existing;
  checkNesting(prepared);
  await authorizeGrants(call.store, call.clusterId, call.caller, type, prepared);
  return call.dryRun ? prepared : call.store.replace(call.clusterId, type, prepared, resourceVersion);
}
