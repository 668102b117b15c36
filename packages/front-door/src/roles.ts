import { createHash, randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { bodyCodec } from '@berth/store';

export const roles = ['Reader', 'Contributor', 'Owner'] as const;
export type Role = (typeof roles)[number];

/** Roles a token holds, by subscription id (lower-cased) or `*` for every subscription. */
export type RoleMap = Record<string, Role>;

/** How a token's roles are stored. */
export const roleMaps = bodyCodec(Type.Record(Type.String(), Type.Union(roles.map((r) => Type.Literal(r)))), 'token role map');

export interface Principal {
  name: string;
  roles: RoleMap;
}

export function roleFor(principal: Principal, subscriptionId: string): Role | undefined {
  return principal.roles[subscriptionId.toLowerCase()] ?? principal.roles['*'];
}

/** Whether `principal` is an Owner of every scope of `roleMap`: who may see, grant or revoke credentials holding those roles. */
export function owns(principal: Principal, roleMap: RoleMap): boolean {
  return Object.keys(roleMap).every((scope) => (scope === '*' ? principal.roles['*'] : roleFor(principal, scope)) === 'Owner');
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
