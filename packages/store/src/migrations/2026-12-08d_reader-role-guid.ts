import { sql, type Kysely } from 'kysely';

/** The Reader GUID Berth used before it took Azure's, and Azure's own. */
const OLD_READER = 'acdd72a7-3d3a-4c5b-8b10-59c35b3b8b6b';
const AZURE_READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const ROLE_ASSIGNMENTS = 'microsoft.authorization/roleassignments';

async function rewrite(db: Kysely<any>, from: string, to: string): Promise<void> {
  await db
    .updateTable('resources')
    .set({ body: sql`replace(body, ${from}, ${to})` })
    .where('type_key', '=', ROLE_ASSIGNMENTS)
    .where('body', 'like', `%${from}%`)
    .execute();
}

/** Stored role assignments that name the made-up Reader GUID name Azure's instead (Berth writes role definition ids lower-cased). */
export async function up(db: Kysely<any>): Promise<void> {
  await rewrite(db, OLD_READER, AZURE_READER);
}

export async function down(db: Kysely<any>): Promise<void> {
  await rewrite(db, AZURE_READER, OLD_READER);
}
