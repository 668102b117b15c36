import type { Kysely } from 'kysely';

/**
 * Who made each service principal and each Berth token: `sp:<object id>` or `token:<hash of the
 * Berth token>`. A principal's creator may manage it while it has no role, and deleting a principal
 * revokes the tokens it made. Rows from before stay `null`: no creator is known for them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('service_principals').addColumn('created_by', 'varchar(80)').execute();
  await db.schema.alterTable('tokens').addColumn('created_by', 'varchar(80)').execute();
  await db.schema.createIndex('tokens_created_by').on('tokens').column('created_by').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tokens_created_by').execute();
  await db.schema.alterTable('tokens').dropColumn('created_by').execute();
  await db.schema.alterTable('service_principals').dropColumn('created_by').execute();
}
