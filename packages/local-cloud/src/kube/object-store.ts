import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { SecretBox } from '@berth/pki';
import {
  countKubeObjects,
  currentKubeResourceVersion,
  deleteKubeObject,
  getKubeObject,
  insertKubeEvent,
  listKubeEvents,
  listKubeObjects,
  listKubeObjectsInNamespace,
  nextKubeResourceVersion,
  oldestKubeEvent,
  pruneKubeEvents,
  putKubeObject,
  type Db,
  type KubeEventRow,
} from '@berth/store';
import { parseKubeObject, type KubeObject } from './kube-object.js';
import { alreadyExists, conflict, forbidden, KubeError, notFound } from './status.js';
import { resourceTypeByKey, type ResourceType } from './resource-types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ObjectChange {
  clusterId: string;
  type: WatchEventType;
  resource: ResourceType;
  namespace: string;
  name: string;
  object: KubeObject;
  resourceVersion: number;
}

export interface StoredEvent {
  type: WatchEventType;
  resource: ResourceType;
  namespace: string;
  object: KubeObject;
  resourceVersion: number;
}

/** How many writes of a cluster the change log keeps for watches to resume from. */
const EVENT_LOG_LENGTH = 5000;
const SECRETS = 'core/secrets';
/** Rows a list parses between two turns of the event loop. */
const PARSE_CHUNK = 250;
const NAMESPACES = resourceTypeByKey('core/namespaces');

/**
 * Objects one cluster may hold, like a ResourceQuota every cluster has: a
 * runaway client or controller fills its quota, not Berth's store. The nodes
 * of the agent pool are the platform's and do not count against it.
 */
export const MAX_OBJECTS_PER_CLUSTER = 10_000;
const UNCOUNTED = new Set(['core/nodes']);

/** Namespaces a cluster starts with; they cannot be deleted. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Why nothing may be created in a namespace (missing, or being deleted), as the NamespaceLifecycle admission says it. */
export function namespaceRefusal(namespace: string, ns: KubeObject | undefined): KubeError | undefined {
  if (!ns) return notFound(NAMESPACES, namespace);
  if ((ns.status as { phase?: string } | undefined)?.phase === 'Terminating') {
    return forbidden(`unable to create new content in namespace ${namespace} because it is being terminated`);
  }
  return undefined;
}

/**
 * Kubernetes objects of the local clusters, in Berth's store. Every write takes
 * the cluster's next resourceVersion and appends to its change log in one
 * transaction, then tells in-process listeners ('change'). Secret objects are
 * encrypted at rest.
 */
export class KubeObjectStore extends EventEmitter<{ change: [ObjectChange] }> {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {
    super();
    this.setMaxListeners(0);
  }

  private seal(resource: string, body: string): string {
    return resource === SECRETS ? this.box.encrypt(body) : body;
  }

  private open(resource: string, body: string): KubeObject {
    return parseKubeObject(resource === SECRETS ? this.box.decrypt(body) : body);
  }

  async get(clusterId: string, t: ResourceType, namespace: string, name: string): Promise<KubeObject | undefined> {
    const row = await getKubeObject(this.db, { clusterId, resource: t.key, namespace, name });
    return row ? this.open(t.key, row.body) : undefined;
  }

  /** Objects of a type (in one namespace, or all) and the resourceVersion the list is consistent with. */
  async list(clusterId: string, t: ResourceType, namespace?: string): Promise<{ items: KubeObject[]; resourceVersion: number }> {
    const resourceVersion = await currentKubeResourceVersion(this.db, clusterId);
    const rows = await listKubeObjects(this.db, clusterId, t.key, namespace);
    const items: KubeObject[] = [];
    for (let i = 0; i < rows.length; i += PARSE_CHUNK) {
      // Thousands of pods take tens of milliseconds to parse: other requests get their turn between chunks.
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      for (const row of rows.slice(i, i + PARSE_CHUNK)) items.push(this.open(t.key, row.body));
    }
    return { items, resourceVersion };
  }

  /** What a namespace holds, of every type: the type and name of each object. */
  async namespaceContents(clusterId: string, namespace: string): Promise<Array<{ type: ResourceType; name: string }>> {
    const rows = await listKubeObjectsInNamespace(this.db, clusterId, namespace);
    return rows.map((row) => ({ type: resourceTypeByKey(row.resource), name: row.name }));
  }

  /**
   * Creates an object. In the same transaction as the write, so that nothing
   * slips past a namespace deletion or the quota: the namespace must exist and
   * not be terminating, and the cluster must be under MAX_OBJECTS_PER_CLUSTER.
   */
  async create(clusterId: string, t: ResourceType, object: KubeObject): Promise<KubeObject> {
    return this.write(clusterId, t, object, async (existing, trx) => {
      const name = object.metadata.name!;
      if (existing) throw alreadyExists(t, name);
      if (t.namespaced) {
        const namespace = object.metadata.namespace ?? '';
        const row = await getKubeObject(trx, { clusterId, resource: NAMESPACES.key, namespace: '', name: namespace });
        const refusal = namespaceRefusal(namespace, row ? this.open(NAMESPACES.key, row.body) : undefined);
        if (refusal) throw refusal;
      }
      if (!UNCOUNTED.has(t.key)) {
        const used = await countKubeObjects(trx, clusterId, [...UNCOUNTED]);
        if (used >= MAX_OBJECTS_PER_CLUSTER) {
          throw forbidden(
            `${t.group ? `${t.plural}.${t.group}` : t.plural} "${name}" is forbidden: exceeded quota: object-count, requested: count=1, used: count=${used}, limited: count=${MAX_OBJECTS_PER_CLUSTER}`,
          );
        }
      }
      return 'ADDED';
    });
  }

