import { clone, type KubeObject } from '../../kube-object.js';
import { prepareUpdate } from '../../object-rules.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../patch.js';
import type { ResourceType } from '../../resource-types.js';
import { badRequest, conflict, KubeError, notFound } from '../../status.js';
import type { KubeCall } from '../kube-call.js';
import { APPLY_PATCH, asObject, contentTypeOf, PATCH_TYPES } from '../parse-request.js';
import { createObject } from './create.js';
import { saveUpdate } from './update.js';

/** Writes that lose a race with another writer are retried against the newer object this many times. */
const CONFLICT_RETRIES = 4;

/**
 * `patch`: a merge, JSON or strategic-merge patch of the current object (or its
 * status), or a server-side apply, which may also create the object.
 */
export async function patchObject(call: KubeCall, type: ResourceType, namespace: string | undefined, name: string, subresource?: string): Promise<unknown> {
  const contentType = contentTypeOf(call.request);
  const body = call.request.body;
  if (contentType === APPLY_PATCH) {
    if (!call.query.fieldManager)
      throw new KubeError(400, 'BadRequest', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  } else if (!PATCH_TYPES.includes(contentType)) {
    throw new KubeError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${[...PATCH_TYPES, APPLY_PATCH].join(', ')}`,
    );
  }
  // Patches apply to the current object; a concurrent write between read and save retries.
  for (let attempt = 0; ; attempt++) {
    const existing = await call.store.get(call.clusterId, type, namespace ?? '', name);
    if (!existing) {
      if (contentType === APPLY_PATCH && !subresource) {
        const obj = asObject(clone(body));
        obj.metadata.name ??= name;
        return createObject(call, type, namespace, obj);
      }
      throw notFound(type, name);
    }
    const patched = asObject(applyPatch(contentType, existing, body, type));
    if (patched.metadata.name !== name) throw badRequest('a patch may not change the object name');
    const requested = (body as { metadata?: { resourceVersion?: string } })?.metadata?.resourceVersion;
    if (requested !== undefined && requested !== existing.metadata.resourceVersion) throw conflict(type, name);
    try {
      return await saveUpdate(call, type, existing, prepareUpdate(type, existing, patched, subresource));
    } catch (err) {
      if (!(err instanceof KubeError && err.reason === 'Conflict') || requested !== undefined || attempt >= CONFLICT_RETRIES) throw err;
    }
  }
}

function applyPatch(contentType: string, existing: KubeObject, body: unknown, type: ResourceType): KubeObject {
  switch (contentType) {
    case 'application/merge-patch+json':
      return applyMergePatch(existing, body);
    case 'application/json-patch+json':
      return applyJsonPatch(existing, body);
    default:
      // Server-side apply is approximated by a strategic merge of the applied configuration.
      return applyStrategicMergePatch(existing, body, type.kind);
  }
}
