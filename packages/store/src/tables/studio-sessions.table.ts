import type { Insertable, Selectable } from 'kysely';

/** One-time sign-in codes of the Studio, stored as SHA-256 hashes; single use, short-lived. */
export interface StudioCodesTable {
  code_hash: string;
  /** The Berth token (its hash) whose roles the session will carry. */
  token_hash: string;
  created_at: string;
  expires_at: string;
}

/** Studio browser sessions: the cookie's value is stored as its SHA-256 hash only. */
export interface StudioSessionsTable {
  id_hash: string;
  token_hash: string;
  /** What the page sends in `X-Berth-CSRF` with every write. */
  csrf: string;
  created_at: string;
  expires_at: string;
}
export type StudioCodeRow = Selectable<StudioCodesTable>;
export type NewStudioCode = Insertable<StudioCodesTable>;
export type StudioSessionRow = Selectable<StudioSessionsTable>;
export type NewStudioSession = Insertable<StudioSessionsTable>;
