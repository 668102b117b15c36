import type { Insertable, Selectable } from 'kysely';

export interface SubscriptionsTable {
  subscription_id: string;
  display_name: string;
  state: string;
  tenant_id: string;
  /** Name given through `Microsoft.Subscription/aliases`, when created that way. */
  alias: string | null;
  created_at: string;
}
export type SubscriptionRow = Selectable<SubscriptionsTable>;
export type NewSubscription = Insertable<SubscriptionsTable>;
