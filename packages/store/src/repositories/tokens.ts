import type { Db } from '../connect.js';
import type { NewToken, TokenRow } from '../tables/tokens.table.js';

export async function insertToken(db: Db, row: NewToken): Promise<void> {
  await db.insertInto('tokens').values(row).execute();
}

export async function findToken(db: Db, hash: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
}

/** Every token (or those called `name`) but their hashes, oldest first. */
export async function listTokens(db: Db, name?: string): Promise<Omit<TokenRow, 'hash'>[]> {
  let query = db.selectFrom('tokens').select(['name', 'roles', 'created_at', 'expires_at']);
  if (name !== undefined) query = query.where('name', '=', name);
  return query.orderBy('created_at').orderBy('name').execute();
}

/** Deletes the tokens called `name`; answers how many there were. */
export async function deleteTokensNamed(db: Db, name: string): Promise<number> {
  const result = await db.deleteFrom('tokens').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows);
}
