import { randomBytes, timingSafeEqual } from 'node:crypto';
import { servicePrincipalCreator, type Db, type ServicePrincipalInfo } from '@berth/store';
import { assignedGrants } from './role-assignments-store.js';
import { grantsOfRoleMap, hashToken, roleMaps, type Grant, type Principal } from './roles.js';

/**
 * The roles a service principal holds: its role assignments (at any scope), plus the subscription
 * roles stored on its row by Berth versions before role assignments (new principals store none).
 */
export async function servicePrincipalGrants(db: Db, sp: ServicePrincipalInfo): Promise<Grant[]> {
  return [...grantsOfRoleMap(roleMaps.parse(sp.roles)), ...(await assignedGrants(db, sp.object_id))];
}

/** The principal a service principal's requests run as. */
export async function servicePrincipalPrincipal(db: Db, sp: ServicePrincipalInfo): Promise<Principal> {
  return { name: sp.display_name, principalId: sp.object_id, creatorId: servicePrincipalCreator(sp.object_id), grants: await servicePrincipalGrants(db, sp) };
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
