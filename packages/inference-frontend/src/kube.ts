// A small Kubernetes API client: GET, and list+watch over plain HTTPS.
//
// Why not @kubernetes/client-node: azureml-fe ships as one bundled file inside a ConfigMap (1 MiB at most),
// and the full client (with its generated models, request library and auth plugins) is several MiB
// bundled. The router only needs three reads — Services, EndpointSlices and Secrets — so it speaks the
// list/watch protocol itself: list, then `?watch=true&resourceVersion=...` (newline-delimited JSON events),
// relisting on 410 Gone and after a dropped stream, with backoff.
import { readFileSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { log } from './log.js';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_REREAD_MS = 60_000;

export interface KubeObject {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: any;
}

export interface KubeAccess {
  /** Server URL, with its path prefix if any (`https://host:port/clusters/abc`), no trailing slash. */
  server: string;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  insecure?: boolean;
  token(): string | undefined;
}

function fileToken(path: string): () => string | undefined {
  let token: string | undefined;
  let readAt = 0;
  return () => {
    // The projected service-account token rotates: read it again every minute.
    if (Date.now() - readAt > TOKEN_REREAD_MS) {
      try {
        token = readFileSync(path, 'utf8').trim();
        readAt = Date.now();
      } catch (err) {
        log('warn', 'cannot read the API token', { path, error: String(err) });
      }
    }
    return token;
  };
}

/** From `KUBECONFIG` (its current context) if set, else the in-cluster service account. */
export function kubeAccessFromEnv(env: NodeJS.ProcessEnv = process.env): KubeAccess {
  if (env.KUBECONFIG) return fromKubeconfig(env.KUBECONFIG.split(':')[0]!);
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new Error('neither KUBECONFIG nor KUBERNETES_SERVICE_HOST is set: no Kubernetes API to discover scoring services from');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${SA_DIR}/ca.crt`),
    token: fileToken(`${SA_DIR}/token`),
  };
}

function fromKubeconfig(path: string): KubeAccess {
  const config = parseYaml(readFileSync(path, 'utf8'));
  const byName = (list: any[] | undefined, name: string) => list?.find((x) => x.name === name);
  const context = byName(config.contexts, config['current-context'])?.context ?? config.contexts?.[0]?.context;
  if (!context) throw new Error(`${path}: no current context`);
  const cluster = byName(config.clusters, context.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`${path}: no server for cluster ${context.cluster}`);
  const user = byName(config.users, context.user)?.user ?? {};
  const b64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64') : undefined);
  const fixed: string | undefined = user.token;
  return {
    server: String(cluster.server).replace(/\/+$/, ''),
    ca: b64(cluster['certificate-authority-data']) ?? (cluster['certificate-authority'] ? readFileSync(cluster['certificate-authority']) : undefined),
    cert: b64(user['client-certificate-data']) ?? (user['client-certificate'] ? readFileSync(user['client-certificate']) : undefined),
    key: b64(user['client-key-data']) ?? (user['client-key'] ? readFileSync(user['client-key']) : undefined),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    // As in client-go, a token file (re-read as it rotates) wins over a literal token.
    token: user.tokenFile ? fileToken(user.tokenFile) : fixed ? () => fixed : () => undefined,
  };
}

export class KubeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class KubeClient {
  private readonly url: URL;
  private readonly agent: Agent | undefined;

  constructor(private readonly access: KubeAccess) {
    this.url = new URL(access.server);
    this.agent =
      this.url.protocol === 'https:'
        ? new Agent({ keepAlive: true, ca: access.ca, cert: access.cert, key: access.key, rejectUnauthorized: !access.insecure })
        : undefined;
  }

  private open(path: string, signal?: AbortSignal): Promise<import('node:http').IncomingMessage> {
    const token = this.access.token();
    const options: RequestOptions = {
      method: 'GET',
      hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
      port: this.url.port || (this.url.protocol === 'https:' ? 443 : 80),
      path: this.url.pathname.replace(/\/+$/, '') + path,
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      agent: this.agent,
      signal,
    };
    return new Promise((resolve, reject) => {
      const req = (this.agent ? request : httpRequest)(options, resolve);
      req.on('error', reject);
      req.end();
    });
  }

  /** GETs a path under the server URL; the parsed JSON body, or a KubeError with the status. */
  async get(path: string, signal?: AbortSignal): Promise<any> {
    const res = await this.open(path, signal);
    let text = '';
    res.setEncoding('utf8');
    for await (const chunk of res) text += chunk;
    if (res.statusCode !== 200) throw new KubeError(res.statusCode ?? 0, `GET ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
    return JSON.parse(text);
  }

  /** Streams watch events; resolves when the server ends the stream. */
  async watch(path: string, onEvent: (event: { type: string; object: any }) => void, signal: AbortSignal): Promise<void> {
    const res = await this.open(path, signal);
    if (res.statusCode !== 200) {
      let text = '';
      for await (const chunk of res) text += chunk;
      throw new KubeError(res.statusCode ?? 0, `watch ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
    }
    res.setEncoding('utf8');
    let buffer = '';
    for await (const chunk of res as AsyncIterable<string>) {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) onEvent(JSON.parse(line));
      }
    }
  }
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const WATCH_TIMEOUT_S = 290;

/**
 * Keeps a live copy of the objects one list path returns: list, then watch from the list's
 * resourceVersion; a 410 Gone or a dropped stream starts over with a fresh list, after a backoff
 * when it failed. `onChange` runs after every change (and after each list).
 */
export class Informer {
  readonly items = new Map<string, KubeObject>();
  synced = false;
  private stopped = new AbortController();

  constructor(
    private readonly client: KubeClient,
    /** e.g. `/api/v1/services?labelSelector=x` */
    private readonly listPath: string,
    private readonly onChange: () => void,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped.abort();
  }

  private async run(): Promise<void> {
    let backoffMs = 250;
    const sep = this.listPath.includes('?') ? '&' : '?';
    while (!this.stopped.signal.aborted) {
      try {
        const list = await this.client.get(this.listPath, this.stopped.signal);
        this.items.clear();
        for (const item of list.items ?? []) this.items.set(keyOf(item), item);
        let resourceVersion: string = list.metadata?.resourceVersion ?? '';
        this.synced = true;
        this.onChange();
        backoffMs = 250;
        // Watch until the server asks for a relist (410) or an error; a stream the server ends normally resumes.
        for (;;) {
          let gone = false;
          const watchAbort = new AbortController();
          const onStop = () => watchAbort.abort();
          this.stopped.signal.addEventListener('abort', onStop, { once: true });
          // Cut a stream that went silent well past its own timeout (a half-open connection).
          const idle = setTimeout(() => watchAbort.abort(), (WATCH_TIMEOUT_S + 30) * 1000);
          try {
            await this.client.watch(
              `${this.listPath}${sep}watch=true&allowWatchBookmarks=true&timeoutSeconds=${WATCH_TIMEOUT_S}&resourceVersion=${encodeURIComponent(resourceVersion)}`,
              (event) => {
                if (event.type === 'ERROR') {
                  gone = true;
                  if (event.object?.code !== 410) log('warn', 'watch error', { path: this.listPath, status: event.object });
                  return;
                }
                const rv = event.object?.metadata?.resourceVersion;
                if (rv) resourceVersion = rv;
                if (event.type === 'BOOKMARK') return;
                if (event.type === 'DELETED') this.items.delete(keyOf(event.object));
                else this.items.set(keyOf(event.object), event.object);
                this.onChange();
              },
              watchAbort.signal,
            );
          } finally {
            clearTimeout(idle);
            this.stopped.signal.removeEventListener('abort', onStop);
          }
          if (gone || this.stopped.signal.aborted) break;
        }
      } catch (err) {
        if (this.stopped.signal.aborted) return;
        if (!(err instanceof KubeError && err.status === 410)) {
          log('warn', 'list/watch failed; relisting', { path: this.listPath, error: String(err), backoffMs });
          await new Promise((r) => setTimeout(r, backoffMs));
          backoffMs = Math.min(backoffMs * 2, 10_000);
        }
      }
    }
  }
}
