import type { Kysely } from 'kysely';

/** Tokens may expire (`null`: never, as the admin token in the home folder). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('expires_at', 'varchar(32)').execute();
  await db.schema.createIndex('tokens_name').on('tokens').column('name').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tokens_name').execute();
  await db.schema.alterTable('tokens').dropColumn('expires_at').execute();
}
