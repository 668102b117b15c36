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
  /** Who made it: `sp:<object id>` or `token:<hash>` (revoked with its maker); `null` for the admin token and tokens from before. */
  created_by: string | null;
}
export type TokenRow = Selectable<TokensTable>;
export type NewToken = Insertable<TokensTable>;
