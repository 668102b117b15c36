import type { Db } from '../connect.js';
import type { NewResource, ResourceRow } from '../tables/resources.table.js';

export async function getResource(db: Db, idKey: string): Promise<ResourceRow | undefined> {
  return db.selectFrom('resources').selectAll().where('id_key', '=', idKey).executeTakeFirst();
}

export interface NewResourceInput {
  /** The ARM id, as it will be returned. */
  id: string;
  type: string;
  /** The id of the parent: the group for top-level resources, `/subscriptions/{s}` for subscription-level ones. */
  parentId: string;
  body: unknown;
  now: string;
}

/** The row of a new resource: every key derives from its ids, lower-cased since ARM compares them without case. */
function resourceRow(r: NewResourceInput): NewResource {
  const segments = r.id.split('/');
  const inGroup = segments[3]?.toLowerCase() === 'resourcegroups';
  return {
    id_key: r.id.toLowerCase(),
    id: r.id,
    type_key: r.type.toLowerCase(),
    subscription_key: segments[2].toLowerCase(),
    group_key: inGroup ? segments[4].toLowerCase() : '',
    parent_key: r.parentId.toLowerCase(),
    name: segments[segments.length - 1],
    body: JSON.stringify(r.body),
    created_at: r.now,
    updated_at: r.now,
  };
}

/** Inserts a new resource; throws a unique violation (see `isUniqueViolation`) when the id exists. */
export async function insertResource(db: Db, resource: NewResourceInput): Promise<void> {
  await db.insertInto('resources').values(resourceRow(resource)).execute();
}

/** Replaces the body of an existing resource; returns false when it does not exist. */
export async function updateResourceBody(db: Db, idKey: string, body: string, updatedAt: string): Promise<boolean> {
  const result = await db.updateTable('resources').set({ body, updated_at: updatedAt }).where('id_key', '=', idKey).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Deletes a resource and, recursively, its child resources. */
export async function deleteResourceTree(db: Db, idKey: string): Promise<void> {
  const children = await db.selectFrom('resources').select('id_key').where('parent_key', '=', idKey).execute();
  for (const child of children) await deleteResourceTree(db, child.id_key);
  await db.deleteFrom('resource_secrets').where('id_key', '=', idKey).execute();
  await db.deleteFrom('resources').where('id_key', '=', idKey).execute();
}

export interface ResourceQuery {
  typeKey: string;
  subscriptionKey?: string;
  groupKey?: string;
  parentKey?: string;
}

/** One page of resources in id order, after the key `after` when given. */
export async function listResources(db: Db, query: ResourceQuery, page: { after?: string; limit: number }): Promise<ResourceRow[]> {
  let q = db.selectFrom('resources').selectAll().where('type_key', '=', query.typeKey);
  if (query.subscriptionKey !== undefined) q = q.where('subscription_key', '=', query.subscriptionKey);
  if (query.groupKey !== undefined) q = q.where('group_key', '=', query.groupKey);
  if (query.parentKey !== undefined) q = q.where('parent_key', '=', query.parentKey);
  if (page.after !== undefined) q = q.where('id_key', '>', page.after);
  return q.orderBy('id_key').limit(page.limit).execute();
}

/** Every resource in a resource group other than the group itself, children before parents. */
export async function listGroupContents(db: Db, subscriptionKey: string, groupKey: string, groupIdKey: string): Promise<ResourceRow[]> {
  const rows = await db
    .selectFrom('resources')
    .selectAll()
    .where('subscription_key', '=', subscriptionKey)
    .where('group_key', '=', groupKey)
    .where('id_key', '!=', groupIdKey)
    .execute();
  return rows.sort((a, b) => b.id_key.length - a.id_key.length);
}
