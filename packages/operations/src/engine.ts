import { randomUUID } from 'node:crypto';
import { ArmError, type ArmErrorDetail } from '@berth/arm';
import {
  claimOperations,
  findActiveOperation,
  getOperation,
  insertOperation,
  renewLeases,
  saveOperation,
  type Db,
  type OperationRow,
  type OperationStepRecord,
} from '@berth/store';
import { WorkQueue } from '@berth/work-queue';

/** What one step of an operation decided. */
export type StepResult =
  /** Go on with `step` (after `afterMs`, default at once), saving `data`. */
  | { next: string; data?: unknown; afterMs?: number }
  /** The operation succeeded. */
  | { done: true }
  /** The operation failed for a reason the user must act on; no retry. */
  | { failed: ArmErrorDetail };

export interface StepContext<TData = unknown> {
  operation: OperationRow;
  step: string;
  data: TData;
  db: Db;
  /** 1 for a step's first run, higher on retries. */
  attempt: number;
  /** Aborts when the step has run too long; a step that hangs is retried like one that failed. */
  signal: AbortSignal;
}

/**
 * The code behind one kind of operation. Each step reads current state, does one
 * idempotent action and says what comes next, so replaying a step after a crash
 * changes nothing.
 */
export interface OperationHandler<TData = unknown> {
  kind: string;
  run(ctx: StepContext<TData>): Promise<StepResult>;
  /** Records a terminal failure on the resource (e.g. `provisioningState: Failed`). */
  onFailed?(ctx: StepContext<TData>, error: ArmErrorDetail): Promise<void>;
}

