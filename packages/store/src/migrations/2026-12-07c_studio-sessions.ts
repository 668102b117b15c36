import type { Kysely } from 'kysely';

/**
 * The Studio's sign-in: one-time codes that `berth studio` prints (single use, 5 minutes) and the
 * browser sessions they open. Codes and session ids are stored as SHA-256 hashes only; each row
 * names the Berth token (by its hash) whose roles it carries, so revoking the token ends them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('studio_codes')
    .addColumn('code_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('studio_sessions')
    .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('csrf', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('studio_sessions').execute();
  await db.schema.dropTable('studio_codes').execute();
}
