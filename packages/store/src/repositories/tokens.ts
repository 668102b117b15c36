import type { Db } from '../connect.js';
import type { NewToken, TokenRow } from '../tables/tokens.table.js';

export async function insertToken(db: Db, row: NewToken): Promise<void> {
  await db.insertInto('tokens').values(row).execute();
}

export async function findToken(db: Db, hash: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
}
