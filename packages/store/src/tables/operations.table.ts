import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/** A long-running operation, saved after every step so a restart resumes it. */
export interface OperationsTable {
  id: string;
  kind: string;
  /** The resource the operation works on (its id as the client sent it). */
  resource_id: string;
  subscription_key: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';
  step: string;
  /** The step's JSON state. */
  data: string;
  attempt: number;
  next_run_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  /** JSON `{code,message,details?}` once Failed. */
  error: string | null;
  start_time: string;
  end_time: string | null;
  /** JSON `OperationStepRecord[]`: the steps gone through, in order; the last is the current one while InProgress. */
  steps: ColumnType<string, string | undefined, string>;
}

/** One step an operation went through. Waits and retries within a step are the same step. */
export interface OperationStepRecord {
  name: string;
  startTime: string;
  endTime?: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
}
export type OperationRow = Selectable<OperationsTable>;
export type NewOperation = Insertable<OperationsTable>;
export type OperationUpdate = Updateable<OperationsTable>;
