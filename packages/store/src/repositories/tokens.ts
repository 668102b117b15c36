import type { Db } from '../connect.js';
import type { NewToken, TokenRow } from '../tables/tokens.table.js';

export async function insertToken(db: Db, row: NewToken): Promise<void> {
  await db.insertInto('tokens').values(row).execute();
}

export async function findToken(db: Db, hash: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
}

/** Every token but their hashes, oldest first. */
export async function listTokens(db: Db): Promise<Omit<TokenRow, 'hash'>[]> {
  return db.selectFrom('tokens').select(['name', 'roles', 'created_at', 'expires_at']).orderBy('created_at').orderBy('name').execute();
}

export async function tokenNameTaken(db: Db, name: string): Promise<boolean> {
  return (await db.selectFrom('tokens').select('name').where('name', '=', name).executeTakeFirst()) !== undefined;
}

/** Deletes the tokens called `name`; answers how many there were. */
export async function deleteTokensNamed(db: Db, name: string): Promise<number> {
  const result = await db.deleteFrom('tokens').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows);
}
