import type { Db } from '../connect.js';
import type { NewStudioCode, NewStudioSession, StudioCodeRow, StudioSessionRow } from '../tables/studio-sessions.table.js';

export async function insertStudioCode(db: Db, row: NewStudioCode): Promise<void> {
  await db.insertInto('studio_codes').values(row).execute();
}

/**
 * Takes a one-time code: answers its row and deletes it, or undefined when it is unknown or was
 * already taken. The delete decides, so of two concurrent takes (in any process) only one wins.
 */
export async function takeStudioCode(db: Db, codeHash: string): Promise<StudioCodeRow | undefined> {
  const row = await db.selectFrom('studio_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
  if (!row) return undefined;
  const result = await db.deleteFrom('studio_codes').where('code_hash', '=', codeHash).executeTakeFirst();
  return Number(result.numDeletedRows) === 1 ? row : undefined;
}

export async function insertStudioSession(db: Db, row: NewStudioSession): Promise<void> {
  await db.insertInto('studio_sessions').values(row).execute();
}

export async function findStudioSession(db: Db, idHash: string): Promise<StudioSessionRow | undefined> {
  return db.selectFrom('studio_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
}

export async function deleteStudioSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('studio_sessions').where('id_hash', '=', idHash).execute();
}

/** Removes expired codes and sessions (ISO times compare as strings). */
export async function deleteExpiredStudioRows(db: Db, nowIso: string): Promise<void> {
  await db.deleteFrom('studio_codes').where('expires_at', '<=', nowIso).execute();
  await db.deleteFrom('studio_sessions').where('expires_at', '<=', nowIso).execute();
}
