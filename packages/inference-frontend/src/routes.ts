// The route table: scoring service name → its settings and ready endpoints, kept from the
// Kubernetes API (Services labelled berth.dev/scoring-service, their EndpointSlices, auth Secrets).
import type { FrontEndConfig } from './config.js';
import { Informer, KubeError, type KubeClient, type KubeObject } from './kube.js';
import { log } from './log.js';

/** Labels and annotations azureml-fe reads (see the package README). */
export const SCORING_SERVICE_LABEL = 'berth.dev/scoring-service';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const ANNOTATIONS = {
  requestTimeoutMs: 'berth.dev/request-timeout-ms',
  maxConcurrentRequests: 'berth.dev/max-concurrent-requests',
  maxQueuedRequests: 'berth.dev/max-queued-requests',
  authSecret: 'berth.dev/auth-secret',
} as const;

export interface Endpoint {
  /** `host:port`, also the access log's `upstream`. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** Requests in flight to it. */
  active: number;
}

/** A request waiting for an endpoint with room. */
export interface Waiter {
  grant(endpoint: Endpoint): void;
  /** The service lost its last ready endpoint while this request waited. */
  noEndpoint(): void;
  queued: boolean;
}

export class ServiceRoute {
  endpoints: Endpoint[] = [];
  timeoutMs: number;
  maxConcurrent: number;
  maxQueued: number;
  /** undefined: no key needed; a Set (maybe empty while the Secret is unread or missing): the keys accepted. */
  keys: Set<string> | undefined;
  authSecret: string | undefined;
  namespace = '';
  private next = 0;
  readonly queue: Waiter[] = [];
  private queueHead = 0;

  constructor(
    readonly name: string,
    defaults: FrontEndConfig,
  ) {
    this.timeoutMs = defaults.scoringTimeoutMs;
    this.maxConcurrent = defaults.maxConcurrentRequests;
    this.maxQueued = defaults.maxQueuedRequests;
  }

  get queueDepth(): number {
    return this.queue.length - this.queueHead;
  }

  /** Round robin over ready endpoints with room; `except` is skipped (a retry goes elsewhere). */
  pick(except?: Endpoint): Endpoint | undefined {
    const list = this.endpoints;
    const n = list.length;
    for (let i = 0; i < n; i++) {
      const e = list[(this.next + i) % n]!;
      if (e.active < this.maxConcurrent && e !== except) {
        this.next = (this.next + i + 1) % n;
        return e;
      }
    }
    return undefined;
  }

  enqueue(waiter: Waiter): boolean {
    if (this.queueDepth >= this.maxQueued) return false;
    waiter.queued = true;
    this.queue.push(waiter);
    return true;
  }

