import type { Insertable, Selectable } from 'kysely';

/** Bearer tokens, stored as SHA-256 hashes only. */
export interface TokensTable {
  hash: string;
  name: string;
  /** JSON map of subscription id (or `*`) to role. */
  roles: string;
  created_at: string;
  /** ISO time after which the token is refused; `null` never expires. */
  expires_at: string | null;
}
export type TokenRow = Selectable<TokensTable>;
export type NewToken = Insertable<TokensTable>;
