import { Type, type Static } from '@sinclair/typebox';

export const Subscription = Type.Object({
  id: Type.String(),
  subscriptionId: Type.String(),
  tenantId: Type.String(),
  displayName: Type.String(),
  state: Type.String(),
  authorizationSource: Type.String(),
  managedByTenants: Type.Array(Type.Object({ tenantId: Type.String() })),
  subscriptionPolicies: Type.Object({ locationPlacementId: Type.String(), quotaId: Type.String(), spendingLimit: Type.String() }),
});
export type Subscription = Static<typeof Subscription>;
