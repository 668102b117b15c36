import { chmod, rm } from 'node:fs/promises';
import net from 'node:net';

/** The longest request line a pod may send on its bridge: a verb, an address and a port. */
const MAX_LINE = 300;
/** How long a bridge connection may take to say what it is for, and a pod to take a connection it was offered. */
const LINE_TIMEOUT_MS = 10_000;
/** Ports one pod may serve on its address. */
const MAX_LISTENERS = 64;
/** Bridged connections one pod may hold open at once, each way. */
const MAX_CONNECTIONS = 1024;

/** Whether a pod may connect to this loopback address and port. */
export type EgressPolicy = (host: string, port: number) => boolean;

/** Where a connection comes from, as the pod that takes it is told. */
interface Peer {
  address: string;
  port: number;
}

/**
 * The bridges of the pods this `berth up` runs, by pod address: a connection from one of them (or from a
 * Service's local port) to another is handed from bridge to bridge, not relayed through loopback TCP.
 */
export type BridgeDirectory = (podIp: string) => PodNetworkBridge | undefined;

interface Exposure {
  server: net.Server;
  control: net.Socket;
}

/**
 * Berth's side of a sandboxed pod's network (see pod-network.ts): one Unix socket
 * in the pod's folder, the only way in or out of its network namespace.
 * - `CONNECT <host> <port>`: Berth connects from the pod's address, if the policy
 *   allows the destination, and pipes; otherwise it closes the socket.
 * - `LISTEN <port>`: Berth listens on the pod's own address and port (no other:
 *   a pod cannot take another's address), for as long as this connection stays
 *   open, and offers each connection there with `ACCEPT <id> <address> <port>`.
 * - `ACCEPTED <id>`: the bridge connection that takes offered connection `id`.
 */
export class PodNetworkBridge {
  private readonly server = net.createServer((socket) => this.request(socket));
  private readonly exposures = new Map<number, Exposure>();
  private readonly offered = new Map<string, { socket: net.Socket; timer: NodeJS.Timeout; head: Buffer }>();
  private readonly sockets = new Set<net.Socket>();
  private nextId = 0;

  constructor(
    private readonly podIp: string,
    readonly path: string,
    private readonly allows: EgressPolicy,
    private readonly bridges: BridgeDirectory,
    private readonly log?: { warn(obj: object, msg: string): void },
  ) {}

  /**
   * Takes a connection for one of this pod's ports as if it had come to its address from `from` (with
   * `head`, bytes already read from it): false, and the connection untouched, if the pod serves no such port.
   */
  take(port: number, client: net.Socket, from: Peer, head: Buffer = Buffer.alloc(0)): boolean {
    const exposure = this.exposures.get(port);
    if (!exposure) return false;
    this.offer(exposure.control, client, from, head);
    return true;
  }

  async start(): Promise<void> {
    await rm(this.path, { force: true });
    await new Promise<void>((resolve, reject) => this.server.once('error', reject).listen(this.path, () => resolve()));
    // The pod's processes run as another user where Berth is root: they may connect, not replace it (its folder is Berth's).
    await chmod(this.path, 0o666);
  }

  async stop(): Promise<void> {
    for (const { server } of this.exposures.values()) server.close();
    this.exposures.clear();
    for (const { socket, timer } of this.offered.values()) {
      clearTimeout(timer);
      socket.destroy();
    }
    this.offered.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.path, { force: true });
  }

  private track(socket: net.Socket): boolean {
    if (this.sockets.size >= MAX_CONNECTIONS) {
      socket.destroy();
      return false;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    return true;
  }

  /** Reads a bridge connection's request line (bounded in length and time), then serves it. */
  private request(socket: net.Socket): void {
    if (!this.track(socket)) return;
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), LINE_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(10);
      if (end < 0) {
        if (head.length > MAX_LINE) socket.destroy();
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      const rest = head.subarray(end + 1);
      const [verb, ...words] = head.subarray(0, end).toString('latin1').split(' ');
      if (verb === 'CONNECT' && words.length === 2) this.egress(socket, words[0], words[1], rest);
      else if (verb === 'LISTEN' && words.length === 1) this.listen(socket, words[0]);
      else if (verb === 'ACCEPTED' && words.length === 1) this.accepted(socket, words[0], rest);
      else socket.destroy();
    };
    socket.on('data', onData);
    socket.once('close', () => clearTimeout(timer));
  }

  private egress(socket: net.Socket, hostWord: string, portWord: string, rest: Buffer): void {
    const host = hostWord === 'localhost' ? '127.0.0.1' : hostWord;
    const port = /^\d{1,5}$/.test(portWord) ? Number(portWord) : 0;
    if (!net.isIP(host) || port < 1 || port > 65535 || !this.allows(host, port)) return void socket.destroy();
    if (this.bridges(host)?.take(port, socket, { address: this.podIp, port: 0 }, rest)) return;
    const upstream = net.connect({ host, port, ...(net.isIPv4(host) ? { localAddress: this.podIp } : {}) });
    if (!this.track(upstream)) return void socket.destroy();
    upstream.once('connect', () => {
      upstream.setNoDelay(true);
      if (rest.length) upstream.write(rest);
      pipeBoth(socket, upstream);
    });
    upstream.once('close', () => socket.destroy());
    socket.once('close', () => upstream.destroy());
  }

  private listen(control: net.Socket, portWord: string): void {
    const port = /^\d{1,5}$/.test(portWord) ? Number(portWord) : 0;
    if (port < 1 || port > 65535 || this.exposures.has(port) || this.exposures.size >= MAX_LISTENERS) return void control.destroy();
    const server = net.createServer({ pauseOnConnect: true }, (client) =>
      this.offer(control, client, { address: client.remoteAddress ?? '', port: client.remotePort ?? 0 }),
    );
    const exposure = { server, control };
    this.exposures.set(port, exposure);
    server.on('error', (err) => {
      this.log?.warn({ err, podIp: this.podIp, port }, "could not serve a pod's port on its address");
      control.destroy();
    });
    server.listen(port, this.podIp);
    control.resume();
    // Anything the pod sends after LISTEN is ignored; its closing ends the listener.
    control.on('data', () => undefined);
    control.once('close', () => {
      if (this.exposures.get(port) === exposure) this.exposures.delete(port);
      server.close();
    });
  }

  private offer(control: net.Socket, client: net.Socket, from: Peer, head: Buffer = Buffer.alloc(0)): void {
    if (!this.track(client)) return;
    const id = String(++this.nextId);
    const timer = setTimeout(() => {
      this.offered.delete(id);
      client.destroy();
    }, LINE_TIMEOUT_MS);
    this.offered.set(id, { socket: client, timer, head });
    client.once('close', () => {
      clearTimeout(timer);
      this.offered.delete(id);
    });
    control.write(`ACCEPT ${id} ${from.address} ${from.port}\n`);
  }

  private accepted(socket: net.Socket, id: string, rest: Buffer): void {
    const offer = this.offered.get(id);
    if (!offer) return void socket.destroy();
    this.offered.delete(id);
    clearTimeout(offer.timer);
    const client = offer.socket;
    client.setNoDelay(true);
    if (offer.head.length) socket.write(offer.head);
    if (rest.length) client.write(rest);
    pipeBoth(client, socket);
    client.once('close', () => socket.destroy());
    socket.once('close', () => client.destroy());
  }
}

/** Each side's bytes to the other, ends passed on (a half-close stays a half-close). */
function pipeBoth(a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  a.resume();
  b.resume();
}
