import type { Insertable, Selectable } from 'kysely';

/** Bearer tokens, stored as SHA-256 hashes only. */
export interface TokensTable {
  hash: string;
  name: string;
  /** JSON map of subscription id (or `*`) to role. */
  roles: string;
  created_at: string;
}
export type TokenRow = Selectable<TokensTable>;
export type NewToken = Insertable<TokensTable>;
