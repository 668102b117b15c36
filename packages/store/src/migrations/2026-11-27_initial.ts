import type { Kysely } from 'kysely';

// Migrations use Kysely<any> and no app imports so they replay unchanged later.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('subscriptions')
    .addColumn('subscription_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('state', 'varchar(32)', (c) => c.notNull())
    .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('alias', 'varchar(256)', (c) => c.unique())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('resources')
    .addColumn('id_key', 'varchar(1024)', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type_key', 'varchar(256)', (c) => c.notNull())
    .addColumn('subscription_key', 'varchar(64)', (c) => c.notNull())
    .addColumn('group_key', 'varchar(128)', (c) => c.notNull())
    .addColumn('parent_key', 'varchar(1024)', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('resources_by_type').on('resources').columns(['subscription_key', 'type_key', 'id_key']).execute();
  await db.schema.createIndex('resources_by_parent').on('resources').columns(['parent_key', 'type_key', 'id_key']).execute();
  await db.schema.createIndex('resources_by_group').on('resources').columns(['subscription_key', 'group_key']).execute();

  await db.schema
    .createTable('operations')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(128)', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('subscription_key', 'varchar(64)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('step', 'varchar(128)', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('next_run_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_until', 'varchar(32)')
    .addColumn('error', 'text')
    .addColumn('start_time', 'varchar(32)', (c) => c.notNull())
    .addColumn('end_time', 'varchar(32)')
    .execute();
  await db.schema.createIndex('operations_runnable').on('operations').columns(['status', 'next_run_at']).execute();

  await db.schema
    .createTable('tokens')
    .addColumn('hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['tokens', 'operations', 'resources', 'subscriptions']) {
    await db.schema.dropTable(table).execute();
  }
}
