/**
 * Loaded with `node --import` into every process the workload runtime starts:
 * the pod's network, as far as one machine can give each pod its own.
 *
 * - A server that listens on every interface (`server.listen(8080)`, host `0.0.0.0` or `::`)
 *   listens on the pod's own address instead, so two replicas of one script never collide.
 *
 * In a sandbox (BERTH_POD_BRIDGE set) the process has a network namespace of its own with
 * only a loopback interface: nothing it does reaches the machine's network. This module is
 * what connects it, through the pod's bridge socket (see pod-network-bridge.ts), which Berth
 * serves and polices:
 * - a TCP connection becomes `CONNECT <host> <port>` on the bridge; Berth connects, from the
 *   pod's address, if the destination is one the pod may reach, and closes the socket if not;
 * - a server listening on the pod's address is registered with `LISTEN <port>`; for each
 *   connection Berth accepts on the pod's address, it asks for a bridge connection
 *   (`ACCEPTED <id>`), which this module hands to the server.
 * A process that does without this module only loses its connections: the policy is Berth's.
 *
 * Without a sandbox (`--run-workloads=unsandboxed`) connections leave from the pod's address
 * and only to loopback addresses, and the process exits when `berth up` goes away.
 */
import net from 'node:net';
import tls from 'node:tls';
import dns from 'node:dns';

const podIp = process.env.BERTH_POD_IP;
const bridge = process.env.BERTH_POD_BRIDGE;
const WILDCARDS = new Set(['0.0.0.0', '::', '', '::0']);
const isLoopback = (ip: string) => /^127\./.test(ip) || ip === '::1' || /^::ffff:127\./i.test(ip);

const listen = net.Server.prototype.listen as (...args: unknown[]) => net.Server;
const connect = net.Socket.prototype.connect as (...args: unknown[]) => net.Socket;
const tlsConnect = tls.connect as (...args: unknown[]) => tls.TLSSocket;

if (podIp) {
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    const [first, second] = args;
    if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
      if (typeof second === 'string') {
        if (WILDCARDS.has(second)) args[1] = podIp;
      } else args.splice(1, 0, podIp);
    } else if (first && typeof first === 'object' && !('path' in first) && !('fd' in first) && !('_handle' in first)) {
      const options = first as net.ListenOptions;
      if (options.host === undefined || WILDCARDS.has(options.host)) args[0] = { ...options, host: podIp };
    } else if (first === undefined || typeof first === 'function') {
      args.unshift(0, podIp);
    }
    if (bridge) this.once('listening', () => register(this));
    return listen.apply(this, args);
  };
}

/** The TCP destination of a connect call's arguments, or undefined for a Unix socket or a pipe. */
function tcpTarget(args: unknown[]): { options: net.TcpNetConnectOpts; callback?: () => void } | undefined {
  const [first, second, third] = args;
  if (Array.isArray(first)) return tcpTarget(first);
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const host = typeof second === 'string' ? second : undefined;
    const callback = [second, third].find((a) => typeof a === 'function') as (() => void) | undefined;
    return { options: { port: Number(first), host }, callback };
  }
  if (first && typeof first === 'object') {
    const options = first as net.TcpNetConnectOpts & { path?: string };
    // net connects to a Unix socket whenever `path` is truthy (an HTTP agent passes `path: null`).
    if (options.path || options.port === undefined || options.port === null) return undefined;
    return { options, callback: typeof second === 'function' ? (second as () => void) : undefined };
  }
  return undefined;
}

/** Options of a TCP connection that a Unix socket's connect does not take. */
const TCP_ONLY = ['host', 'port', 'lookup', 'localAddress', 'localPort', 'family', 'hints', 'autoSelectFamily', 'autoSelectFamilyAttemptTimeout'];

