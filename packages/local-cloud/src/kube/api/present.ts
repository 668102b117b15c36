import type { KubeObject } from '../kube-object.js';
import type { ResourceType } from '../resource-types.js';
import { toTable } from '../table.js';
import type { KubeCall } from './kube-call.js';
import { wantsTable } from './parse-request.js';

/** What a read answers: the object or a `<Kind>List`, or the Table kubectl asks for with `Accept: ...;as=Table`. */
export function present(call: KubeCall, type: ResourceType, items: KubeObject[], resourceVersion: string, single: boolean): unknown {
  if (wantsTable(call.request)) {
    const includeObject = (call.query.includeObject as 'None' | 'Object' | 'Metadata' | undefined) ?? 'Metadata';
    return toTable(type.kind, items, { resourceVersion, includeObject });
  }
  if (single) return items[0];
  return { apiVersion: type.apiVersion, kind: `${type.kind}List`, metadata: { resourceVersion }, items };
}
