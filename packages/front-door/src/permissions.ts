import type { Permission } from '@berth/shapes';
import { builtInRoles } from './role-assignments-store.js';
import { scopeContains, type Principal, type ScopePath } from './roles.js';

/**
 * What a principal may do at `scope`: one entry per grant at the scope or above it (the grants
 * `roleAt` weighs), with its role definition's actions, as ARM's permissions list answers.
 */
export function permissionsAt(principal: Principal, scope: ScopePath): Permission[] {
  return principal.grants
    .filter((grant) => scopeContains(grant.scope, scope))
    .map((grant) => {
      const role = builtInRoles[grant.role];
      return { actions: [...role.actions], notActions: [...role.notActions], dataActions: [], notDataActions: [] };
    });
}
