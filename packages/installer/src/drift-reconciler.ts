import type { Watch } from '@kubernetes/client-node';
import { WorkQueue, type ReconcileResult } from '@berth/work-queue';
import { NAMESPACE, SCORING_SERVICE_LABEL } from './constants.js';
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
  /**
   * What the compute (its id lower-cased) should have installed, and its admin
   * kubeconfig, as stored now; read afresh by every reconcile. `undefined` when
   * the compute is gone or not installed (being created, updated or removed):
   * its watches stop and it is forgotten until reconciled again.
   */
  loadSpec(computeId: string): Promise<DriftTarget | undefined>;
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

const RBAC_V1 = '/apis/rbac.authorization.k8s.io/v1';

/**
 * The collections whose changes trigger a reconcile: the compute's objects (by its label), and the scoring
 * Services of every namespace, whose key Secrets the front end is granted (`scoringServices`).
 */
const WATCHED: Array<{ name: string; path: string; scoringServices?: true }> = [
  { name: 'deployments', path: `/apis/apps/v1/namespaces/${NAMESPACE}/deployments` },
  { name: 'services', path: `/api/v1/namespaces/${NAMESPACE}/services` },
  { name: 'configmaps', path: `/api/v1/namespaces/${NAMESPACE}/configmaps` },
  { name: 'secrets', path: `/api/v1/namespaces/${NAMESPACE}/secrets` },
  { name: 'clusterroles', path: `${RBAC_V1}/clusterroles` },
  { name: 'roles', path: `${RBAC_V1}/roles` },
  { name: 'scoring-services', path: '/api/v1/services', scoringServices: true },
];

/** Failed reconciles (through the queue) and failed watches back off alike: 0.5 s doubling up to 30 s. */
const BACKOFF = { baseMs: 500, maxMs: 30_000 };
const backoff = (failures: number) => Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** (failures - 1));
/** A watch that ended cleanly (the server's timeout) restarts after this. */
const WATCH_RESTART_MS = 250;
/** Watches are re-established this often even when nothing goes wrong. */
const DEFAULT_WATCH_TIMEOUT_S = 290;

const quiet: DriftLog = { info() {}, warn() {} };
const message = (err: unknown) => (err as Error)?.message ?? String(err);
const keyOf = (computeId: string) => computeId.trim().toLowerCase();

interface WatchHandle {
  name: string;
  controller?: AbortController;
  restartTimer?: NodeJS.Timeout;
  failures: number;
}

/** The watches of one compute, on one cluster. */
interface Watching {
  kubeconfig: string;
  handles: WatchHandle[];
  stopped: boolean;
}

/**
 * Keeps each installed compute's front end as desired (R12). A reconcile of a
 * compute reads its spec (`loadSpec`), starts or stops its watches (WATCHED)
 * to match, and applies the install; it runs when `reconcile(computeId)` says the compute may have
 * changed, when a watch sees an event, and every `resyncIntervalMs`. Events
 * are debounced, failures retry with backoff, one compute never has two
 * reconciles at once: the work queue's rules. Reconciles are level-triggered,
 * so which event came (or whether one was missed) doesn't matter.
 */
export class DriftReconciler {
  private readonly loadSpec: DriftReconcilerOptions['loadSpec'];
  private readonly resyncIntervalMs: number;
  private readonly watchTimeoutSeconds: number;
  private readonly log: DriftLog;
  private readonly onReverted?: (computeId: string, changed: string[]) => void;
  private readonly queue: WorkQueue;
  private readonly watching = new Map<string, Watching>();
  /** Per compute, the reconcile() callers waiting for a reconcile that reads the compute after their call. */
  private readonly waiters = new Map<string, Array<() => void>>();
  /** Per compute, what aborts its running reconcile once reconcile() says its state changed. */
  private readonly superseded = new Map<string, AbortController>();
  private stopped = false;

  constructor(options: DriftReconcilerOptions) {
    this.loadSpec = options.loadSpec;
    this.resyncIntervalMs = options.resyncIntervalMs ?? 30_000;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_S;
    this.log = options.log ?? quiet;
    this.onReverted = options.onReverted;
    this.queue = new WorkQueue({
      reconcile: (key, signal) => this.reconcileNow(key, signal),
      debounceMs: options.debounceMs ?? 200,
      backoff: BACKOFF,
      onError: (key, err, failures, retryInMs) =>
        this.log.warn({ computeId: key, err: message(err), failures, retryInMs }, 'reconcile of the inference front end failed; retrying'),
    });
  }

