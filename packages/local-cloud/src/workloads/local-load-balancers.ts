import net from 'node:net';
import type { KubeObject } from '../kube/kube-object.js';
import type { KubeObjectStore, ObjectChange } from '../kube/object-store.js';
import { resourceTypeByKey } from '../kube/resource-types.js';
import { SERVICE_NAME_LABEL } from '../kube/controllers/endpoint-slices.js';

const SLICES = resourceTypeByKey('discovery.k8s.io/endpointslices');

/** Where a LoadBalancer Service's ports are served on this machine: `http://127.0.0.1:P` or `https://127.0.0.1:P`, comma-separated, one per port. */
export const LOCAL_ENDPOINTS_ANNOTATION = 'berth.dev/local-endpoints';

interface ServicePort {
  name?: string;
  port: number;
}

interface Listener {
  server: net.Server;
  port: number;
  /** The Service port it serves, by name (or number when unnamed). */
  portKey: string;
  sockets: Set<net.Socket>;
}

interface Slice {
  endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean } }>;
  ports?: Array<{ name?: string; port?: number }>;
}

const serviceKey = (clusterId: string, namespace: string, name: string) => `${clusterId}/${namespace}/${name}`;
const portKeyOf = (p: ServicePort) => p.name || String(p.port);
const isLoopback = (ip: string) => /^127\./.test(ip);

/** `https` for a port named or numbered as HTTPS, `http` otherwise. */
const schemeOf = (p: ServicePort) => (p.port === 443 || /https|tls/i.test(p.name ?? '') ? 'https' : 'http');

/** The local port of each of a Service's ports, from its annotation: what it was served on before Berth restarted. */
function previousPorts(service: KubeObject, ports: ServicePort[]): Array<number | undefined> {
  const urls = (service.metadata.annotations?.[LOCAL_ENDPOINTS_ANNOTATION] ?? '').split(',');
  return ports.map((_, i) => {
    const match = /^https?:\/\/127\.0\.0\.1:(\d+)$/.exec(urls[i]?.trim() ?? '');
    return match ? Number(match[1]) : undefined;
  });
}