  /** Replaces an object; with `expectedResourceVersion`, only if it is still that version (409 Conflict otherwise). */
  async replace(clusterId: string, t: ResourceType, object: KubeObject, expectedResourceVersion?: string): Promise<KubeObject> {
    return this.write(clusterId, t, object, async (existing) => {
      if (!existing) throw notFound(t, object.metadata.name!);
      if (expectedResourceVersion !== undefined && existing.metadata.resourceVersion !== expectedResourceVersion) throw conflict(t, object.metadata.name!);
      object.metadata.uid = existing.metadata.uid;
      object.metadata.creationTimestamp = existing.metadata.creationTimestamp;
      return 'MODIFIED';
    });
  }

  async remove(clusterId: string, t: ResourceType, namespace: string, name: string, expectedResourceVersion?: string): Promise<KubeObject> {
    let removed: KubeObject | undefined;
    let rv = 0;
    await this.db.transaction().execute(async (trx) => {
      rv = await nextKubeResourceVersion(trx, clusterId);
      const row = await getKubeObject(trx, { clusterId, resource: t.key, namespace, name });
      if (!row) throw notFound(t, name);
      const existing = this.open(t.key, row.body);
      if (expectedResourceVersion !== undefined && existing.metadata.resourceVersion !== expectedResourceVersion) throw conflict(t, name);
      existing.metadata.resourceVersion = String(rv);
      removed = existing;
      await deleteKubeObject(trx, { clusterId, resource: t.key, namespace, name });
      await insertKubeEvent(trx, {
        cluster_id: clusterId,
        resource_version: rv,
        type: 'DELETED',
        resource: t.key,
        namespace,
        name,
        body: this.seal(t.key, JSON.stringify(existing)),
      });
    });
    await this.afterWrite(clusterId, rv);
    this.emit('change', { clusterId, type: 'DELETED', resource: t, namespace, name, object: removed!, resourceVersion: rv });
    return removed!;
  }

  private async write(
    clusterId: string,
    t: ResourceType,
    object: KubeObject,
    decide: (existing: KubeObject | undefined, trx: Db) => Promise<WatchEventType>,
  ): Promise<KubeObject> {
    const namespace = t.namespaced ? (object.metadata.namespace ?? '') : '';
    const name = object.metadata.name!;
    let type: WatchEventType = 'ADDED';
    let rv = 0;
    await this.db.transaction().execute(async (trx) => {
      // Taking the version first locks the cluster's counter row: writes to one cluster are serialized.
      rv = await nextKubeResourceVersion(trx, clusterId);
      const row = await getKubeObject(trx, { clusterId, resource: t.key, namespace, name });
      type = await decide(row ? this.open(t.key, row.body) : undefined, trx);
      if (type === 'ADDED') {
        object.metadata.uid = randomUUID();
        object.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      }
      object.metadata.resourceVersion = String(rv);
      const body = this.seal(t.key, JSON.stringify(object));
      await putKubeObject(trx, { cluster_id: clusterId, resource: t.key, namespace, name, uid: object.metadata.uid!, resource_version: rv, body });
      await insertKubeEvent(trx, { cluster_id: clusterId, resource_version: rv, type, resource: t.key, namespace, name, body });
    });
    await this.afterWrite(clusterId, rv);
    this.emit('change', { clusterId, type, resource: t, namespace, name, object, resourceVersion: rv });
    return object;
  }

  private async afterWrite(clusterId: string, rv: number): Promise<void> {
    if (rv % 500 === 0) await pruneKubeEvents(this.db, clusterId, rv - EVENT_LOG_LENGTH);
  }

  /** Logged changes after `afterResourceVersion`, oldest first. */
  async eventsAfter(clusterId: string, afterResourceVersion: number, limit = 500): Promise<StoredEvent[]> {
    const rows = await listKubeEvents(this.db, clusterId, afterResourceVersion, limit);
    return rows.map((r: KubeEventRow) => ({
      type: r.type,
      resource: resourceTypeByKey(r.resource),
      namespace: r.namespace,
      object: this.open(r.resource, r.body),
      resourceVersion: Number(r.resource_version),
    }));
  }

  /** The oldest resourceVersion a watch can resume after (older ones get 410 Gone). */
  async oldestResumable(clusterId: string): Promise<number> {
    const oldest = await oldestKubeEvent(this.db, clusterId);
    return oldest === undefined ? await currentKubeResourceVersion(this.db, clusterId) : oldest - 1;
  }
}
