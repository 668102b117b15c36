import type { ResourceType } from '../../resource-types.js';
import { serveWatch } from '../../watch.js';
import type { KubeCall } from '../kube-call.js';
import { selectorOf, wantsTable } from '../parse-request.js';
import { present } from '../present.js';

/** `watch`: a stream of the changes to the objects of a type in a namespace (or all) that the selectors pick. */
export async function watchObjects(call: KubeCall, type: ResourceType, namespace?: string): Promise<void> {
  const matches = selectorOf(call.query);
  const timeout = call.query.timeoutSeconds === undefined ? undefined : Number(call.query.timeoutSeconds);
  await serveWatch(call.reply, call.store, {
    clusterId: call.clusterId,
    type,
    matches: (ns, obj) => (namespace === undefined || ns === namespace) && matches(obj),
    resourceVersion: call.query.resourceVersion,
    timeoutSeconds: timeout !== undefined && Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
    bookmarks: call.query.allowWatchBookmarks === 'true',
    present: (obj, rv) => (wantsTable(call.request) ? present(call, type, [obj], rv, true) : obj),
    current: () => call.store.list(call.clusterId, type, namespace),
  });
}
