import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = { kind: 'status'; status: number } | { kind: 'reset' } | { kind: 'hang' };

/**
 * An HTTPS proxy in front of Berth that can fail chosen requests (5xx, a reset
 * connection, no answer), to test how Berth's own calls to the cloud and to
 * clusters cope. It presents Berth's server certificate, so clients see no
 * difference; a Berth whose public URL is the proxy's hands out kubeconfigs that point at it.
 */
export class FaultProxy {
  private server?: Server;
  private faults: Array<{ matches: (req: IncomingMessage) => boolean; fault: Fault; remaining: number }> = [];
  /** Requests that got a fault, by path. */
  readonly injected: string[] = [];

  /** `target` is read per request, so the proxy can start before the Berth it fronts. */
  constructor(
    private readonly target: () => string,
    private readonly tls: { key: string; cert: string; ca: string },
  ) {}

  async start(): Promise<string> {
    this.server = createServer({ key: this.tls.key, cert: this.tls.cert }, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Fails the next `count` requests whose path matches. */
  inject(pathPattern: RegExp, fault: Fault, count: number): void {
    this.faults.push({ matches: (req) => pathPattern.test(req.url ?? ''), fault, remaining: count });
  }

  clear(): void {
    this.faults = [];
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const rule = this.faults.find((f) => f.remaining > 0 && f.matches(req));
    if (rule) {
      rule.remaining--;
      this.injected.push(req.url ?? '');
      if (rule.fault.kind === 'reset') return void req.socket.destroy();
      if (rule.fault.kind === 'hang') return;
      res.writeHead(rule.fault.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'InjectedFault', message: `fault injected by the test proxy (${rule.fault.status})` } }));
      return;
    }
    const upstream = httpsRequest(new URL(req.url ?? '/', this.target()), { method: req.method, headers: req.headers, ca: this.tls.ca }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
