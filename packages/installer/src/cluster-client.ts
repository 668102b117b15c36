import type { KubeConfig, KubernetesObjectApi, RequestContext, ResponseContext } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { Agent, type AgentOptions } from 'node:https';
import type { KubeObject } from './install-spec.js';

export type ClientNode = typeof import('@kubernetes/client-node');
let loading: Promise<ClientNode> | undefined;

/**
 * @kubernetes/client-node, loaded the first time a cluster is called: it is
 * Berth's largest dependency (about 40 MB of heap), and a Berth with no
 * compute never needs it.
 */
export function loadClientNode(): Promise<ClientNode> {
  return (loading ??= import('@kubernetes/client-node'));
}

/** How long one request to the cluster may take before it counts as failed. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Keep-alive agents, one per TLS identity (CA, client certificate, verification settings). */
const agents = new Map<string, Agent>();

/**
 * client-node gives every request a new agent, so a new TLS connection and
 * handshake (most of the installer's CPU with many clusters): requests with the
 * same TLS settings share one keep-alive agent instead. Proxy agents, which are
 * not plain https agents, are left as they are.
 */
function sharedAgent<T>(fresh: T): T | Agent {
  if (!(fresh instanceof Agent) || fresh.constructor !== Agent) return fresh;
  const options = (fresh as Agent & { options: AgentOptions }).options;
  const identity = [options.ca, options.cert, options.key, options.pfx, options.passphrase, options.rejectUnauthorized, options.servername].map((v) =>
    v === undefined ? null : String(v),
  );
  const key = createHash('sha256').update(JSON.stringify(identity)).digest('hex');
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({ ...options, keepAlive: true });
    agents.set(key, agent);
  }
  return agent;
}

/** Enough of an object to address it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/**
 * A failed call to a cluster's Kubernetes API: names the object and the cause
 * (`statusCode`/`reason` when the API server answered; none for resets and
 * timeouts). The caller retries with backoff.
 */
export class InstallerError extends Error {
  override readonly name = 'InstallerError';
  constructor(
    message: string,
    readonly details: { operation: string; object: string; statusCode?: number; reason?: string; cause?: unknown },
  ) {
    super(message, { cause: details.cause });
  }

  get statusCode(): number | undefined {
    return this.details.statusCode;
  }

  get reason(): string | undefined {
    return this.details.reason;
  }
}

