import { randomUUID } from 'node:crypto';
import { ArmError, builtInRoleOfGuid, builtInRoles as builtInRoleCatalog, idKey, parseScope, type BuiltInRole, type ParsedScope } from '@berth/arm';
import { findServicePrincipalByObjectId, getResource, getSubscription, isUniqueViolation, resourceRepository, type Db } from '@berth/store';
import { RoleAssignment, type RoleDefinition } from '@berth/shapes';
import { requireResourceGroup } from './resource-groups-store.js';
import { roles, type Grant, type Role } from './roles.js';

export const AUTHORIZATION_NAMESPACE = 'Microsoft.Authorization';
export const ROLE_ASSIGNMENT_TYPE = 'Microsoft.Authorization/roleAssignments';
export const ROLE_DEFINITION_TYPE = 'Microsoft.Authorization/roleDefinitions';
export const roleAssignments = resourceRepository(ROLE_ASSIGNMENT_TYPE, RoleAssignment);

/** The built-in roles, by name, from `@berth/arm`'s catalog (Azure's own GUIDs, so clients that hard-code them work). */
export const builtInRoles = Object.fromEntries(
  roles.map((role) => {
    const def = builtInRoleCatalog.find((r) => r.roleName === role);
    if (!def) throw new Error(`The built-in role catalog has no '${role}'.`);
    return [role, def];
  }),
) as Record<Role, BuiltInRole>;

export function roleOfGuid(guid: string): Role | undefined {
  const name = builtInRoleOfGuid(guid)?.roleName;
  return roles.find((role) => role === name);
}

/** A built-in role's definition as seen from `scope` (its id is under the scope, as ARM answers). */
export function roleDefinition(scope: string, role: Role): RoleDefinition {
  const def = builtInRoles[role];
  return {
    id: `${scope}/providers/${ROLE_DEFINITION_TYPE}/${def.guid}`,
    name: def.guid,
    type: ROLE_DEFINITION_TYPE,
    properties: {
      roleName: role,
      type: 'BuiltInRole',
      description: def.description,
      assignableScopes: ['/'],
      permissions: [{ actions: [...def.actions], notActions: [...def.notActions], dataActions: [], notDataActions: [] }],
    },
  };
}

/** The role a `roleDefinitionId` names: `/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}`, `/providers/...`, or the bare GUID. */
export function roleOfDefinitionId(roleDefinitionId: string): Role | undefined {
  const trimmed = roleDefinitionId.trim();
  if (/^[0-9a-fA-F-]{36}$/.test(trimmed)) return roleOfGuid(trimmed);
  const match = /^(.*)\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-fA-F-]{36})$/i.exec(trimmed);
  if (!match || (match[1] !== '' && !parseScope(match[1]))) return undefined;
  return roleOfGuid(match[2]);
}

export function invalidRoleDefinition(roleDefinitionId: string): ArmError {
  return new ArmError(
    400,
    'InvalidRoleDefinitionId',
    `The role definition ID '${roleDefinitionId.slice(0, 300)}' is not valid. Berth knows the built-in roles Owner (${builtInRoles.Owner.guid}), Contributor (${builtInRoles.Contributor.guid}) and Reader (${builtInRoles.Reader.guid}).`,
  );
}

/** Every role assignment, in id order. */
export async function allRoleAssignments(db: Db, subscriptionId?: string): Promise<RoleAssignment[]> {
  const out: RoleAssignment[] = [];
  let after: string | undefined;
  for (;;) {
    const found = await roleAssignments.list(db, subscriptionId ? { subscriptionKey: subscriptionId.toLowerCase() } : {}, { after, limit: 500 });
    out.push(...found.map((f) => f.body));
    if (found.length < 500) return out;
    after = found[found.length - 1].row.id_key;
  }
}

/** An assignment as a grant: its role at its scope. */
export function grantOf(assignment: RoleAssignment): Grant | undefined {
  const role = roleOfDefinitionId(assignment.properties.roleDefinitionId);
  const scope = parseScope(assignment.properties.scope);
  return role && scope ? { scope: scope.path, role } : undefined;
}

