// The request path: /api/v1/service/<name>/<rest> → an endpoint of <name> as /<rest>, streamed both ways.
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FrontEndConfig } from './config.js';
import { writeLine } from './log.js';
import type { Metrics } from './metrics.js';
import type { Endpoint, RouteTable, ServiceRoute, Waiter } from './routes.js';

const PREFIX = '/api/v1/service/';

/** Hop-by-hop request headers (RFC 9110 §7.6.1), plus `expect`: this server already answered 100-continue. */
const HOP_REQUEST = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);
/**
 * What a client says about where its request came from: dropped, and the router's own X-Forwarded-For, -Proto and
 * -Host sent instead (the router is the edge: nothing in front of it is trusted), so a client cannot pose to a scoring
 * service as another address, scheme or host.
 */
const isForwardingHeader = (name: string) => name.startsWith('x-forwarded-') || name === 'forwarded' || name === 'x-real-ip';
const HOP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'trailer', 'transfer-encoding', 'upgrade']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** Failures where the endpoint never answered: safe to send the request again elsewhere. */
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH']);

export interface ServerState {
  /** After SIGTERM: readiness fails and answers carry `Connection: close`, so clients reconnect through the load balancer to another replica. */
  draining: boolean;
  /** Past the drain delay: no new connections. */
  closing: boolean;
  inFlight: number;
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** Names a `Connection` header lists are hop-by-hop too. */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (!value) return undefined;
  const tokens = String(value).toLowerCase().split(',');
  let set: Set<string> | undefined;
  for (const t of tokens) {
    const name = t.trim();
    if (name && name !== 'close' && name !== 'keep-alive') (set ??= new Set()).add(name);
  }
  return set;
}

export class Proxy {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo', timeout: 4000 });

  constructor(
    readonly routes: RouteTable,
    readonly metrics: Metrics,
    readonly config: FrontEndConfig,
    readonly state: ServerState,
  ) {}

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    if (url.startsWith(PREFIX)) {
      new Exchange(this, req, res, url).start();
      return;
    }
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const start = performance.now();
    let status: number;
    if (path === '/healthz') status = plain(res, 200, 'ok');
    else if (path === '/readyz') status = this.routes.ready() && !this.state.draining ? plain(res, 200, 'ok') : plain(res, 503, 'not ready');
    else if (path === '/metrics') {
      const body = this.metrics.render(this.routes);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      status = 200;
    } else if (path === '/') {
      const body = JSON.stringify({ name: 'azureml-fe', ready: this.routes.ready() && !this.state.draining });
      status = json(res, 200, body, this.state.draining);
    } else status = json(res, 404, errorBody('NotFound', `No route for ${path}; scoring requests go to ${PREFIX}<service>/<path>`), this.state.draining);
    if (path !== '/healthz' && path !== '/readyz') accessLog(this.config, req, path, '', status, start, '', 0);
  };

  upstream(endpoint: Endpoint, method: string, path: string, headers: string[]): ClientRequest {
    return httpRequest({ host: endpoint.host, port: endpoint.port, method, path, headers, agent: this.agent });
  }

  close(): void {
    this.agent.destroy();
  }
}

function plain(res: ServerResponse, status: number, text: string): number {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': text.length });
  res.end(text);
  return status;
}

function json(res: ServerResponse, status: number, body: string, close: boolean, extra?: Record<string, string>): number {
  const headers: OutgoingHttpHeaders = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extra };
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
  return status;
}

let isoAtMs = 0;
let iso = '';
/** The current time in ISO form, formatted once per millisecond however many lines share it. */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoAtMs) {
    isoAtMs = now;
    iso = new Date(now).toISOString();
  }
  return iso;
}

