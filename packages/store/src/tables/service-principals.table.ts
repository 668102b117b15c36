import type { Insertable, Selectable } from 'kysely';

/** Service principals (`berth ad sp create-for-rbac`); the client secret is stored as a SHA-256 hash only. */
export interface ServicePrincipalsTable {
  /** The client id (a GUID) clients send as `client_id`. */
  app_id: string;
  /** The principal's object id (a GUID), the `oid` claim of its tokens. */
  object_id: string;
  display_name: string;
  /** SHA-256 (hex) of the client secret. */
  secret_hash: string;
  /** ISO time after which the secret is refused. */
  secret_expires_at: string;
  /** JSON map of subscription id to role, as the tokens table holds. */
  roles: string;
  /** The tenant id the principal belongs to. */
  tenant: string;
  created_at: string;
  /** Who made it (`sp:<object id>` or `token:<hash>`): it may manage the principal while it has no role; `null` for principals from before. */
  created_by: string | null;
}
export type ServicePrincipalRow = Selectable<ServicePrincipalsTable>;
export type NewServicePrincipal = Insertable<ServicePrincipalsTable>;
