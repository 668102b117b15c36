import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('kube_clusters')
    .addColumn('cluster_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('managed_cluster_key', 'varchar(1024)', (c) => c.notNull().unique())
    .addColumn('resource_version', 'integer', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('kube_objects')
    .addColumn('cluster_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('resource', 'varchar(128)', (c) => c.notNull())
    .addColumn('namespace', 'varchar(253)', (c) => c.notNull())
    .addColumn('name', 'varchar(253)', (c) => c.notNull())
    .addColumn('uid', 'varchar(64)', (c) => c.notNull())
    .addColumn('resource_version', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('kube_objects_pk', ['cluster_id', 'resource', 'namespace', 'name'])
    .execute();

  await db.schema
    .createTable('kube_events')
    .addColumn('cluster_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('resource_version', 'integer', (c) => c.notNull())
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('resource', 'varchar(128)', (c) => c.notNull())
    .addColumn('namespace', 'varchar(253)', (c) => c.notNull())
    .addColumn('name', 'varchar(253)', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('kube_events_pk', ['cluster_id', 'resource_version'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['kube_events', 'kube_objects', 'kube_clusters']) await db.schema.dropTable(table).execute();
}
