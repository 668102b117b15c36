/** What a reconcile that succeeded asks for next. */
export interface ReconcileResult {
  /** Run again after this long: waiting for something outside, or a periodic resync. */
  requeueAfterMs?: number;
}

export interface WorkQueueOptions {
  /** Reads all current state for the key and converges. Throwing = retry with backoff; returning {requeueAfterMs} = run again after that (failures reset). */
  reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void>;
  /** Adds within this window share one reconcile (debounce). Default 0. */
  debounceMs?: number;
  /** Exponential backoff after failures: baseMs * 2^(failures-1), capped at maxMs. Defaults 100 / 30_000. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Keys with the same group never reconcile at the same time (e.g. one cluster's keys); different groups run concurrently. Default: each key its own group. */
  groupOf?(key: string): string;
  /** Called on each failed reconcile, with the attempt count and the delay before the retry. */
  onError?(key: string, error: unknown, failures: number, retryInMs: number): void;
}

/** A key is in the map while it is pending, running, or both (added again while running). */
interface Entry {
  /** Pending: when it should run. Its timer is gone once due; it then waits only for its group. */
  dueAt?: number;
  timer?: NodeJS.Timeout;
  /** Running (from before the reconcile is called, so an add from inside it counts as one during the run): what aborts it at shutdown. */
  controller?: AbortController;
  run?: Promise<void>;
  /** Added while running: when to run again once the current run ends. */
  dirtyAt?: number;
  failures: number;
}

/**
 * A controller-runtime style queue of keys to reconcile. Reconciles are
 * level-triggered (they read current state), so a key only needs to be known
 * as "may have changed": adds are merged, a key never runs concurrently with
 * itself, and one added during its run runs once more afterwards.
 */
export class WorkQueue {
  private readonly reconcile: WorkQueueOptions['reconcile'];
  private readonly debounceMs: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly groupOf: (key: string) => string;
  private readonly onError?: WorkQueueOptions['onError'];
  private readonly entries = new Map<string, Entry>();
  private readonly runningGroups = new Set<string>();
  /** Per group, the keys that came due while the group was busy, in the order they did. */
  private readonly ready = new Map<string, string[]>();
  private readonly idleWaiters: Array<() => void> = [];
  private closed: Promise<void> | undefined;

  constructor(options: WorkQueueOptions) {
    this.reconcile = options.reconcile;
    this.debounceMs = options.debounceMs ?? 0;
    this.baseMs = options.backoff?.baseMs ?? 100;
    this.maxMs = options.backoff?.maxMs ?? 30_000;
    this.groupOf = options.groupOf ?? ((key) => key);
    this.onError = options.onError;
  }

  /**
   * Schedules a reconcile of key in `delayMs` (default `debounceMs`), unless it
   * is already due sooner: adds never postpone a pending run, so a stream of
   * adds cannot starve a key and an event is not held back by a later resync.
   * A key that is running is marked dirty instead, and runs once more after.
   */
  add(key: string, options: { delayMs?: number } = {}): void {
    if (this.closed) return;
    const at = Date.now() + (options.delayMs ?? this.debounceMs);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { failures: 0 };
      this.entries.set(key, entry);
    }
    if (entry.controller) entry.dirtyAt = Math.min(entry.dirtyAt ?? Infinity, at);
    else this.schedule(key, entry, at);
  }

  /** Drops a pending key (and a re-run marked while it runs) and its failure count; a running reconcile is neither aborted nor kept from requeueing itself. */
  forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.dueAt = undefined;
    entry.dirtyAt = undefined;
    entry.failures = 0;
    const group = this.groupOf(key);
    const waiting = this.ready.get(group)?.filter((k) => k !== key);
    if (waiting?.length) this.ready.set(group, waiting);
    else this.ready.delete(group);
    if (!entry.controller) this.remove(key);
  }

  /** Keys pending or running. */
  get size(): number {
    return this.entries.size;
  }

  /** Resolves when nothing is pending or running (for tests and shutdown). */
  idle(): Promise<void> {
    if (this.entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting keys, clears timers, aborts the signal of running reconciles and awaits them. Idempotent. */
  shutdown(): Promise<void> {
    if (!this.closed) {
      const running = [...this.entries.values()].flatMap((entry) => (entry.run ? [entry.run] : []));
      // Set before aborting: whatever an abort listener adds is already refused.
      this.closed = Promise.allSettled(running).then(() => undefined);
      for (const [key, entry] of this.entries) {
        clearTimeout(entry.timer);
        if (entry.controller) entry.controller.abort(new Error('the work queue is shutting down'));
        else this.remove(key);
      }
      this.ready.clear();
    }
    return this.closed;
  }

  private schedule(key: string, entry: Entry, at: number): void {
    if (entry.dueAt !== undefined && entry.dueAt <= at) return;
    clearTimeout(entry.timer);
    entry.dueAt = at;
    entry.timer = setTimeout(
      () => {
        entry.timer = undefined;
        const group = this.groupOf(key);
        if (!this.runningGroups.has(group)) this.start(key, entry, group);
        else this.ready.set(group, [...(this.ready.get(group) ?? []), key]);
      },
      Math.max(0, at - Date.now()),
    );
  }

  private start(key: string, entry: Entry, group: string): void {
    entry.dueAt = undefined;
    entry.controller = new AbortController();
    this.runningGroups.add(group);
    entry.run = this.runOnce(key, entry, group, entry.controller.signal);
  }

  private async runOnce(key: string, entry: Entry, group: string, signal: AbortSignal): Promise<void> {
    let nextAt: number | undefined;
    let failed: { error: unknown } | undefined;
    try {
      const result = await this.reconcile(key, signal);
      entry.failures = 0;
      if (result?.requeueAfterMs !== undefined) nextAt = Date.now() + result.requeueAfterMs;
    } catch (error) {
      entry.failures++;
      failed = { error };
      nextAt = Date.now() + Math.min(this.maxMs, this.baseMs * 2 ** (entry.failures - 1));
    }
    entry.run = undefined;
    entry.controller = undefined;
    this.runningGroups.delete(group);
    // A re-run asked for during the run may come before the requeue or retry; it never adds a second one.
    if (entry.dirtyAt !== undefined) nextAt = Math.min(nextAt ?? Infinity, entry.dirtyAt);
    entry.dirtyAt = undefined;
    if (this.closed || nextAt === undefined) this.remove(key);
    else this.schedule(key, entry, nextAt);
    const waiting = this.ready.get(group);
    if (waiting) {
      const next = waiting.shift()!;
      if (waiting.length === 0) this.ready.delete(group);
      this.start(next, this.entries.get(next)!, group);
    }
    // After a shutdown no retry follows, and the failure is usually the abort itself.
    if (failed && !this.closed) this.onError?.(key, failed.error, entry.failures, Math.max(0, nextAt! - Date.now()));
  }

  private remove(key: string): void {
    this.entries.delete(key);
    if (this.entries.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
