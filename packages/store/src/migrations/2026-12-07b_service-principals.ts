import type { Kysely } from 'kysely';

/** Service principals: an app id and a client secret (stored as its SHA-256 hash) that get Berth's own JWTs. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('service_principals')
    .addColumn('app_id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('object_id', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('display_name', 'varchar(256)', (c) => c.notNull().unique())
    .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('secret_expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('tenant', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('service_principals').execute();
}