function listenOn(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => reject(err);
    server.once('error', failed);
    server.listen({ host: '127.0.0.1', port }, () => {
      server.off('error', failed);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/**
 * The local cloud's load balancers made reachable: each Service port is also
 * served on a loopback port, forwarding TCP to the Service's ready endpoints from
 * its EndpointSlices, round robin. A LoadBalancer Service's ports are published
 * in its annotation and kept across restarts; the others are what workloads'
 * `<NAME>_SERVICE_HOST` / `_PORT` variables name. Only loopback endpoints (pods the
 * workload runtime runs) are ever connected to; a simulated pod's cloud-like address never is.
 */
/** Takes a client's connection for a pod's address and port, if it can: true when it did. */
export type HandOver = (host: string, port: number, client: net.Socket) => boolean;

export class LocalLoadBalancers {
  private readonly listeners = new Map<string, Listener[]>();
  private readonly backends = new Map<string, Map<string, string[]>>();
  private readonly turns = new Map<string, number>();
  private readonly onChange = (change: ObjectChange) => this.observe(change);
  private handOver: HandOver = () => false;

  constructor(private readonly store: KubeObjectStore) {}

  /** Lets the workload runtime take connections for the pods it serves itself (their bridges) instead of a TCP hop. */
  handOverTo(handOver: HandOver): void {
    this.handOver = handOver;
  }

  start(): void {
    this.store.on('change', this.onChange);
  }

  async stop(): Promise<void> {
    this.store.off('change', this.onChange);
    await Promise.all([...this.listeners.keys()].map((key) => this.close(key)));
  }

  async stopCluster(clusterId: string): Promise<void> {
    await Promise.all([...this.listeners.keys()].filter((k) => k.startsWith(`${clusterId}/`)).map((key) => this.close(key)));
  }

  /**
   * Serves a LoadBalancer Service's ports locally and returns their URLs, in port order:
   * on the ports its annotation names when they are free, on new ones otherwise.
   */
  async serve(clusterId: string, service: KubeObject): Promise<string[]> {
    const { namespace, name } = service.metadata;
    const key = serviceKey(clusterId, namespace!, name!);
    const ports = ((service.spec as { ports?: ServicePort[] }).ports ?? []) as ServicePort[];
    const current = this.listeners.get(key) ?? [];
    const wanted = new Set(ports.map(portKeyOf));
    for (const stale of current.filter((l) => !wanted.has(l.portKey))) this.closeListener(stale);
    const previous = previousPorts(service, ports);
    const listeners: Listener[] = [];
    for (const [i, p] of ports.entries()) {
      const existing = current.find((l) => l.portKey === portKeyOf(p));
      listeners.push(existing ?? (await this.open(key, portKeyOf(p), previous[i])));
    }
    this.listeners.set(key, listeners);
    if (!this.backends.has(key)) await this.refreshBackends(clusterId, namespace!, name!);
    return ports.map((p, i) => `${schemeOf(p)}://127.0.0.1:${listeners[i].port}`);
  }

  /**
   * Where a namespace's Services are served on this machine, for the `<NAME>_SERVICE_HOST` / `_PORT`
   * variables of the pods that start there: each Service port's name, number and local port.
   */
  servicePorts(clusterId: string, namespace: string): Array<{ service: string; ports: Array<{ name: string; localPort: number }> }> {
    const prefix = `${clusterId}/${namespace}/`;
    return [...this.listeners.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, listeners]) => ({ service: key.slice(prefix.length), ports: listeners.map((l) => ({ name: l.portKey, localPort: l.port })) }));
  }

  /** Whether one of a cluster's Services is served on this local port: what its pods may connect to. */
  servesPort(clusterId: string, port: number): boolean {
    for (const [key, listeners] of this.listeners) if (key.startsWith(`${clusterId}/`) && listeners.some((l) => l.port === port)) return true;
    return false;
  }

  /** Stops serving a Service that is gone or no longer served. */
  async close(key: string): Promise<void> {
    for (const l of this.listeners.get(key) ?? []) this.closeListener(l);
    this.listeners.delete(key);
    this.backends.delete(key);
  }

  private closeListener(l: Listener): void {
    l.server.close();
    for (const s of l.sockets) s.destroy();
  }

  private async open(key: string, portKey: string, preferred: number | undefined): Promise<Listener> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => this.forward(key, portKey, socket, sockets));
    let port: number;
    try {
      port = await listenOn(server, preferred ?? 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || preferred === undefined) throw err;
      port = await listenOn(server, 0);
    }
    return { server, port, portKey, sockets };
  }

  /** Connects a client to a ready endpoint; one that refuses is passed over for the next, as a load balancer's health probe would. */
  private forward(key: string, portKey: string, client: net.Socket, sockets: Set<net.Socket>): void {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const targets = this.backends.get(key)?.get(portKey) ?? [];
    const turn = this.turns.get(key) ?? 0;
    this.turns.set(key, turn + 1);
    const attempt = (n: number) => {
      if (n >= targets.length || client.destroyed) return client.destroy();
      const [host, port] = targets[(turn + n) % targets.length].split(':');
      if (this.handOver(host, Number(port), client)) return;
      const upstream = net.connect({ host, port: Number(port) });
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        upstream.setNoDelay(true);
        client.setNoDelay(true);
        client.pipe(upstream).on('error', () => client.destroy());
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      upstream.on('error', () => {
        if (!connected) attempt(n + 1);
        else client.destroy();
      });
    };
    attempt(0);
  }

  private observe(change: ObjectChange): void {
    if (change.resource !== SLICES) return;
    const service = change.object.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!service || !this.listeners.has(serviceKey(change.clusterId, change.namespace, service))) return;
    void this.refreshBackends(change.clusterId, change.namespace, service).catch(() => undefined);
  }

  /** Ready loopback endpoints of a Service, by its port's name, from its EndpointSlices. */
  private async refreshBackends(clusterId: string, namespace: string, name: string): Promise<void> {
    const slices = (await this.store.list(clusterId, SLICES, namespace)).items.filter(
      (s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name,
    ) as unknown as Slice[];
    const byPort = new Map<string, string[]>();
    for (const slice of slices) {
      for (const port of slice.ports ?? []) {
        if (port.port === undefined) continue;
        const ready = (slice.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses ?? []);
        const targets = ready.filter(isLoopback).map((ip) => `${ip}:${port.port}`);
        const portKey = port.name ?? '';
        byPort.set(portKey, [...(byPort.get(portKey) ?? []), ...targets]);
      }
    }
    const key = serviceKey(clusterId, namespace, name);
    const listeners = this.listeners.get(key);
    if (!listeners) return;
    // Slice ports carry the Service port's name; an unnamed port is keyed by its number on the Service side.
    const resolved = new Map<string, string[]>();
    for (const l of listeners) resolved.set(l.portKey, byPort.get(l.portKey) ?? byPort.get('') ?? []);
    this.backends.set(key, resolved);
  }
}
