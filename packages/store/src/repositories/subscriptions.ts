import type { Db } from '../connect.js';
import type { NewSubscription, SubscriptionRow } from '../tables/subscriptions.table.js';

export async function insertSubscription(db: Db, row: NewSubscription): Promise<void> {
  await db.insertInto('subscriptions').values(row).execute();
}

export async function getSubscription(db: Db, subscriptionId: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('subscriptions').selectAll().where('subscription_id', '=', subscriptionId.toLowerCase()).executeTakeFirst();
}

export async function getSubscriptionByAlias(db: Db, alias: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('subscriptions').selectAll().where('alias', '=', alias.toLowerCase()).executeTakeFirst();
}

export async function listSubscriptions(db: Db): Promise<SubscriptionRow[]> {
  return db.selectFrom('subscriptions').selectAll().orderBy('created_at').orderBy('subscription_id').execute();
}
