import { Type, type Static } from '@sinclair/typebox';

/** A role assignment's name: a GUID the client chooses, as ARM requires. */
export const RoleAssignmentName = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  description: 'A GUID chosen by the client.',
});

export const PrincipalType = Type.Union(['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'].map((t) => Type.Literal(t)));

/** What `PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{name}` accepts (`RoleAssignmentCreateParameters`). */
export const RoleAssignmentPut = Type.Object({
  properties: Type.Object({
    roleDefinitionId: Type.String({ minLength: 1, maxLength: 400 }),
    principalId: Type.String({ minLength: 1, maxLength: 64 }),
    principalType: Type.Optional(PrincipalType),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    // Read-only properties a client may echo back; ignored.
    scope: Type.Optional(Type.String({ maxLength: 2000 })),
  }),
});
export type RoleAssignmentPut = Static<typeof RoleAssignmentPut>;

/** A role assignment, stored and returned (`RoleAssignment` of @azure/arm-authorization). */
export const RoleAssignment = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  properties: Type.Object({
    scope: Type.String(),
    roleDefinitionId: Type.String(),
    principalId: Type.String(),
    principalType: Type.String(),
    description: Type.Optional(Type.String()),
    createdOn: Type.String(),
    updatedOn: Type.String(),
    createdBy: Type.String(),
    updatedBy: Type.String(),
  }),
});
export type RoleAssignment = Static<typeof RoleAssignment>;

export const RoleAssignmentList = Type.Object({ value: Type.Array(RoleAssignment), nextLink: Type.Optional(Type.String()) });

/** A built-in role definition (`RoleDefinition` of @azure/arm-authorization). */
export const RoleDefinition = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  properties: Type.Object({
    roleName: Type.String(),
    type: Type.String(),
    description: Type.String(),
    assignableScopes: Type.Array(Type.String()),
    permissions: Type.Array(
      Type.Object({
        actions: Type.Array(Type.String()),
        notActions: Type.Array(Type.String()),
        dataActions: Type.Array(Type.String()),
        notDataActions: Type.Array(Type.String()),
      }),
    ),
  }),
});
export type RoleDefinition = Static<typeof RoleDefinition>;

export const RoleDefinitionList = Type.Object({ value: Type.Array(RoleDefinition), nextLink: Type.Optional(Type.String()) });