  /**
   * Says the compute may have changed (created, updated, being removed): it is
   * read again at once (watch events wait `debounceMs`, to share a reconcile;
   * an operation step awaiting this should not), and an apply under way for it, which may be
   * of what is now stale, is aborted. Resolves once a reconcile that read the
   * compute after this call has ended, successful or not, so no apply of an
   * older state still runs: await it before uninstalling.
   */
  reconcile(computeId: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const key = keyOf(computeId);
    const read = new Promise<void>((resolve) => this.waiters.set(key, [...(this.waiters.get(key) ?? []), resolve]));
    this.superseded.get(key)?.abort(new Error(`compute ${computeId} changed`));
    this.queue.add(key, { delayMs: 0 });
    return read;
  }

  /** Stops everything and waits for in-flight reconciles to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue.shutdown();
    for (const key of [...this.watching.keys()]) this.unwatch(key);
    for (const resolve of [...this.waiters.values()].flat()) resolve();
    this.waiters.clear();
  }

  /** One reconcile: read the compute, match the watches to it, install, report what changed. */
  private async reconcileNow(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const waiting = this.waiters.get(key) ?? [];
    this.waiters.delete(key);
    const superseded = new AbortController();
    this.superseded.set(key, superseded);
    try {
      const target = await this.loadSpec(key);
      if (!target) {
        this.unwatch(key);
        return;
      }
      const client = await ClusterClient.open(target.kubeconfig, { signal: AbortSignal.any([signal, superseded.signal]) });
      this.watch(key, target.kubeconfig, client);
      const { changed } = await applyInstall(client, target.spec);
      if (changed.length > 0) {
        this.log.info({ computeId: target.spec.computeId, changed }, 'reverted drift of the inference front end');
        try {
          this.onReverted?.(target.spec.computeId, changed);
        } catch (err) {
          this.log.warn({ computeId: target.spec.computeId, err: String(err) }, 'onReverted threw');
        }
      }
      return { requeueAfterMs: this.resyncIntervalMs };
    } catch (err) {
      // Aborted by reconcile(), which queued the run that reads the compute again: not a failure.
      if (superseded.signal.aborted) return;
      throw err;
    } finally {
      this.superseded.delete(key);
      for (const resolve of waiting) resolve();
    }
  }

  /** Starts the compute's watches, or moves them to a new kubeconfig. */
  private watch(key: string, kubeconfig: string, client: ClusterClient): void {
    if (this.watching.get(key)?.kubeconfig === kubeconfig) return;
    this.unwatch(key);
    const w: Watching = { kubeconfig, handles: [], stopped: false };
    const watch = new client.k8s.Watch(client.kubeConfig);
    this.watching.set(key, w);
    for (const { name, path, scoringServices } of WATCHED) {
      const handle: WatchHandle = { name, failures: 0 };
      w.handles.push(handle);
      this.startWatch(key, w, watch, path, scoringServices ? SCORING_SERVICE_LABEL : computeSelector(key), handle);
    }
  }

  private unwatch(key: string): void {
    const w = this.watching.get(key);
    if (!w) return;
    this.watching.delete(key);
    w.stopped = true;
    for (const handle of w.handles) {
      clearTimeout(handle.restartTimer);
      handle.controller?.abort();
    }
  }

  private startWatch(key: string, w: Watching, watch: Watch, path: string, labelSelector: string, handle: WatchHandle): void {
    if (w.stopped) return;
    let sawEvent = false;
    const done = (err: unknown) => {
      handle.controller = undefined;
      if (w.stopped) return;
      handle.failures = err && !sawEvent ? handle.failures + 1 : 0;
      if (err) this.log.warn({ computeId: key, watch: handle.name, err: message(err) }, 'watch failed; restarting');
      handle.restartTimer = setTimeout(
        () => this.startWatch(key, w, watch, path, labelSelector, handle),
        handle.failures === 0 ? WATCH_RESTART_MS : backoff(handle.failures),
      );
    };
    const onEvent = (phase: string) => {
      sawEvent = true;
      if (phase !== 'BOOKMARK') this.queue.add(key);
    };
    watch
      .watch(path, { labelSelector, allowWatchBookmarks: true, timeoutSeconds: this.watchTimeoutSeconds }, onEvent, done)
      .then((controller) => {
        if (w.stopped) controller.abort();
        else handle.controller = controller;
      })
      .catch(done);
  }
}
