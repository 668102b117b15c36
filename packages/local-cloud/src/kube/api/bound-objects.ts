import type { TokenBinding } from '../credentials.js';
import type { KubeObjectStore } from '../object-store.js';
import { resourceTypeByKey, type ResourceType } from '../resource-types.js';

const SERVICE_ACCOUNTS = resourceTypeByKey('core/serviceaccounts');
const BOUND_KINDS: Record<NonNullable<TokenBinding['object']>['kind'], ResourceType> = {
  Pod: resourceTypeByKey('core/pods'),
  Secret: resourceTypeByKey('core/secrets'),
};
const WATCHED = new Set([SERVICE_ACCOUNTS.key, ...Object.values(BOUND_KINDS).map((t) => t.key)]);

/** How long a uid read serves with no change seen here: another `berth up` on the same store may have deleted the object. */
const UID_TTL_MS = 1000;

const keyOf = (clusterId: string, resource: string, namespace: string, name: string) => `${clusterId}/${resource}/${namespace}/${name}`;

/**
 * Every request of a service account asks whether what its token is bound to
 * still exists; reading it each time would cost more than the request. Each
 * object's uid is read once, and dropped as soon as this process writes or
 * deletes it, or after a second (as the RBAC snapshots are, api/rbac.ts).
 */
class UidCache {
  private readonly entries = new Map<string, { takenAt: number; uid: Promise<string | undefined> }>();
  private sweptAt = 0;

  constructor(private readonly store: KubeObjectStore) {
    store.on('change', (change) => {
      if (WATCHED.has(change.resource.key)) this.entries.delete(keyOf(change.clusterId, change.resource.key, change.namespace, change.name));
    });
  }

  uidOf(clusterId: string, t: ResourceType, namespace: string, name: string): Promise<string | undefined> {
    const now = Date.now();
    const key = keyOf(clusterId, t.key, namespace, name);
    const held = this.entries.get(key);
    if (held && now - held.takenAt < UID_TTL_MS) return held.uid;
    // Objects deleted elsewhere (or with their cluster) leave no change event here: stale entries go once a second.
    if (now - this.sweptAt >= UID_TTL_MS) {
      this.sweptAt = now;
      for (const [k, entry] of this.entries) if (now - entry.takenAt >= UID_TTL_MS) this.entries.delete(k);
    }
    const entry = { takenAt: now, uid: this.store.get(clusterId, t, namespace, name).then((obj) => obj?.metadata.uid) };
    this.entries.set(key, entry);
    entry.uid.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.uid;
  }
}

const cachesByStore = new WeakMap<KubeObjectStore, UidCache>();

/** Whether the service account a token names, and the object it is bound to, still exist with the uids the token holds. */
export async function bindingHolds(store: KubeObjectStore, clusterId: string, binding: TokenBinding): Promise<boolean> {
  let cache = cachesByStore.get(store);
  if (!cache) {
    cache = new UidCache(store);
    cachesByStore.set(store, cache);
  }
  const { account, accountUid, object } = binding;
  const [accountNow, objectNow] = await Promise.all([
    cache.uidOf(clusterId, SERVICE_ACCOUNTS, account.namespace, account.name),
    object ? cache.uidOf(clusterId, BOUND_KINDS[object.kind], account.namespace, object.name) : undefined,
  ]);
  return accountNow === accountUid && (!object || objectNow === object.uid);
}