  /** Hands endpoints with room to waiting requests, oldest first. */
  dispatch(): void {
    if (this.endpoints.length === 0) {
      const waiting = this.queue.slice(this.queueHead);
      this.queue.length = 0;
      this.queueHead = 0;
      for (const waiter of waiting) {
        if (!waiter.queued) continue;
        waiter.queued = false;
        waiter.noEndpoint();
      }
      return;
    }
    while (this.queueHead < this.queue.length) {
      const waiter = this.queue[this.queueHead]!;
      if (!waiter.queued) {
        this.queueHead++;
        continue;
      }
      const e = this.pick();
      if (!e) break;
      this.queueHead++;
      waiter.queued = false;
      waiter.grant(e);
    }
    if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Marks a waiter gone (its client left or it timed out); it is skipped when reached. */
  cancel(waiter: Waiter): void {
    waiter.queued = false;
  }
}

export interface RouteTable {
  get(name: string): ServiceRoute | undefined;
  all(): Iterable<ServiceRoute>;
  ready(): boolean;
  stop(): void;
}

function parseAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

/** STATIC_ROUTES: a fixed table for tests and benchmarks, no Kubernetes API. */
export function staticRouteTable(config: FrontEndConfig, routes: Record<string, string[]>): RouteTable {
  const table = new Map<string, ServiceRoute>();
  for (const [name, addresses] of Object.entries(routes)) {
    const route = new ServiceRoute(name, config);
    route.endpoints = addresses.map((address) => ({ address, ...parseAddress(address), active: 0 }));
    table.set(name, route);
  }
  return { get: (n) => table.get(n), all: () => table.values(), ready: () => true, stop() {} };
}

function positiveInt(value: string | undefined, fallback: number, what: string, service: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (Number.isInteger(n) && n >= 0) return n;
  log('warn', 'ignoring an invalid annotation', { service, annotation: what, value });
  return fallback;
}

/** Discovery from the Kubernetes API: two informers and a timer for the auth Secrets. */
export class KubeRouteTable implements RouteTable {
  private readonly routes = new Map<string, ServiceRoute>();
  private readonly services: Informer;
  private readonly slices: Informer;
  /** `namespace/secret` → keys, for the Secrets services name in berth.dev/auth-secret. */
  private readonly secrets = new Map<string, Set<string>>();
  /** The keys of `secrets` read at least once (found or not). */
  private readonly secretsRead = new Set<string>();
  private readonly secretTimer: NodeJS.Timeout;
  private rebuildScheduled = false;
  private wasReady = false;

  constructor(
    private readonly client: KubeClient,
    private readonly config: FrontEndConfig,
  ) {
    const onChange = () => this.scheduleRebuild();
    this.services = new Informer(client, `/api/v1/services?labelSelector=${encodeURIComponent(SCORING_SERVICE_LABEL)}`, onChange);
    this.slices = new Informer(client, `/apis/discovery.k8s.io/v1/endpointslices?labelSelector=${encodeURIComponent(SERVICE_NAME_LABEL)}`, onChange);
    this.services.start();
    this.slices.start();
    this.secretTimer = setInterval(() => void this.refreshSecrets(), config.authRefreshMs);
    this.secretTimer.unref();
  }

  get(name: string): ServiceRoute | undefined {
    return this.routes.get(name);
  }

  all(): Iterable<ServiceRoute> {
    return this.routes.values();
  }

  /**
   * Services and EndpointSlices listed, and every auth Secret they name read once (so no valid key meets a 401 at
   * start). Once true it stays true: a Secret named later must not take every router out of its Service at once.
   */
  ready(): boolean {
    if (!this.wasReady) this.wasReady = this.services.synced && this.slices.synced && this.secretsRead.size >= this.secrets.size;
    return this.wasReady;
  }

  stop(): void {
    this.services.stop();
    this.slices.stop();
    clearInterval(this.secretTimer);
  }

  private scheduleRebuild(): void {
    if (this.rebuildScheduled) return;
    this.rebuildScheduled = true;
    // Events come in bursts (a list is many); rebuild once per burst.
    queueMicrotask(() => {
      this.rebuildScheduled = false;
      this.rebuild();
    });
  }

  private rebuild(): void {
    const slicesByService = new Map<string, KubeObject[]>();
    for (const slice of this.slices.items.values()) {
      const key = `${slice.metadata.namespace}/${slice.metadata.labels?.[SERVICE_NAME_LABEL]}`;
      const list = slicesByService.get(key);
      if (list) list.push(slice);
      else slicesByService.set(key, [slice]);
    }
    const seen = new Set<string>();
    // Oldest first, so that if two namespaces claim the same scoring name the first one keeps it.
    const services = [...this.services.items.values()].sort((a, b) =>
      String(a.metadata.creationTimestamp ?? '').localeCompare(String(b.metadata.creationTimestamp ?? '')),
    );
    for (const svc of services) {
      const name = svc.metadata.labels?.[SCORING_SERVICE_LABEL];
      if (!name) continue;
      if (seen.has(name)) {
        log('warn', 'two Services claim one scoring name; the older one serves it', { name, ignored: `${svc.metadata.namespace}/${svc.metadata.name}` });
        continue;
      }
      seen.add(name);
      let route = this.routes.get(name);
      if (!route) {
        route = new ServiceRoute(name, this.config);
        this.routes.set(name, route);
      }
      this.apply(route, svc, slicesByService.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? []);
    }
    for (const [name, route] of this.routes) {
      if (seen.has(name)) continue;
      this.routes.delete(name);
      route.endpoints = [];
      route.dispatch();
    }
  }

