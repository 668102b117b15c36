import { Type, type Static } from '@sinclair/typebox';

export const PolicyAssignmentName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^<>*%&:\\\\?.+/]+$' });

export const PolicyAssignmentPut = Type.Object({
  location: Type.Optional(Type.String()),
  properties: Type.Object({
    policyDefinitionId: Type.String({ minLength: 1 }),
    displayName: Type.Optional(Type.String({ maxLength: 128 })),
    description: Type.Optional(Type.String()),
    enforcementMode: Type.Optional(Type.Union([Type.Literal('Default'), Type.Literal('DoNotEnforce')])),
    notScopes: Type.Optional(Type.Array(Type.String())),
    parameters: Type.Optional(Type.Record(Type.String(), Type.Object({ value: Type.Unknown() }))),
  }),
});
export type PolicyAssignmentPut = Static<typeof PolicyAssignmentPut>;

/** A subscription-scope assignment of the built-in "Not allowed resource types" policy, stored and returned. */
export const PolicyAssignment = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  properties: Type.Object({
    displayName: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    policyDefinitionId: Type.String(),
    scope: Type.String(),
    notScopes: Type.Array(Type.String()),
    parameters: Type.Object({ listOfResourceTypesNotAllowed: Type.Object({ value: Type.Array(Type.String()) }) }),
    enforcementMode: Type.String(),
  }),
});
export type PolicyAssignment = Static<typeof PolicyAssignment>;

export const PolicyAssignmentList = Type.Object({ value: Type.Array(PolicyAssignment), nextLink: Type.Optional(Type.String()) });
