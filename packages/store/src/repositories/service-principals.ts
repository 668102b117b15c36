import type { Db } from '../connect.js';
import type { NewServicePrincipal, ServicePrincipalRow } from '../tables/service-principals.table.js';

/** A service principal without its secret hash: what lists and lookups for display hand out. */
export type ServicePrincipalInfo = Omit<ServicePrincipalRow, 'secret_hash'>;

const INFO_COLUMNS = ['app_id', 'object_id', 'display_name', 'secret_expires_at', 'roles', 'tenant', 'created_at', 'created_by'] as const;

export async function insertServicePrincipal(db: Db, row: NewServicePrincipal): Promise<void> {
  await db.insertInto('service_principals').values(row).execute();
}

/** The principal with this app (client) id, secret hash included: for the token endpoint only. */
export async function findServicePrincipalCredential(db: Db, appId: string): Promise<ServicePrincipalRow | undefined> {
  return db.selectFrom('service_principals').selectAll().where('app_id', '=', appId.toLowerCase()).executeTakeFirst();
}

/** The principal with this object id (a token's `oid`), without its secret hash. */
export async function findServicePrincipalByObjectId(db: Db, objectId: string): Promise<ServicePrincipalInfo | undefined> {
  return db.selectFrom('service_principals').select(INFO_COLUMNS).where('object_id', '=', objectId.toLowerCase()).executeTakeFirst();
}

/** The principal whose app id or object id is `id`, without its secret hash. */
export async function findServicePrincipal(db: Db, id: string): Promise<ServicePrincipalInfo | undefined> {
  const key = id.toLowerCase();
  return db
    .selectFrom('service_principals')
    .select(INFO_COLUMNS)
    .where((eb) => eb.or([eb('app_id', '=', key), eb('object_id', '=', key)]))
    .executeTakeFirst();
}

/** Every service principal, without secret hashes, oldest first. */
export async function listServicePrincipals(db: Db): Promise<ServicePrincipalInfo[]> {
  return db.selectFrom('service_principals').select(INFO_COLUMNS).orderBy('created_at').orderBy('display_name').execute();
}

/** Replaces the principal's secret; the old one is refused from now on. Answers whether the principal exists. */
export async function replaceServicePrincipalSecret(db: Db, appId: string, secretHash: string, expiresAt: string): Promise<boolean> {
  const result = await db
    .updateTable('service_principals')
    .set({ secret_hash: secretHash, secret_expires_at: expiresAt })
    .where('app_id', '=', appId.toLowerCase())
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Deletes the principal; answers whether it existed. */
export async function deleteServicePrincipal(db: Db, appId: string): Promise<boolean> {
  const result = await db.deleteFrom('service_principals').where('app_id', '=', appId.toLowerCase()).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
