import { randomUUID } from 'node:crypto';
import { findToken, insertSubscription, insertToken, isUniqueViolation, listSubscriptions, type Db } from '@berth/store';
import { hashToken } from './roles.js';
import { nowIso } from './arm-http.js';

/**
 * First-start state: one subscription, and the admin token (Owner of every
 * subscription) registered by hash. Safe to run on every start.
 */
export async function bootstrapStore(db: Db, adminToken: string): Promise<void> {
  const hash = hashToken(adminToken);
  if (!(await findToken(db, hash))) {
    try {
      await insertToken(db, { hash, name: 'admin', roles: JSON.stringify({ '*': 'Owner' }), created_at: nowIso() });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  if ((await listSubscriptions(db)).length === 0) {
    await insertSubscription(db, {
      subscription_id: randomUUID(),
      display_name: 'Berth local subscription',
      state: 'Enabled',
      tenant_id: randomUUID(),
      alias: null,
      created_at: nowIso(),
    });
  }
}