  private apply(route: ServiceRoute, svc: KubeObject, slices: KubeObject[]): void {
    const a = svc.metadata.annotations ?? {};
    const ns = svc.metadata.namespace ?? 'default';
    route.namespace = ns;
    route.timeoutMs =
      positiveInt(a[ANNOTATIONS.requestTimeoutMs], this.config.scoringTimeoutMs, ANNOTATIONS.requestTimeoutMs, route.name) || this.config.scoringTimeoutMs;
    route.maxConcurrent =
      positiveInt(a[ANNOTATIONS.maxConcurrentRequests], this.config.maxConcurrentRequests, ANNOTATIONS.maxConcurrentRequests, route.name) ||
      this.config.maxConcurrentRequests;
    route.maxQueued = positiveInt(a[ANNOTATIONS.maxQueuedRequests], this.config.maxQueuedRequests, ANNOTATIONS.maxQueuedRequests, route.name);
    const secret = a[ANNOTATIONS.authSecret] || undefined;
    route.authSecret = secret;
    if (secret) {
      const key = `${ns}/${secret}`;
      if (!this.secrets.has(key)) {
        this.secrets.set(key, new Set());
        void this.refreshSecret(key);
      }
      route.keys = this.secrets.get(key);
    } else route.keys = undefined;

    const portName: string | undefined = svc.spec?.ports?.[0]?.name;
    // Keep the Endpoint objects of addresses that stay, so their in-flight counts stay right.
    const previous = new Map(route.endpoints.map((e) => [e.address, e]));
    const endpoints: Endpoint[] = [];
    for (const slice of slices) {
      const ports: any[] = slice.ports ?? [];
      const port = (portName !== undefined && ports.find((p) => p.name === portName)) || ports[0];
      if (!port?.port) continue;
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false) continue;
        for (const host of ep.addresses ?? []) {
          const address = host.includes(':') ? `[${host}]:${port.port}` : `${host}:${port.port}`;
          if (endpoints.some((e) => e.address === address)) continue;
          endpoints.push(previous.get(address) ?? { address, host, port: port.port, active: 0 });
        }
      }
    }
    route.endpoints = endpoints;
    route.dispatch();
  }

  private async refreshSecrets(): Promise<void> {
    const used = new Set<string>();
    for (const route of this.routes.values()) if (route.authSecret) used.add(`${route.namespace}/${route.authSecret}`);
    for (const key of this.secrets.keys()) {
      if (used.has(key)) continue;
      this.secrets.delete(key);
      this.secretsRead.delete(key);
    }
    await Promise.all([...used].map((key) => this.refreshSecret(key)));
  }

  private async refreshSecret(key: string): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    let keys: string[] = [];
    try {
      const secret = await this.client.get(`/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(name)}`);
      keys = Object.values((secret.data ?? {}) as Record<string, string>).map((v) => Buffer.from(v, 'base64').toString('utf8').trim());
      if (secret.stringData) keys.push(...Object.values(secret.stringData as Record<string, string>));
    } catch (err) {
      // A missing or unreadable Secret accepts no key (fail closed).
      if (!(err instanceof KubeError && err.status === 404)) log('warn', 'cannot read an auth Secret', { secret: key, error: String(err) });
    }
    const set = this.secrets.get(key);
    if (!set) return;
    this.secretsRead.add(key);
    // Update in place: routes hold this Set.
    for (const k of set) if (!keys.includes(k)) set.delete(k);
    for (const k of keys) if (k) set.add(k);
  }
}
