import type { Db } from '../connect.js';

/** Sets (or replaces) one encrypted value of a resource. */
export async function putResourceSecret(db: Db, idKey: string, name: string, value: string): Promise<void> {
  await db
    .insertInto('resource_secrets')
    .values({ id_key: idKey, name, value })
    .onConflict((oc) => oc.columns(['id_key', 'name']).doUpdateSet({ value }))
    .execute();
}

export async function getResourceSecret(db: Db, idKey: string, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('resource_secrets').select('value').where('id_key', '=', idKey).where('name', '=', name).executeTakeFirst();
  return row?.value;
}