if (bridge) {
  // A bridge connection stands for the TCP one: asked for first, then the same bytes either way.
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const target = tcpTarget(args);
    if (!target || this instanceof tls.TLSSocket) return connect.apply(this, args);
    const { options, callback } = target;
    const rest: Record<string, unknown> = { ...options };
    for (const key of TCP_ONLY) delete rest[key];
    connect.call(this, { ...rest, path: bridge }, callback);
    this.write(`CONNECT ${options.host ?? 'localhost'} ${options.port}\n`);
    return this;
  };
  // A TLS connection runs over a bridged socket made first, so the request line is not encrypted.
  tls.connect = function (...args: unknown[]) {
    let options: tls.ConnectionOptions;
    let callback: (() => void) | undefined;
    if (args[0] && typeof args[0] === 'object') {
      options = args[0] as tls.ConnectionOptions;
      callback = args.find((a) => typeof a === 'function') as (() => void) | undefined;
    } else {
      let i = 1;
      const host = typeof args[1] === 'string' ? args[i++] : undefined;
      const more = args[i] && typeof args[i] === 'object' ? (args[i] as tls.ConnectionOptions) : {};
      callback = args.find((a) => typeof a === 'function') as (() => void) | undefined;
      options = { ...more, port: Number(args[0]), host: (host as string | undefined) ?? more.host };
    }
    if (options.socket || options.path || options.port === undefined || options.port === null) return tlsConnect(...args);
    const host = options.host ?? 'localhost';
    const socket = net.connect({ host, port: Number(options.port) });
    return tlsConnect({ ...options, socket, servername: options.servername ?? (net.isIP(host) ? undefined : host) }, callback);
  } as typeof tls.connect;
}

/**
 * Registers a server on the pod's address with the bridge; each connection Berth accepts for it
 * comes back as a bridge connection, handed to the server with the client's address.
 */
function register(server: net.Server): void {
  const address = server.address();
  if (!address || typeof address === 'string' || address.address !== podIp) return;
  const control = connect.call(new net.Socket(), { path: bridge }) as net.Socket;
  control.write(`LISTEN ${address.port}\n`);
  control.setEncoding('utf8');
  let pending = '';
  control.on('data', (chunk: string) => {
    pending += chunk;
    for (let at = pending.indexOf('\n'); at >= 0; at = pending.indexOf('\n')) {
      const [verb, id, remoteAddress, remotePort] = pending.slice(0, at).split(' ');
      pending = pending.slice(at + 1);
      if (verb === 'ACCEPT') accept(server, id, remoteAddress, Number(remotePort));
    }
  });
  control.on('error', () => undefined);
  control.unref();
  server.once('close', () => control.destroy());
}

function accept(server: net.Server, id: string, remoteAddress: string, remotePort: number): void {
  const socket = connect.call(new net.Socket(), { path: bridge }) as net.Socket;
  socket.on('error', () => socket.destroy());
  socket.write(`ACCEPTED ${id}\n`, () => {
    for (const [key, value] of [
      ['remoteAddress', remoteAddress],
      ['remotePort', remotePort],
      ['remoteFamily', net.isIPv6(remoteAddress) ? 'IPv6' : 'IPv4'],
      ['localAddress', podIp],
      ['localPort', (server.address() as net.AddressInfo | null)?.port],
    ] as const) {
      Object.defineProperty(socket, key, { value, configurable: true });
    }
    server.emit('connection', socket);
  });
}

if (podIp && !bridge) {
  const refused = (address: string): NodeJS.ErrnoException => {
    const err: NodeJS.ErrnoException = new Error(
      `connect EHOSTUNREACH ${address}: Berth's local cloud runs this process on loopback addresses only; ${address} is simulated or outside it`,
    );
    err.code = 'EHOSTUNREACH';
    return err;
  };
  /** Resolves as usual, but only to loopback addresses. */
  const loopbackLookup: typeof dns.lookup = ((hostname: string, options: unknown, callback: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (...a: unknown[]) => void;
    const opts = typeof options === 'function' ? {} : (options as dns.LookupOptions);
    dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return cb(err);
      const allowed = addresses.filter((a) => isLoopback(a.address));
      if (allowed.length === 0) return cb(refused(hostname));
      if (opts.all) return cb(null, allowed);
      cb(null, allowed[0].address, allowed[0].family);
    });
  }) as typeof dns.lookup;

  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const [first] = args;
    const options = (Array.isArray(first) ? first[0] : first) as (net.TcpNetConnectOpts & { path?: string }) | number | string | undefined;
    if (options && typeof options === 'object' && options.path === undefined && options.port !== undefined) {
      const host = options.host ?? 'localhost';
      if (net.isIP(host) && !isLoopback(host)) {
        process.nextTick(() => this.destroy(refused(host)));
        return this;
      }
      // What the pod sends comes from its own address, as on a cluster (and Berth's per-address limits count pods apart).
      if (net.isIPv4(host) && options.localAddress === undefined) options.localAddress = podIp;
      if (!net.isIP(host) && !options.lookup) options.lookup = loopbackLookup;
    }
    return connect.apply(this, args);
  };

  if (process.channel) {
    process.channel.unref();
    process.on('disconnect', () => process.exit(137));
  }
}
