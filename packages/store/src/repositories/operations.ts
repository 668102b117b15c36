import type { Db } from '../connect.js';
import type { NewOperation, OperationRow, OperationUpdate } from '../tables/operations.table.js';

export async function insertOperation(db: Db, row: NewOperation): Promise<void> {
  await db.insertInto('operations').values(row).execute();
}

export async function getOperation(db: Db, id: string): Promise<OperationRow | undefined> {
  return db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The operation still in progress on a resource, if any. */
export async function findActiveOperation(db: Db, resourceId: string): Promise<OperationRow | undefined> {
  return db.selectFrom('operations').selectAll().where('resource_id', '=', resourceId).where('status', '=', 'InProgress').executeTakeFirst();
}

/**
 * Claims up to `limit` runnable operations for `owner` until `leaseUntil`. A
 * claim is a conditional update, so two processes on one database never hold
 * the same operation, and an expired lease (a dead process) is taken over.
 */
export async function claimOperations(db: Db, owner: string, now: string, leaseUntil: string, limit: number): Promise<OperationRow[]> {
  const candidates = await db
    .selectFrom('operations')
    .select(['id', 'lease_until'])
    .where('status', '=', 'InProgress')
    .where('next_run_at', '<=', now)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .orderBy('next_run_at')
    .limit(limit)
    .execute();
  const claimed: OperationRow[] = [];
  for (const candidate of candidates) {
    let update = db
      .updateTable('operations')
      .set({ lease_owner: owner, lease_until: leaseUntil })
      .where('id', '=', candidate.id)
      .where('status', '=', 'InProgress');
    update = candidate.lease_until === null ? update.where('lease_until', 'is', null) : update.where('lease_until', '=', candidate.lease_until);
    const result = await update.executeTakeFirst();
    if (result.numUpdatedRows > 0n) {
      const row = await getOperation(db, candidate.id);
      if (row) claimed.push(row);
    }
  }
  return claimed;
}

export async function renewLeases(db: Db, owner: string, ids: string[], leaseUntil: string): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('operations').set({ lease_until: leaseUntil }).where('lease_owner', '=', owner).where('id', 'in', ids).execute();
}

/** Saves a step's outcome; only the lease holder may, so a process that lost its lease changes nothing. */
export async function saveOperation(db: Db, id: string, owner: string, update: OperationUpdate): Promise<boolean> {
  const result = await db.updateTable('operations').set(update).where('id', '=', id).where('lease_owner', '=', owner).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
