import type { Kysely } from 'kysely';

/**
 * Each operation keeps the steps it went through (JSON), so its status can show them; and the
 * operation in progress on a resource is found by index (a GET of a resource being changed looks it up).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('operations')
    .addColumn('steps', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema.createIndex('operations_by_resource').on('operations').columns(['resource_id', 'status']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('operations_by_resource').execute();
  await db.schema.alterTable('operations').dropColumn('steps').execute();
}
