import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db, ServicePrincipalInfo } from '@berth/store';
import { hashToken, roleMaps, type Principal, type RoleMap } from './roles.js';

/**
 * The roles a service principal holds. For now they are stored on its row as
 * a token's are; role assignments at ARM scopes will replace this, here only.
 */
export async function servicePrincipalRoles(_db: Db, sp: ServicePrincipalInfo): Promise<RoleMap> {
  return roleMaps.parse(sp.roles);
}

/** The principal a service principal's requests run as. */
export async function servicePrincipalPrincipal(db: Db, sp: ServicePrincipalInfo): Promise<Principal> {
  return { name: sp.display_name, roles: await servicePrincipalRoles(db, sp) };
}

/** A new client secret (40 characters, 240 bits); only its hash is stored. */
export function newClientSecret(): string {
  return randomBytes(30).toString('base64url');
}

/** Whether `secret` is the one whose hash is stored, compared in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashToken(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
