import type { KubeObject } from '../../kube-object.js';
import { isReplicaCount, MAX_REPLICAS, prepareUpdate } from '../../object-rules.js';
import { applyJsonPatch, applyMergePatch } from '../../patch.js';
import type { ResourceType } from '../../resource-types.js';
import { invalid, methodNotAllowed, notFound } from '../../status.js';
import type { KubeCall } from '../kube-call.js';
import { contentTypeOf } from '../parse-request.js';
import { saveUpdate } from './update.js';

interface Scalable {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
}

/** The autoscaling/v1 Scale view of an object's spec.replicas. */
function toScale(obj: KubeObject, namespace: string, name: string): KubeObject {
  const spec = (obj.spec ?? {}) as Scalable;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: spec.replicas ?? 1 },
    status: {
      replicas: (obj.status as { replicas?: number } | undefined)?.replicas ?? 0,
      selector: Object.entries(spec.selector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  };
}

/** `{plural}/{name}/scale` (what `kubectl scale` uses): get, update or patch the replica count. */
export async function scaleObject(call: KubeCall, type: ResourceType, namespace: string, name: string, method: string): Promise<unknown> {
  const existing = await call.store.get(call.clusterId, type, namespace, name);
  if (!existing) throw notFound(type, name);
  const current = toScale(existing, namespace, name);
  if (method === 'GET') return current;
  let wanted: unknown;
  if (method === 'PUT') {
    wanted = (call.request.body as { spec?: { replicas?: unknown } } | undefined)?.spec?.replicas;
  } else if (method === 'PATCH') {
    const body = call.request.body;
    const patched = contentTypeOf(call.request) === 'application/json-patch+json' ? applyJsonPatch(current, body) : applyMergePatch(current, body);
    wanted = (patched.spec as { replicas?: unknown } | undefined)?.replicas;
  } else {
    throw methodNotAllowed('the server does not allow this method on the requested resource');
  }
  if (!isReplicaCount(wanted)) {
    throw invalid(type, name, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(wanted)}: must be an integer from 0 to ${MAX_REPLICAS}` }]);
  }
  const scaled = prepareUpdate(type, existing, { ...existing, spec: { ...(existing.spec as object), replicas: wanted } });
  return toScale(await saveUpdate(call, type, existing, scaled), namespace, name);
}
