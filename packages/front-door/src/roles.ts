import { createHash, randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { ScopePath } from '@berth/arm';
import { bodyCodec } from '@berth/store';

export const roles = ['Reader', 'Contributor', 'Owner'] as const;
export type Role = (typeof roles)[number];

/** Roles a Berth token holds, by subscription id (lower-cased) or `*` for every subscription. */
export type RoleMap = Record<string, Role>;

/** How a token's roles are stored. */
export const roleMaps = bodyCodec(Type.Record(Type.String(), Type.Union(roles.map((r) => Type.Literal(r)))), 'token role map');

export type { ScopePath };

/** A role held at a scope and everything below it: a role assignment, or a token's role on a subscription. */
export interface Grant {
  scope: ScopePath;
  role: Role;
}

export interface Principal {
  name: string;
  /** The id role assignments name it by: a service principal's object id; none for Berth tokens. */
  principalId?: string;
  /**
   * How the credentials it makes record their creator (`@berth/store`'s `servicePrincipalCreator` or `tokenCreator`):
   * they are revoked with it, and it manages the principals it made while they have no role.
   */
  creatorId?: string;
  grants: readonly Grant[];
}

const strength: Record<Role, number> = { Reader: 1, Contributor: 2, Owner: 3 };

/** Whether `outer` is `inner` or above it. */
export function scopeContains(outer: ScopePath, inner: ScopePath): boolean {
  return outer.length <= inner.length && outer.every((segment, i) => segment === inner[i]);
}

/** The strongest role among the principal's grants at `scope` or above it, as ARM decides. */
export function roleAt(principal: Principal, scope: ScopePath): Role | undefined {
  let best: Role | undefined;
  for (const grant of principal.grants) {
    if (scopeContains(grant.scope, scope) && (!best || strength[grant.role] > strength[best])) best = grant.role;
  }
  return best;
}

/** The scope path of a subscription id, or of the root for `*`. */
export function subscriptionScope(subscriptionId: string): ScopePath {
  return subscriptionId === '*' ? [] : ['subscriptions', subscriptionId.toLowerCase()];
}

/** A token's role map as grants: each subscription's role at `/subscriptions/{id}`, `*` at the root. */
export function grantsOfRoleMap(roleMap: RoleMap): Grant[] {
  return Object.entries(roleMap).map(([key, role]) => ({ scope: subscriptionScope(key), role }));
}

/** The role a principal holds on a whole subscription (at its scope or above). */
export function roleFor(principal: Principal, subscriptionId: string): Role | undefined {
  return roleAt(principal, subscriptionScope(subscriptionId));
}

/** Whether the principal holds any role in the subscription: on it, above it, or on something in it. */
export function hasRoleIn(principal: Principal, subscriptionId: string): boolean {
  const sub = subscriptionScope(subscriptionId);
  return principal.grants.some((g) => scopeContains(g.scope, sub) || scopeContains(sub, g.scope));
}

/** Whether `principal` is an Owner of every scope of `roleMap`: who may see, grant or revoke credentials holding those roles. */
export function owns(principal: Principal, roleMap: RoleMap): boolean {
  return ownsScopes(principal, Object.keys(roleMap).map(subscriptionScope));
}

/** Whether `principal` is an Owner at (or above) every one of `scopes`. */
export function ownsScopes(principal: Principal, scopes: readonly ScopePath[]): boolean {
  return scopes.every((scope) => roleAt(principal, scope) === 'Owner');
}

export function canWrite(role: Role | undefined): boolean {
  return role === 'Contributor' || role === 'Owner';
}

/** A new bearer token; only its hash is stored. */
export function newToken(): string {
  return `berth_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
