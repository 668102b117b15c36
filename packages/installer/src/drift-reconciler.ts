import { Watch } from '@kubernetes/client-node';
import { NAMESPACE } from './constants.js';
import { applyInstall, computeSelector } from './apply.js';
import { ClusterClient } from './cluster-client.js';
import type { InstallSpec } from './install-spec.js';

export interface DriftTarget {
  spec: InstallSpec;
  kubeconfig: string;
}

export interface DriftLog {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
}

export interface DriftReconcilerOptions {
  /** A full reconcile this often, whatever the watches saw (catches missed events). Default 30 s. */
  resyncIntervalMs?: number;
  /** Events within this window share one reconcile. Default 200 ms. */
  debounceMs?: number;
  log?: DriftLog;
  /** Called when a reconcile changed something: drift was reverted (or the install completed). */
  onReverted?(computeId: string, changed: string[]): void;
  /** Each watch is ended by the server after this long and started again. Default 290 s. */
  watchTimeoutSeconds?: number;
}

/** The namespaced collections whose changes trigger a reconcile. */
const WATCHED = [
  { name: 'deployments', path: `/apis/apps/v1/namespaces/${NAMESPACE}/deployments` },
  { name: 'services', path: `/api/v1/namespaces/${NAMESPACE}/services` },
  { name: 'configmaps', path: `/api/v1/namespaces/${NAMESPACE}/configmaps` },
  { name: 'secrets', path: `/api/v1/namespaces/${NAMESPACE}/secrets` },
];

/** A watch that ended cleanly restarts after this; one that failed backs off from here up to MAX_BACKOFF_MS. */
const WATCH_RESTART_MS = 250;
const RETRY_BASE_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** Watches are re-established this often even when nothing goes wrong. */
const DEFAULT_WATCH_TIMEOUT_S = 290;

