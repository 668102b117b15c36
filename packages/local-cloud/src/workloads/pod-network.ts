/**
 * Loaded with `node --import` into every process the workload runtime starts:
 * the pod's network, as far as one machine can give each pod its own.
 *
 * - A server that listens on every interface (`server.listen(8080)`, host `0.0.0.0` or `::`)
 *   listens on the pod's own loopback address instead, so two replicas of one script,
 *   or the same script in two clusters, never collide.
 * - Connections leave from the pod's address; one to an address outside 127.0.0.0/8 is refused: the local cloud's
 *   cloud-like addresses (10.x, 20.x) are simulated, and nothing it runs reaches out.
 * - When `berth up` goes away, so does the process (its IPC channel closes).
 */
import net from 'node:net';
import dns from 'node:dns';

const podIp = process.env.BERTH_POD_IP;
const WILDCARDS = new Set(['0.0.0.0', '::', '', '::0']);
const isLoopback = (ip: string) => /^127\./.test(ip) || ip === '::1' || /^::ffff:127\./i.test(ip);

if (podIp) {
  const listen = net.Server.prototype.listen as (...args: unknown[]) => net.Server;
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
    return listen.apply(this, args);
  };
}

function refused(address: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(
    `connect EHOSTUNREACH ${address}: Berth's local cloud runs this process on loopback addresses only; ${address} is simulated or outside it`,
  );
  err.code = 'EHOSTUNREACH';
  return err;
}

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

const connect = net.Socket.prototype.connect as (...args: unknown[]) => net.Socket;
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
    if (podIp && net.isIPv4(host) && options.localAddress === undefined) options.localAddress = podIp;
    if (!net.isIP(host) && !options.lookup) options.lookup = loopbackLookup;
  }
  return connect.apply(this, args);
};

if (process.channel) {
  process.channel.unref();
  process.on('disconnect', () => process.exit(137));
}