/** The grants of a principal's role assignments. */
export async function assignedGrants(db: Db, principalId: string): Promise<Grant[]> {
  const key = principalId.toLowerCase();
  return (await allRoleAssignments(db)).filter((a) => a.properties.principalId.toLowerCase() === key).flatMap((a) => grantOf(a) ?? []);
}

/** 404 unless the scope's subscription, resource group and resource exist. */
export async function requireScope(db: Db, scope: ParsedScope): Promise<void> {
  if (!(await getSubscription(db, scope.subscriptionId))) {
    throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${scope.subscriptionId}' could not be found.`);
  }
  if (scope.resourceGroup !== undefined) await requireResourceGroup(db, scope.subscriptionId, scope.resourceGroup);
  if (scope.resourceId !== undefined && !(await getResource(db, idKey(scope.resourceId)))) {
    throw new ArmError(404, 'ResourceNotFound', `The resource '${scope.resourceId}' could not be found.`);
  }
}

export function roleAssignmentId(scope: string, name: string): string {
  return `${scope}/providers/${ROLE_ASSIGNMENT_TYPE}/${name}`;
}

export interface NewAssignment {
  scope: ParsedScope;
  name?: string;
  role: Role;
  principalId: string;
  principalType?: string;
  description?: string;
  /** Who makes it: a principal id or a token's name. */
  by: string;
}

/**
 * Creates a role assignment (the principal must be a service principal; the scope must exist).
 * Answers the stored body and whether it is new: the same name with the same principal and role
 * answers the existing one; another name with the same principal, role and scope is 409 `RoleAssignmentExists`.
 */
export async function createRoleAssignment(db: Db, a: NewAssignment): Promise<{ body: RoleAssignment; created: boolean }> {
  const sp = await findServicePrincipalByObjectId(db, a.principalId);
  if (!sp) {
    throw new ArmError(
      400,
      'PrincipalNotFound',
      `Principal ${a.principalId.slice(0, 64)} does not exist in the directory. Give a service principal's object id (berth ad sp list shows it).`,
    );
  }
  await requireScope(db, a.scope);
  const name = (a.name ?? randomUUID()).toLowerCase();
  const id = roleAssignmentId(a.scope.canonical, name);
  const guid = builtInRoles[a.role].guid;
  const existing = await roleAssignments.get(db, idKey(id));
  const same = (body: RoleAssignment) =>
    body.properties.principalId.toLowerCase() === sp.object_id && roleOfDefinitionId(body.properties.roleDefinitionId) === a.role;
  if (existing) {
    if (same(existing.body)) return { body: existing.body, created: false };
    throw new ArmError(
      400,
      'RoleAssignmentUpdateNotPermitted',
      `The role assignment '${name}' exists with another principal or role; role assignments cannot be updated. Delete it first, or choose another name.`,
    );
  }
  const scopeKey = a.scope.path.join('/');
  const duplicate = (await allRoleAssignments(db, a.scope.subscriptionId)).find((b) => same(b) && parseScope(b.properties.scope)?.path.join('/') === scopeKey);
  if (duplicate) {
    throw new ArmError(409, 'RoleAssignmentExists', `The role assignment already exists. The ID of the existing role assignment is ${duplicate.name}.`);
  }
  const now = new Date().toISOString();
  const body: RoleAssignment = {
    id,
    name,
    type: ROLE_ASSIGNMENT_TYPE,
    properties: {
      scope: a.scope.canonical,
      roleDefinitionId: `/subscriptions/${a.scope.subscriptionId}/providers/${ROLE_DEFINITION_TYPE}/${guid}`,
      principalId: sp.object_id,
      principalType: 'ServicePrincipal',
      ...(a.description !== undefined ? { description: a.description } : {}),
      createdOn: now,
      updatedOn: now,
      createdBy: a.by,
      updatedBy: a.by,
    },
  };
  try {
    await roleAssignments.insert(db, { id, parentId: a.scope.canonical, body, now });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const raced = await roleAssignments.get(db, idKey(id));
    if (raced && same(raced.body)) return { body: raced.body, created: false };
    throw new ArmError(409, 'RoleAssignmentExists', `The role assignment '${name}' already exists.`);
  }
  return { body, created: true };
}