export interface EngineOptions {
  db: Db;
  /** How long a claim lasts without renewal; a dead process's work is taken over after it. */
  leaseMs?: number;
  pollIntervalMs?: number;
  concurrency?: number;
  /** Retries of a step that throws an unexpected error, with exponential backoff, before the operation fails. */
  maxAttempts?: number;
  /** How long one step may run before it is aborted and retried. */
  stepTimeoutMs?: number;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface BeginOptions {
  kind: string;
  resourceId: string;
  subscriptionId: string;
  step: string;
  data?: unknown;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The record of an operation's steps once it moves on to `next`, or ends, at `now`: the current step ends with it. */
function stepsAfter(steps: string, now: string, change: { next: string } | { end: 'Succeeded' | 'Failed' }): string {
  const record = JSON.parse(steps) as OperationStepRecord[];
  const current = record.at(-1);
  if (current?.status === 'InProgress') Object.assign(current, { endTime: now, status: 'next' in change ? 'Succeeded' : change.end });
  if ('next' in change) record.push({ name: change.next, startTime: now, status: 'InProgress' });
  return JSON.stringify(record);
}

/** The queue key of the regular look for due rows, whoever wrote them. */
const POLL = 'poll';

/**
 * How long is left of a wait of `delayMs` counted from the operation's start
 * (e.g. simulated provisioning): it survives a restart, unlike a timer.
 */
export function remainingSinceStart(operation: { start_time: string }, delayMs: number): number {
  return Math.max(0, Date.parse(operation.start_time) + delayMs - Date.now());
}

/** Runs persisted operations with leases: several processes on one database share the work. */
export class OperationsEngine {
  readonly owner = randomUUID();
  private readonly db: Db;
  private readonly handlers = new Map<string, OperationHandler<any>>();
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly stepTimeoutMs: number;
  private readonly log: NonNullable<EngineOptions['log']>;
  private readonly running = new Map<string, Promise<void>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping = false;
  private queue: WorkQueue;

  constructor(options: EngineOptions) {
    this.db = options.db;
    this.leaseMs = options.leaseMs ?? 5000;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.concurrency = options.concurrency ?? 16;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.stepTimeoutMs = options.stepTimeoutMs ?? 60_000;
    this.log = options.log ?? { warn: () => {}, error: () => {} };
    this.queue = this.claimQueue();
  }

  register(handler: OperationHandler<any>): void {
    this.handlers.set(handler.kind, handler);
  }

  start(): void {
    // A stopped engine's queue is shut down for good: starting again needs a new one.
    if (this.stopping) this.queue = this.claimQueue();
    this.stopping = false;
    this.queue.add(POLL);
    this.heartbeat = setInterval(
      () => {
        renewLeases(this.db, this.owner, [...this.running.keys()], iso(Date.now() + this.leaseMs)).catch((err) =>
          this.log.error({ err }, 'renewing operation leases failed'),
        );
      },
      Math.max(100, Math.floor(this.leaseMs / 3)),
    );
    this.heartbeat.unref();
  }

  /** Stops claiming work, lets running steps finish, and releases their leases so another process resumes at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.queue.shutdown();
    await Promise.allSettled([...this.running.values()]);
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  /**
   * Persists a new operation and wakes the worker. Given `trx`, the operation is
   * written in that transaction (with the resource it works on, so a crash leaves
   * both or neither) and the caller calls `kick()` once it commits.
   */
  async begin(options: BeginOptions, trx?: Db): Promise<OperationRow> {
    const now = iso(Date.now());
    const row: OperationRow = {
      id: randomUUID(),
      kind: options.kind,
      resource_id: options.resourceId,
      subscription_key: options.subscriptionId.toLowerCase(),
      status: 'InProgress',
      step: options.step,
      data: JSON.stringify(options.data ?? {}),
      attempt: 0,
      next_run_at: now,
      lease_owner: null,
      lease_until: null,
      error: null,
      start_time: now,
      end_time: null,
      steps: JSON.stringify([{ name: options.step, startTime: now, status: 'InProgress' } satisfies OperationStepRecord]),
    };
    await insertOperation(trx ?? this.db, row);
    if (!trx) this.kick();
    return row;
  }

  get(id: string): Promise<OperationRow | undefined> {
    return getOperation(this.db, id);
  }

  active(resourceId: string): Promise<OperationRow | undefined> {
    return findActiveOperation(this.db, resourceId);
  }

  /** Looks for due operations now (again right after, when a look is under way). */
  kick(): void {
    this.queue.add(POLL);
  }

  /**
   * When this process looks for due rows: every poll interval (rows other
   * processes wrote or gave up), at once when kicked, and when a row it
   * released after a wait or a failed step comes due (keyed by operation id).
   * Every key does the same claim, and all share one group, so claims never
   * overlap. A failed claim is tried again after the poll interval. The rows
   * stay the truth: what is due, and each step's retry backoff, is in them, so
   * other processes and a restart see it.
   */
  private claimQueue(): WorkQueue {
    return new WorkQueue({
      reconcile: async (key) => {
        const claimedAt = await this.claimAndRun();
        if (key === POLL) return { requeueAfterMs: this.pollIntervalMs };
        // With every slot taken, the next operation to finish kicks a new look.
        if (claimedAt === undefined) return undefined;
        // A timer may fire a millisecond before the row's due time (timers and the wall clock differ): a row
        // that was not yet due when the claim looked is looked at again when it is, rather than left for the
        // next poll. Measured against the claim's own clock: it may be due by the time this reads it.
        const row = await getOperation(this.db, key);
        const notYetDue = row && row.status === 'InProgress' && !row.lease_owner && Date.parse(row.next_run_at) > claimedAt;
        return notYetDue ? { requeueAfterMs: Math.max(1, Date.parse(row.next_run_at) - Date.now() + 1) } : undefined;
      },
      groupOf: () => 'claim',
      backoff: { baseMs: this.pollIntervalMs, maxMs: this.pollIntervalMs },
      onError: (_key, err) => this.log.error({ err }, 'claiming operations failed'),
    });
  }

  /** Claims what is due and runs it; returns the time the claim counted as now, or undefined when every slot is taken. */
  private async claimAndRun(): Promise<number | undefined> {
    const free = this.concurrency - this.running.size;
    if (free <= 0) return undefined;
    const now = Date.now();
    const claimed = await claimOperations(this.db, this.owner, iso(now), iso(now + this.leaseMs), free);
    for (const operation of claimed) {
      const run = this.drive(operation).finally(() => {
        this.running.delete(operation.id);
        this.kick();
      });
      this.running.set(operation.id, run);
    }
    return now;
  }

  /** Runs an operation's steps while it holds the lease and they follow each other without a wait. */
  private async drive(initial: OperationRow): Promise<void> {
    let operation = initial;
    const handler = this.handlers.get(operation.kind);
    if (!handler) {
      // Another version of Berth may know this kind: leave it for that process.
      await saveOperation(this.db, operation.id, this.owner, { lease_owner: null, lease_until: null, next_run_at: iso(Date.now() + this.leaseMs) });
      this.log.warn({ operationId: operation.id, kind: operation.kind }, 'no handler for operation kind');
      return;
    }
    for (;;) {
      const ctx: StepContext = {
        operation,
        step: operation.step,
        data: JSON.parse(operation.data),
        db: this.db,
        attempt: operation.attempt + 1,
        signal: AbortSignal.timeout(this.stepTimeoutMs),
      };
      let result: StepResult;
      try {
        result = await handler.run(ctx);
      } catch (err) {
        result = this.onThrow(operation, err);
        if ('next' in result && result.next === operation.step) {
          const saved = await saveOperation(this.db, operation.id, this.owner, {
            attempt: operation.attempt + 1,
            next_run_at: iso(Date.now() + (result.afterMs ?? 0)),
            lease_owner: null,
            lease_until: null,
          });
          if (!saved) this.log.warn({ operationId: operation.id }, 'lost the lease of an operation');
          else this.queue.add(operation.id, { delayMs: result.afterMs });
          return;
        }
      }
      if ('failed' in result) {
        await handler.onFailed?.(ctx, result.failed);
        await this.finish(operation, 'Failed', result.failed);
        return;
      }
      if ('done' in result) {
        await this.finish(operation, 'Succeeded');
        return;
      }
      const afterMs = result.afterMs ?? 0;
      const data = result.data === undefined ? operation.data : JSON.stringify(result.data);
      const continueNow = afterMs <= 0 && !this.stopping;
      const moves = result.next !== operation.step;
      const update = {
        step: result.next,
        data,
        attempt: moves ? 0 : operation.attempt,
        next_run_at: iso(Date.now() + afterMs),
        ...(moves ? { steps: stepsAfter(operation.steps, iso(Date.now()), { next: result.next }) } : {}),
        ...(continueNow ? {} : { lease_owner: null, lease_until: null }),
      };
      if (!(await saveOperation(this.db, operation.id, this.owner, update))) {
        this.log.warn({ operationId: operation.id }, 'lost the lease of an operation');
        return;
      }
      if (!continueNow) {
        this.queue.add(operation.id, { delayMs: afterMs });
        return;
      }
      operation = { ...operation, ...update };
    }
  }

  private onThrow(operation: OperationRow, err: unknown): StepResult {
    if (err instanceof ArmError) return { failed: err.toDetail() };
    const attempt = operation.attempt + 1;
    if (attempt >= this.maxAttempts) {
      return {
        failed: {
          code: 'InternalOperationError',
          message: `Step '${operation.step}' failed ${attempt} times; the last error was: ${(err as Error)?.message ?? String(err)}`,
        },
      };
    }
    this.log.warn({ operationId: operation.id, step: operation.step, attempt, err }, 'operation step failed; retrying');
    return { next: operation.step, afterMs: Math.min(30_000, 200 * 2 ** attempt) };
  }

  private async finish(operation: OperationRow, status: 'Succeeded' | 'Failed', error?: ArmErrorDetail): Promise<void> {
    const now = iso(Date.now());
    await saveOperation(this.db, operation.id, this.owner, {
      status,
      error: error ? JSON.stringify(error) : null,
      end_time: now,
      steps: stepsAfter(operation.steps, now, { end: status }),
      lease_owner: null,
      lease_until: null,
    });
  }
}