function accessLog(
  config: FrontEndConfig,
  req: IncomingMessage,
  path: string,
  service: string,
  status: number,
  start: number,
  upstream: string,
  bytes: number,
) {
  if (!config.accessLog) return;
  const ms = Math.round((performance.now() - start) * 100) / 100;
  // Built by hand, one line per request: the method is one Node's parser knows and the upstream an address, both plain.
  writeLine(
    `{"time":"${isoNow()}","type":"access","method":"${req.method}","path":${JSON.stringify(path)},"service":${JSON.stringify(service)},"status":${status},"durationMs":${ms},"upstream":"${upstream}","bytes":${bytes}}`,
  );
}

const LINGER_MS = 2000;
const discard = () => {};

/**
 * For an answer sent before the request body was read (a 413, with Connection: close): keep reading and discarding
 * what the client still sends for a moment before closing. Closing a socket with unread data makes the kernel reset
 * the connection, and a reset can reach the client before it has read the answer (nginx's lingering_close).
 */
function lingeringClose(req: IncomingMessage): void {
  const socket = req.socket;
  req.removeAllListeners('data');
  req.on('data', discard);
  req.resume();
  // Node's server calls destroySoon() once a Connection: close answer is written: end (FIN) now, destroy later.
  socket.destroySoon = function (this: typeof socket) {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
    this.once('end', () => this.destroy());
  };
}

/** One scoring request, from its arrival to the end of its answer (one allocation per request holds its state). */
class Exchange implements Waiter {
  queued = false;
  private readonly startedAt = performance.now();
  private readonly name: string;
  private readonly path: string;
  private route: ServiceRoute | undefined;
  private endpoint: Endpoint | undefined;
  private lastUpstream = '';
  private upstreamReq: ClientRequest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private bodyStarted = false;
  private bodyBytes = 0;
  private bytes = 0;
  private done = false;
  private readonly hasBody: boolean;

  constructor(
    private readonly proxy: Proxy,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    url: string,
  ) {
    const slash = url.indexOf('/', PREFIX.length);
    const q = url.indexOf('?', PREFIX.length);
    const nameEnd = slash >= 0 && (q < 0 || slash < q) ? slash : q >= 0 ? q : url.length;
    this.name = url.slice(PREFIX.length, nameEnd);
    const rest = url.slice(nameEnd);
    this.path = rest.startsWith('/') ? rest : '/' + rest;
    const te = req.headers['transfer-encoding'];
    const cl = req.headers['content-length'];
    this.hasBody = te !== undefined || (cl !== undefined && cl !== '0');
  }

  start(): void {
    const { proxy, req, res } = this;
    proxy.state.inFlight++;
    res.on('close', this.onClientClose);
    const route = this.name ? proxy.routes.get(this.name) : undefined;
    if (!route) return this.fail(404, 'ServiceNotFound', this.name ? `Service '${this.name}' not found` : 'No service named in the path');
    this.route = route;
    if (route.keys) {
      const auth = req.headers.authorization;
      const key = auth && auth.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
      if (!key || !route.keys.has(key)) {
        return this.fail(
          401,
          'Unauthorized',
          key ? `The key is not valid for service '${this.name}'` : `Service '${this.name}' needs 'Authorization: Bearer <key>'`,
          {
            'www-authenticate': 'Bearer',
          },
        );
      }
    }
    const cl = req.headers['content-length'];
    if (cl !== undefined && Number(cl) > proxy.config.maxBodyBytes) return this.tooLarge();
    this.timer = setTimeout(this.onTimeout, route.timeoutMs);
    const endpoint = route.pick();
    if (endpoint) return this.grant(endpoint);
    if (route.endpoints.length === 0) return this.fail(503, 'NoReadyEndpoint', `Service '${this.name}' has no ready endpoint`, { 'retry-after': '1' });
    if (!route.enqueue(this)) return this.fail(503, 'TooManyRequests', `Service '${this.name}' is at capacity and its queue is full`, { 'retry-after': '1' });
  }

