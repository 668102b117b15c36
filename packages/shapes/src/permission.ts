import { Type, type Static } from '@sinclair/typebox';

/** What a principal may do at a scope, one entry per role that applies there (`Permission` of @azure/arm-authorization). */
export const Permission = Type.Object({
  actions: Type.Array(Type.String()),
  notActions: Type.Array(Type.String()),
  dataActions: Type.Array(Type.String()),
  notDataActions: Type.Array(Type.String()),
});
export type Permission = Static<typeof Permission>;

/** `GET {scope}/providers/Microsoft.Authorization/permissions` (`PermissionGetResult`). */
export const PermissionList = Type.Object({ value: Type.Array(Permission), nextLink: Type.Optional(Type.String()) });