const backoff = (failures: number) => Math.min(MAX_BACKOFF_MS, RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
const quiet: DriftLog = { info() {}, warn() {} };

interface WatchHandle {
  name: string;
  controller?: AbortController;
  restartTimer?: NodeJS.Timeout;
  failures: number;
}

interface Tracked {
  computeId: string;
  target: DriftTarget;
  client: ClusterClient;
  abort: AbortController;
  stopped: boolean;
  timer?: NodeJS.Timeout;
  dueAt?: number;
  resync?: NodeJS.Timeout;
  running?: Promise<void>;
  /** An event arrived while a reconcile ran: run again after it. */
  dirty: boolean;
  failures: number;
  watches: WatchHandle[];
  /** The reconcile of the target this one replaced, if still running: never two at once. */
  previous?: Promise<void>;
}

const keyOf = (computeId: string) => computeId.trim().toLowerCase();

/**
 * Keeps each tracked compute's front end as desired (R12): watches its
 * Deployment, Service, ConfigMaps and Secrets; any event schedules a debounced
 * `install`; a periodic resync runs one too; failures retry with backoff.
 * Reconciles are level-triggered, so which event came (or whether one was
 * missed) doesn't matter.
 */
export class DriftReconciler {
  private readonly resyncIntervalMs: number;
  private readonly debounceMs: number;
  private readonly watchTimeoutSeconds: number;
  private readonly log: DriftLog;
  private readonly onReverted?: (computeId: string, changed: string[]) => void;
  private readonly tracked = new Map<string, Tracked>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(options: DriftReconcilerOptions = {}) {
    this.resyncIntervalMs = options.resyncIntervalMs ?? 30_000;
    this.debounceMs = options.debounceMs ?? 200;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_S;
    this.log = options.log ?? quiet;
    this.onReverted = options.onReverted;
  }

  /** Starts (or replaces) the watches and resync of this compute. */
  track(target: DriftTarget): void {
    if (this.stopped) throw new Error('the drift reconciler is stopped');
    const key = keyOf(target.spec.computeId);
    const abort = new AbortController();
    const client = new ClusterClient(target.kubeconfig, { signal: abort.signal });
    const before = this.tracked.get(key);
    if (before) this.halt(before);
    const t: Tracked = {
      computeId: target.spec.computeId,
      target,
      client,
      abort,
      stopped: false,
      dirty: false,
      failures: 0,
      watches: [],
      previous: before?.running,
    };
    this.tracked.set(key, t);
    const watch = new Watch(t.client.kubeConfig);
    for (const w of WATCHED) {
      const handle: WatchHandle = { name: w.name, failures: 0 };
      t.watches.push(handle);
      this.startWatch(t, watch, w.path, handle);
    }
    t.resync = setInterval(() => this.schedule(t, 0), this.resyncIntervalMs);
    t.resync.unref();
    this.schedule(t, this.debounceMs);
  }

  /** Stops the compute's watches; an in-flight reconcile is aborted, and the promise settles once it has ended. */
  untrack(computeId: string): Promise<void> {
    const key = keyOf(computeId);
    const t = this.tracked.get(key);
    if (!t) return Promise.resolve();
    this.tracked.delete(key);
    this.halt(t, true);
    return t.running ? t.running.catch(() => undefined) : Promise.resolve();
  }

  /** Stops everything and waits for in-flight reconciles to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.tracked.values()) this.halt(t);
    this.tracked.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private halt(t: Tracked, abortRunning = false): void {
    t.stopped = true;
    clearTimeout(t.timer);
    clearInterval(t.resync);
    for (const w of t.watches) {
      clearTimeout(w.restartTimer);
      w.controller?.abort();
    }
    if (abortRunning) t.abort.abort(new Error(`stopped tracking compute ${t.computeId}`));
  }

  private startWatch(t: Tracked, watch: Watch, path: string, handle: WatchHandle): void {
    if (t.stopped) return;
    let sawEvent = false;
    const done = (err: unknown) => {
      handle.controller = undefined;
      if (t.stopped) return;
      handle.failures = err && !sawEvent ? handle.failures + 1 : 0;
      if (err) this.log.warn({ computeId: t.computeId, watch: handle.name, err: String((err as Error)?.message ?? err) }, 'watch failed; restarting');
      handle.restartTimer = setTimeout(() => this.startWatch(t, watch, path, handle), handle.failures === 0 ? WATCH_RESTART_MS : backoff(handle.failures));
    };
    const onEvent = (phase: string) => {
      sawEvent = true;
      if (phase === 'BOOKMARK') return;
      this.schedule(t, this.debounceMs);
    };
    watch
      .watch(path, { labelSelector: computeSelector(t.computeId), allowWatchBookmarks: true, timeoutSeconds: this.watchTimeoutSeconds }, onEvent, done)
      .then((controller) => {
        if (t.stopped) controller.abort();
        else handle.controller = controller;
      })
      .catch(done);
  }

  /** Runs a reconcile in `delayMs`, unless one is already due sooner. */
  private schedule(t: Tracked, delayMs: number): void {
    if (t.stopped) return;
    const due = Date.now() + delayMs;
    if (t.timer !== undefined && t.dueAt !== undefined && t.dueAt <= due) return;
    clearTimeout(t.timer);
    t.dueAt = due;
    t.timer = setTimeout(() => {
      t.timer = undefined;
      t.dueAt = undefined;
      this.run(t);
    }, delayMs);
  }

  private run(t: Tracked): void {
    if (t.stopped) return;
    if (t.running) {
      t.dirty = true;
      return;
    }
    const run: Promise<void> = this.reconcile(t).finally(() => {
      t.running = undefined;
      this.inFlight.delete(run);
      if (t.dirty && !t.stopped) {
        t.dirty = false;
        this.schedule(t, this.debounceMs);
      }
    });
    t.running = run;
    this.inFlight.add(run);
  }

  /** One reconcile: install, report what changed; on failure, retry with backoff. Never throws. */
  private async reconcile(t: Tracked): Promise<void> {
    try {
      await t.previous?.catch(() => undefined);
      t.previous = undefined;
      if (t.stopped) return;
      const { changed } = await applyInstall(t.client, t.target.spec);
      t.failures = 0;
      if (changed.length > 0) {
        this.log.info({ computeId: t.computeId, changed }, 'reverted drift of the inference front end');
        try {
          this.onReverted?.(t.computeId, changed);
        } catch (err) {
          this.log.warn({ computeId: t.computeId, err: String(err) }, 'onReverted threw');
        }
      }
    } catch (err) {
      if (t.stopped) return;
      t.failures++;
      const delay = backoff(t.failures);
      this.log.warn({ computeId: t.computeId, err: (err as Error)?.message ?? String(err), retryInMs: delay }, 'reconcile of the inference front end failed; retrying');
      this.schedule(t, delay);
    }
  }
}