  /** An endpoint with room: send the request there. */
  grant(endpoint: Endpoint): void {
    if (this.done) {
      this.route?.dispatch();
      return;
    }
    this.attempt++;
    this.endpoint = endpoint;
    this.lastUpstream = endpoint.address;
    endpoint.active++;
    const { req } = this;
    // A flat [name, value, ...] list: http.request stores it as the header block at once, without a setHeader per name.
    const headers: string[] = [];
    const src = req.headers;
    const extraHop = connectionTokens(src.connection);
    for (const name in src) {
      if (HOP_REQUEST.has(name) || name === 'host' || isForwardingHeader(name) || (extraHop && extraHop.has(name))) continue;
      const value = src[name]!;
      if (typeof value === 'string') headers.push(name, value);
      else for (let i = 0; i < value.length; i++) headers.push(name, value[i]!);
    }
    headers.push('x-forwarded-for', req.socket.remoteAddress ?? '', 'x-forwarded-proto', (req.socket as TLSSocket).encrypted ? 'https' : 'http');
    if (src.host) headers.push('x-forwarded-host', src.host);
    headers.push('host', endpoint.address);
    const up = this.proxy.upstream(endpoint, req.method ?? 'GET', this.path, headers);
    this.upstreamReq = up;
    up.on('response', (upRes) => this.onResponse(up, upRes));
    up.on('error', (err) => this.onUpstreamError(up, err as NodeJS.ErrnoException));
    if (!this.hasBody) {
      up.end();
      return;
    }
    // The body starts once the connection is up, so that a refused connection leaves it unread and the request can go elsewhere.
    up.on('socket', (socket) => {
      if (socket.connecting) socket.once('connect', () => this.startBody(up));
      else this.startBody(up);
    });
  }

  noEndpoint(): void {
    if (!this.done) this.fail(503, 'NoReadyEndpoint', `Service '${this.name}' has no ready endpoint`, { 'retry-after': '1' });
  }

  private startBody(up: ClientRequest): void {
    if (this.done || up !== this.upstreamReq || this.bodyStarted) return;
    this.bodyStarted = true;
    const { req } = this;
    const max = this.proxy.config.maxBodyBytes;
    req.on('data', (chunk: Buffer) => {
      if (this.done) return;
      this.bodyBytes += chunk.length;
      if (this.bodyBytes > max) {
        req.pause();
        this.tooLarge();
        return;
      }
      const target = this.upstreamReq!;
      if (!target.write(chunk)) {
        req.pause();
        target.once('drain', () => req.resume());
      }
    });
    req.on('end', () => {
      if (!this.done) this.upstreamReq!.end();
    });
  }

