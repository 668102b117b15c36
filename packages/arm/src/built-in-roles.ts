import rolesData from './data/built-in-roles.json' with { type: 'json' };

/** An Azure built-in role definition Berth knows, with Azure's own GUID (the same in every subscription and tenant). */
export interface BuiltInRole {
  roleName: string;
  guid: string;
  description: string;
  actions: readonly string[];
  notActions: readonly string[];
}

/** Owner, Contributor and Reader, as data: the one catalog the front door and the CLI read. */
export const builtInRoles: readonly BuiltInRole[] = rolesData.roles;

const byGuid = new Map(builtInRoles.map((role) => [role.guid, role]));

/** The built-in role with this GUID (any case), if Berth knows it. */
export function builtInRoleOfGuid(guid: string): BuiltInRole | undefined {
  return byGuid.get(guid.toLowerCase());
}
