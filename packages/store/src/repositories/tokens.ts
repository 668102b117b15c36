import type { Db } from '../connect.js';
import type { NewToken, TokenRow } from '../tables/tokens.table.js';

export async function insertToken(db: Db, row: NewToken): Promise<void> {
  await db.insertInto('tokens').values(row).execute();
}

export async function findToken(db: Db, hash: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
}

/** Every token (or those called `name`) but their hashes, oldest first. */
export async function listTokens(db: Db, name?: string): Promise<Omit<TokenRow, 'hash' | 'created_by'>[]> {
  let query = db.selectFrom('tokens').select(['name', 'roles', 'created_at', 'expires_at']);
  if (name !== undefined) query = query.where('name', '=', name);
  return query.orderBy('created_at').orderBy('name').execute();
}

/** Deletes the tokens called `name`; answers how many there were. */
export async function deleteTokensNamed(db: Db, name: string): Promise<number> {
  const result = await db.deleteFrom('tokens').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** A service principal as the recorded creator of a credential (`created_by`). */
export function servicePrincipalCreator(objectId: string): string {
  return `sp:${objectId.toLowerCase()}`;
}

/** A Berth token, by its hash, as the recorded creator of a credential (`created_by`). */
export function tokenCreator(hash: string): string {
  return `token:${hash}`;
}

/**
 * Deletes the tokens `creator` made, the tokens those made, and so on; answers how many. Each round
 * deletes a generation before it looks for the next, so a token minted meanwhile by one being
 * deleted is found in the next round (or its minter, checking its own row after the insert, removes it).
 */
export async function deleteTokensMadeBy(db: Db, creator: string): Promise<number> {
  let makers = [creator];
  let deleted = 0;
  while (makers.length > 0) {
    const hashes = (await db.selectFrom('tokens').select('hash').where('created_by', 'in', makers).execute()).map((r) => r.hash);
    if (hashes.length > 0) await db.deleteFrom('tokens').where('hash', 'in', hashes).execute();
    deleted += hashes.length;
    makers = hashes.map(tokenCreator);
  }
  return deleted;
}

/** Whether the credential a `created_by` value names still exists (a token, even expired; a service principal). */
export async function creatorExists(db: Db, creator: string): Promise<boolean> {
  if (creator.startsWith('token:')) {
    return (await db.selectFrom('tokens').select('hash').where('hash', '=', creator.slice('token:'.length)).executeTakeFirst()) !== undefined;
  }
  if (creator.startsWith('sp:')) {
    return (
      (await db.selectFrom('service_principals').select('object_id').where('object_id', '=', creator.slice('sp:'.length)).executeTakeFirst()) !== undefined
    );
  }
  return false;
}