  private onResponse(up: ClientRequest, upRes: IncomingMessage): void {
    if (this.done || up !== this.upstreamReq) {
      upRes.resume();
      return;
    }
    const { res } = this;
    const raw = upRes.rawHeaders;
    // The Connection header from the raw list rather than upRes.headers, which builds the whole headers object (Node's agent
    // still builds it, for the Keep-Alive hint, once the socket goes back to the pool).
    let extraHop: Set<string> | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === 10 && name.toLowerCase() === 'connection') {
        const tokens = connectionTokens(raw[i + 1]);
        if (tokens) for (const t of tokens) (extraHop ??= new Set()).add(t);
      }
    }
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const lower = raw[i]!.toLowerCase();
      if (HOP_RESPONSE.has(lower) || (extraHop && extraHop.has(lower))) continue;
      headers.push(raw[i]!, raw[i + 1]!);
    }
    if (this.proxy.state.draining) headers.push('Connection', 'close');
    const status = upRes.statusCode ?? 502;
    try {
      res.writeHead(status, headers);
    } catch (err) {
      // A header Node will not send on (an invalid value): the answer cannot be relayed.
      upRes.resume();
      this.upstreamReq = undefined;
      up.destroy();
      this.release();
      this.proxy.metrics.upstreamError(this.name, 'invalid-response');
      this.fail(502, 'BadGateway', `The endpoint of service '${this.name}' answered headers that cannot be relayed: ${(err as Error).message}`);
      return;
    }
    upRes.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      if (!res.write(chunk)) {
        upRes.pause();
        res.once('drain', () => upRes.resume());
      }
    });
    upRes.on('end', () => {
      if (this.done) return;
      res.end();
      this.finish(status);
    });
    // The endpoint's connection closed before the whole answer came: cut the client's too.
    upRes.on('close', () => {
      if (this.done || upRes.complete) return;
      this.proxy.metrics.upstreamError(this.name, 'aborted');
      res.destroy();
      this.finish(status);
    });
  }

  private onUpstreamError(up: ClientRequest, err: NodeJS.ErrnoException): void {
    if (this.done || up !== this.upstreamReq) return;
    const failed = this.endpoint;
    this.release();
    const code = err.code ?? 'error';
    this.proxy.metrics.upstreamError(this.name, code);
    if (this.res.headersSent) {
      this.res.destroy();
      this.finish(this.res.statusCode);
      return;
    }
    const route = this.route!;
    // Once, and only while none of the body has been read: an idempotent request (or any request on a kept-alive
    // connection the endpoint had just closed) goes to another endpoint.
    const retryable = this.attempt === 1 && !this.bodyStarted && RETRYABLE.has(code) && (IDEMPOTENT.has(this.req.method ?? '') || up.reusedSocket);
    if (retryable) {
      const next = route.pick(failed) ?? (up.reusedSocket ? route.pick() : undefined);
      if (next) return this.grant(next);
    }
    this.fail(502, 'BadGateway', `The endpoint of service '${this.name}' failed: ${code}`);
  }

  private readonly onTimeout = (): void => {
    if (this.done) return;
    this.proxy.metrics.upstreamError(this.name, 'timeout');
    if (this.queued) this.route?.cancel(this);
    this.upstreamReq?.destroy();
    this.release();
    if (this.res.headersSent) {
      this.res.destroy();
      this.finish(this.res.statusCode);
    } else this.fail(504, 'GatewayTimeout', `Service '${this.name}' did not answer within ${this.route!.timeoutMs} ms`);
  };

  private readonly onClientClose = (): void => {
    if (this.done) return;
    // The client left before the answer ended.
    if (this.queued) this.route?.cancel(this);
    this.upstreamReq?.destroy();
    this.release();
    this.finish(499);
  };

  private tooLarge(): void {
    this.upstreamReq?.destroy();
    this.release();
    if (this.res.headersSent) {
      this.res.destroy();
      this.finish(this.res.statusCode);
      return;
    }
    const max = this.proxy.config.maxBodyBytes;
    lingeringClose(this.req);
    json(this.res, 413, errorBody('RequestEntityTooLarge', `The request body exceeds ${max} bytes`), true);
    this.finish(413);
  }

  private fail(status: number, code: string, message: string, extra?: Record<string, string>): void {
    json(this.res, status, errorBody(code, message), this.proxy.state.draining, extra);
    this.finish(status);
  }

  private release(): void {
    const e = this.endpoint;
    if (!e) return;
    this.endpoint = undefined;
    e.active--;
    this.route!.dispatch();
  }

  private finish(status: number): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    // An endpoint that answered before the whole body arrived: that connection is mid-request, not reusable.
    const up = this.upstreamReq;
    if (up && !up.writableEnded) up.destroy();
    this.release();
    this.proxy.state.inFlight--;
    const { proxy, req } = this;
    proxy.metrics.request(this.route ? this.name : '', status, (performance.now() - this.startedAt) / 1000);
    const q = req.url!.indexOf('?');
    accessLog(proxy.config, req, q < 0 ? req.url! : req.url!.slice(0, q), this.name, status, this.startedAt, this.lastUpstream, this.bytes);
  }
}
