import type { Db } from '../connect.js';
import type { KubeClusterRow, KubeEventRow, KubeObjectRow, NewKubeObject } from '../tables/kube.table.js';

export async function insertKubeCluster(db: Db, row: KubeClusterRow): Promise<void> {
  await db.insertInto('kube_clusters').values(row).execute();
}

export async function getKubeCluster(db: Db, clusterId: string): Promise<KubeClusterRow | undefined> {
  return db.selectFrom('kube_clusters').selectAll().where('cluster_id', '=', clusterId).executeTakeFirst();
}

export async function getKubeClusterByManagedCluster(db: Db, managedClusterKey: string): Promise<KubeClusterRow | undefined> {
  return db.selectFrom('kube_clusters').selectAll().where('managed_cluster_key', '=', managedClusterKey).executeTakeFirst();
}

export async function listKubeClusters(db: Db): Promise<KubeClusterRow[]> {
  return db.selectFrom('kube_clusters').selectAll().execute();
}

export async function updateKubeClusterSettings(db: Db, clusterId: string, settings: string): Promise<void> {
  await db.updateTable('kube_clusters').set({ settings }).where('cluster_id', '=', clusterId).execute();
}

/** Removes a cluster's API with every object and event in it. */
export async function deleteKubeCluster(db: Db, clusterId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('kube_events').where('cluster_id', '=', clusterId).execute();
    await trx.deleteFrom('kube_objects').where('cluster_id', '=', clusterId).execute();
    await trx.deleteFrom('kube_clusters').where('cluster_id', '=', clusterId).execute();
  });
}

/** Takes the cluster's next resourceVersion; call inside the transaction that writes the object. */
export async function nextKubeResourceVersion(db: Db, clusterId: string): Promise<number> {
  const row = await db
    .updateTable('kube_clusters')
    .set((eb) => ({ resource_version: eb('resource_version', '+', 1) }))
    .where('cluster_id', '=', clusterId)
    .returning('resource_version')
    .executeTakeFirst();
  if (!row) throw new Error(`No Kubernetes API for cluster ${clusterId}.`);
  return Number(row.resource_version);
}

export async function currentKubeResourceVersion(db: Db, clusterId: string): Promise<number> {
  const row = await db.selectFrom('kube_clusters').select('resource_version').where('cluster_id', '=', clusterId).executeTakeFirst();
  return Number(row?.resource_version ?? 0);
}

export interface KubeObjectKey {
  clusterId: string;
  resource: string;
  namespace: string;
  name: string;
}

export async function getKubeObject(db: Db, key: KubeObjectKey): Promise<KubeObjectRow | undefined> {
  return db
    .selectFrom('kube_objects')
    .selectAll()
    .where('cluster_id', '=', key.clusterId)
    .where('resource', '=', key.resource)
    .where('namespace', '=', key.namespace)
    .where('name', '=', key.name)
    .executeTakeFirst();
}

/** Objects of one resource, in one namespace or (namespace undefined) all of them, by namespace and name. */
export async function listKubeObjects(db: Db, clusterId: string, resource: string, namespace?: string): Promise<KubeObjectRow[]> {
  let q = db.selectFrom('kube_objects').selectAll().where('cluster_id', '=', clusterId).where('resource', '=', resource);
  if (namespace !== undefined) q = q.where('namespace', '=', namespace);
  return q.orderBy('namespace').orderBy('name').execute();
}

/** How many objects a cluster holds, leaving out the resources named in `except`. */
export async function countKubeObjects(db: Db, clusterId: string, except: string[]): Promise<number> {
  const row = await db
    .selectFrom('kube_objects')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('cluster_id', '=', clusterId)
    .where('resource', 'not in', except)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** Every namespaced object in a namespace, whatever its resource. */
export async function listKubeObjectsInNamespace(db: Db, clusterId: string, namespace: string): Promise<KubeObjectRow[]> {
  return db.selectFrom('kube_objects').selectAll().where('cluster_id', '=', clusterId).where('namespace', '=', namespace).execute();
}

export async function putKubeObject(db: Db, row: NewKubeObject): Promise<void> {
  await db
    .insertInto('kube_objects')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['cluster_id', 'resource', 'namespace', 'name']).doUpdateSet({ uid: row.uid, resource_version: row.resource_version, body: row.body }),
    )
    .execute();
}

export async function deleteKubeObject(db: Db, key: KubeObjectKey): Promise<void> {
  await db
    .deleteFrom('kube_objects')
    .where('cluster_id', '=', key.clusterId)
    .where('resource', '=', key.resource)
    .where('namespace', '=', key.namespace)
    .where('name', '=', key.name)
    .execute();
}

export async function insertKubeEvent(db: Db, row: KubeEventRow): Promise<void> {
  await db.insertInto('kube_events').values(row).execute();
}

export async function listKubeEvents(db: Db, clusterId: string, afterResourceVersion: number, limit: number): Promise<KubeEventRow[]> {
  return db
    .selectFrom('kube_events')
    .selectAll()
    .where('cluster_id', '=', clusterId)
    .where('resource_version', '>', afterResourceVersion)
    .orderBy('resource_version')
    .limit(limit)
    .execute();
}

export async function oldestKubeEvent(db: Db, clusterId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('kube_events')
    .select((eb) => eb.fn.min('resource_version').as('oldest'))
    .where('cluster_id', '=', clusterId)
    .executeTakeFirst();
  return row?.oldest === null || row?.oldest === undefined ? undefined : Number(row.oldest);
}

/** Drops change-log rows at or below `upTo`: watches older than the log get 410 Gone, as from a real API server. */
export async function pruneKubeEvents(db: Db, clusterId: string, upTo: number): Promise<void> {
  await db.deleteFrom('kube_events').where('cluster_id', '=', clusterId).where('resource_version', '<=', upTo).execute();
}