export function describeRef(ref: ObjectRef | KubeObject): string {
  const r = 'metadata' in ref ? { kind: ref.kind, name: ref.metadata.name, namespace: ref.metadata.namespace } : ref;
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

/** `Kind/name`, as install and uninstall report objects. */
export function shortRef(obj: { kind?: string; metadata?: { name?: string } }): string {
  return `${obj.kind}/${obj.metadata?.name}`;
}

/** Plain JSON: client-node deserializes into model classes (Dates, undefined-valued keys). */
function plain<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** What went wrong, in one line: the API server's Status, or the transport's failure. */
function causeOf(k8s: ClientNode, err: unknown, timedOut: boolean): { text: string; statusCode?: number; reason?: string } {
  if (err instanceof k8s.ApiException) {
    let status: { reason?: string; message?: string } | undefined;
    try {
      status = typeof err.body === 'string' ? JSON.parse(err.body) : (err.body as typeof status);
    } catch {
      status = undefined;
    }
    const reason = status?.reason;
    const message = status?.message ?? (typeof err.body === 'string' && err.body ? err.body.slice(0, 300) : 'no details');
    return { text: `${err.code}${reason ? ` ${reason}` : ''}: ${message}`, statusCode: err.code, reason };
  }
  if (timedOut) return { text: `no answer within ${REQUEST_TIMEOUT_MS} ms` };
  return { text: err instanceof Error ? err.message : String(err) };
}

/**
 * A cluster's Kubernetes API through @kubernetes/client-node's generic object
 * API, given an admin kubeconfig: plain-JSON objects, 404 as `undefined`, a
 * timeout on every request, the caller's AbortSignal honoured, and errors that
 * name the object and the cause.
 */
export class ClusterClient {
  readonly kubeConfig: KubeConfig;
  private readonly api: KubernetesObjectApi;
  private readonly signal?: AbortSignal;

  static async open(kubeconfig: string, options: { signal?: AbortSignal } = {}): Promise<ClusterClient> {
    return new ClusterClient(await loadClientNode(), kubeconfig, options);
  }

  private constructor(
    readonly k8s: ClientNode,
    kubeconfig: string,
    options: { signal?: AbortSignal },
  ) {
    this.signal = options.signal;
    this.kubeConfig = new k8s.KubeConfig();
    try {
      this.kubeConfig.loadFromString(kubeconfig);
    } catch (err) {
      throw new InstallerError(`the kubeconfig cannot be read: ${(err as Error).message}`, { operation: 'load', object: 'kubeconfig', cause: err });
    }
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new InstallerError('the kubeconfig names no current cluster', { operation: 'load', object: 'kubeconfig' });
    const signal = this.signal;
    const middleware = {
      async pre(context: RequestContext): Promise<RequestContext> {
        // Not AbortSignal.timeout: AbortSignal.any holds its sources weakly, and Node 20 collects a
        // timeout signal nothing else references, so the request would never time out. The timer
        // holds this controller; it is unref'd, and firing after the request ended changes nothing.
        const timeout = new AbortController();
        setTimeout(() => timeout.abort(new DOMException(`no answer within ${REQUEST_TIMEOUT_MS} ms`, 'TimeoutError')), REQUEST_TIMEOUT_MS).unref();
        context.setSignal(signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal);
        const agent = sharedAgent(context.getAgent());
        if (agent) context.setAgent(agent);
        return context;
      },
      async post(context: ResponseContext): Promise<ResponseContext> {
        return context;
      },
    };
    this.api = new k8s.KubernetesObjectApi(
      k8s.createConfiguration({
        baseServer: new k8s.ServerConfiguration(cluster.server, {}),
        authMethods: { default: this.kubeConfig },
        promiseMiddleware: [middleware],
      }),
    );
  }

  /** Throws the caller's abort reason once its signal fired. */
  checkAborted(): void {
    this.signal?.throwIfAborted();
  }

  private async call<T>(operation: string, object: string, run: () => Promise<T>): Promise<T> {
    this.checkAborted();
    const started = Date.now();
    try {
      return await run();
    } catch (err) {
      this.checkAborted();
      const timedOut = !(err instanceof this.k8s.ApiException) && (err as Error)?.name === 'AbortError' && Date.now() - started >= REQUEST_TIMEOUT_MS - 50;
      const cause = causeOf(this.k8s, err, timedOut);
      throw new InstallerError(`${operation} ${object} failed: ${cause.text}`, {
        operation,
        object,
        statusCode: cause.statusCode,
        reason: cause.reason,
        cause: err,
      });
    }
  }

  private header(ref: ObjectRef) {
    return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
  }

  /** The live object, or undefined when there is none. */
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return plain<KubeObject>(await this.call('read', describeRef(ref), () => this.api.read(this.header(ref))));
    } catch (err) {
      if (err instanceof InstallerError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  async create(obj: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubeObject> {
    const body = plain<KubeObject>(obj);
    return plain<KubeObject>(
      await this.call('create', describeRef(obj), () => this.api.create(body, undefined, options.dryRun ? 'All' : undefined, 'berth-installer')),
    );
  }

  /** PUT; with `metadata.resourceVersion` set, only if the object is still that version (409 otherwise). */
  async replace(obj: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubeObject> {
    const body = plain<KubeObject>(obj);
    return plain<KubeObject>(
      await this.call(options.dryRun ? 'dry-run replace' : 'replace', describeRef(obj), () =>
        this.api.replace(body, undefined, options.dryRun ? 'All' : undefined, 'berth-installer'),
      ),
    );
  }

  /** Deletes (dependents in the background); false when it was already gone. */
  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      await this.call('delete', describeRef(ref), () => this.api.delete(this.header(ref), undefined, undefined, undefined, undefined, 'Background'));
      return true;
    } catch (err) {
      if (err instanceof InstallerError && err.statusCode === 404) return false;
      throw err;
    }
  }

  /** Objects of a kind, in a namespace or (without one) across the cluster, optionally by label selector. */
  async list(apiVersion: string, kind: string, options: { namespace?: string; labelSelector?: string } = {}): Promise<KubeObject[]> {
    const what = `${kind} list${options.namespace ? ` in ${options.namespace}` : ''}${options.labelSelector ? ` (${options.labelSelector})` : ''}`;
    const result = await this.call('list', what, () =>
      this.api.list(apiVersion, kind, options.namespace, undefined, undefined, undefined, undefined, options.labelSelector),
    );
    // List items often come without apiVersion/kind.
    return plain<KubeObject[]>(result.items).map((item) => ({ ...item, apiVersion, kind }));
  }
}
