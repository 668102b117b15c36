import { CompiledQuery } from 'kysely';
import type { Db } from '../connect.js';
import type { ResourceRow } from '../tables/resources.table.js';
import { compiledSql } from './compiled-sql.js';
import { resourceRow, type NewResourceInput } from './resource-row.js';

export type { NewResourceInput };

/** A resource by its key; the hottest query (every GET). */
export async function getResource(db: Db, idKey: string): Promise<ResourceRow | undefined> {
  const sql = compiledSql(db, 'getResource', (d) => d.selectFrom('resources').selectAll().where('id_key', '=', ''));
  const { rows } = await db.executeQuery<ResourceRow>(CompiledQuery.raw(sql, [idKey]));
  return rows[0];
}

/** Inserts a new resource; throws a unique violation (see `isUniqueViolation`) when the id exists. */
export async function insertResource(db: Db, resource: NewResourceInput): Promise<void> {
  await db
    .insertInto('resources')
    .values(resourceRow(resource, JSON.stringify(resource.body)))
    .execute();
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
