import type { ResourceType } from '../../resource-types.js';
import { notFound } from '../../status.js';
import type { KubeCall } from '../kube-call.js';
import { selectorOf } from '../parse-request.js';
import { present } from '../present.js';

/** `get`: one object. */
export async function getObject(call: KubeCall, type: ResourceType, namespace: string | undefined, name: string): Promise<unknown> {
  const obj = await call.store.get(call.clusterId, type, namespace ?? '', name);
  if (!obj) throw notFound(type, name);
  return present(call, type, [obj], obj.metadata.resourceVersion ?? '', true);
}

/** `list`: the objects of a type in a namespace (or all) that the selectors pick. */
export async function listObjects(call: KubeCall, type: ResourceType, namespace?: string): Promise<unknown> {
  const matches = selectorOf(call.query);
  const { items, resourceVersion } = await call.store.list(call.clusterId, type, namespace);
  return present(call, type, items.filter(matches), String(resourceVersion), false);
}
