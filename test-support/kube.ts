import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BerthPoller } from '@berth/sdk';
import { httpsRequest, type HttpResponse, type TestBerth } from './berth.js';

/** An HTTPS call to Berth's front door (a `TestBerth.request`, or one bound to a spawned `berth up`). */
export type ArmCall = (
  method: string,
  path: string,
  options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
) => Promise<HttpResponse>;

/** The default api-version of the managed-cluster calls in tests (the 2024-08-01 reference shapes). */
export const AKS_API = 'api-version=2024-08-01';

export function managedClusterPath(subscriptionId: string, resourceGroup: string, name: string, api = AKS_API): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}?${api}`;
}

/** A managed-cluster PUT body: `count` x `vmSize` in westus, with `properties` merged in. */
export function clusterBody(
  o: { count?: number; vmSize?: string; location?: string; properties?: Record<string, unknown>; sku?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    location: o.location ?? 'westus',
    ...(o.sku ? { sku: o.sku } : {}),
    properties: { agentPoolProfiles: [{ name: 'nodepool1', count: o.count ?? 3, vmSize: o.vmSize ?? 'Standard_D3_v2', mode: 'System' }], ...o.properties },
  };
}

/**
 * Polls an `Azure-AsyncOperation` URL through `call` with the SDK's poller until
 * the operation ends; returns the final status document, Failed and Canceled included.
 */
export async function pollOperation(call: ArmCall, statusUrl: string, timeoutMs = 20_000): Promise<any> {
  const poller = BerthPoller.forOperationStatus(
    statusUrl,
    async (url) => {
      const res = await call('GET', url);
      if (res.status !== 200) throw new Error(`operation status answered ${res.status}: ${res.text}`);
      return res;
    },
    { resolveOnUnsuccessful: true },
  );
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    return await poller.pollUntilDone({ intervalInMs: 25, abortSignal: timeout });
  } catch (err) {
    throw timeout.aborted ? new Error(`operation still InProgress after ${timeoutMs} ms`) : err;
  }
}

/** PUTs a managed cluster and waits for its operation; returns the PUT answer and the operation's end. */
export async function putManagedCluster(call: ArmCall, path: string, body: unknown): Promise<{ put: HttpResponse; operation: any }> {
  const put = await call('PUT', path, { body });
  if (put.status !== 200 && put.status !== 201) throw new Error(`PUT ${path} answered ${put.status}: ${put.text}`);
  const operation = await pollOperation(call, put.headers['azure-asyncoperation'] as string);
  return { put, operation };
}

/** The kubeconfig (YAML text) of `listClusterAdminCredential` / `listClusterUserCredential`. */
export async function clusterCredential(call: ArmCall, clusterPath: string, role: 'admin' | 'user'): Promise<string> {
  const [path, query] = clusterPath.split('?');
  const res = await call('POST', `${path}/${role === 'admin' ? 'listClusterAdminCredential' : 'listClusterUserCredential'}?${query}`);
  if (res.status !== 200) throw new Error(`credentials answered ${res.status}: ${res.text}`);
  return Buffer.from(res.body.kubeconfigs[0].value, 'base64').toString('utf8');
}

export interface KubeconfigParts {
  server: string;
  ca: string;
  token: string;
  user: string;
  context: string;
}

export function kubeconfigParts(yamlText: string): KubeconfigParts {
  const config = parseYaml(yamlText);
  const context = config.contexts.find((c: { name: string }) => c.name === config['current-context']);
  const cluster = config.clusters.find((c: { name: string }) => c.name === context.context.cluster).cluster;
  const user = config.users.find((u: { name: string }) => u.name === context.context.user);
  return {
    server: cluster.server,
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'),
    token: user.user.token,
    user: user.name,
    context: context.name,
  };
}

/** Raw HTTPS calls to a cluster's Kubernetes API with the kubeconfig's token (or `token`, `null` for none). */
export function kubeApi(yamlText: string) {
  const parts = kubeconfigParts(yamlText);
  return (method: string, path: string, options: { body?: unknown; rawBody?: string; token?: string | null; headers?: Record<string, string> } = {}) =>
    httpsRequest(`${parts.server}${path}`, parts.ca, method, { ...options, token: options.token === undefined ? parts.token : options.token });
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A long-running kubectl (such as `get -w`) whose output is read as it comes. */
export interface KubectlStream {
  output(): string;
  /** Resolves with the output once `pattern` matches it; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The real kubectl on a kubeconfig file of its own, with its own discovery
 * cache (`--cache-dir`), so that no test sees another's cached discovery.
 */
export class Kubectl {
  private constructor(
    readonly dir: string,
    readonly kubeconfigPath: string,
  ) {}

  static async create(kubeconfig: string): Promise<Kubectl> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-kubectl-'));
    const path = join(dir, 'kubeconfig');
    await writeFile(path, kubeconfig, { mode: 0o600 });
    return new Kubectl(dir, path);
  }

  private argv(args: string[]): string[] {
    return ['--kubeconfig', this.kubeconfigPath, '--cache-dir', join(this.dir, 'cache'), ...args];
  }

  run(args: string[], input?: string): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.env.KUBECTL ?? 'kubectl', this.argv(args), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HOME: this.dir } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
  }

  /** Runs kubectl and fails with its stderr unless it exits 0. */
  async ok(args: string[], input?: string): Promise<string> {
    const res = await this.run(args, input);
    if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited with ${res.code}: ${res.stderr}`);
    return res.stdout;
  }

  stream(args: string[]): KubectlStream {
    const child = spawn(process.env.KUBECTL ?? 'kubectl', this.argv(args), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: this.dir } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    return {
      output: () => out,
      async waitFor(pattern, timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs;
        while (!pattern.test(out)) {
          if (Date.now() > deadline) throw new Error(`kubectl ${args.join(' ')} printed no ${pattern} in ${timeoutMs} ms; stdout: ${out}; stderr: ${err}`);
          if (child.exitCode !== null) throw new Error(`kubectl ${args.join(' ')} exited with ${child.exitCode}; stdout: ${out}; stderr: ${err}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        return out;
      },
      async stop() {
        if (child.exitCode === null) child.kill('SIGTERM');
        await closed;
      },
    };
  }

  close(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

/** A resource group and a managed cluster in it, Succeeded, with kubectl and a raw API client on its admin credential (close the kubectl). */
export async function newClusterAsAdmin(berth: TestBerth, resourceGroup: string, name: string): Promise<{ kubectl: Kubectl; api: ReturnType<typeof kubeApi> }> {
  const group = await berth.request('PUT', `/subscriptions/${berth.subscriptionId}/resourcegroups/${resourceGroup}?api-version=2021-04-01`, {
    body: { location: 'westus' },
  });
  if (group.status !== 201) throw new Error(`resource group ${resourceGroup}: ${group.status} ${JSON.stringify(group.body)}`);
  const call: ArmCall = (method, p, o) => berth.request(method, p, o);
  const path = managedClusterPath(berth.subscriptionId, resourceGroup, name);
  const { operation } = await putManagedCluster(call, path, clusterBody());
  if (operation.status !== 'Succeeded') throw new Error(`managed cluster ${name}: ${JSON.stringify(operation)}`);
  const kubeconfig = await clusterCredential(call, path, 'admin');
  return { kubectl: await Kubectl.create(kubeconfig), api: kubeApi(kubeconfig) };
}

/** The kernel's ephemeral port range (where `listen(0)` and outgoing connections take ports), or Linux's default. */
function ephemeralPorts(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    // Not Linux: its default range.
  }
  return [32768, 60999];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port that was free a moment ago, for a server that must come back on the
 * same one. It is taken below the ephemeral range, so no outgoing connection nor
 * `listen(0)` of the tests running beside can take it before the server does.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralPorts();
  const first = Math.max(1024, low - 12_000);
  for (let tries = 0; tries < 100; tries++) {
    const port = first + Math.floor(Math.random() * (low - first));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${first} and ${low - 1}`);
}

/** Polls `check` until it returns a value other than undefined; fails after `timeoutMs` with `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A Deployment of `node:20-alpine` running `script` (an ES module) from a ConfigMap of the same name. */
export function nodeApp(name: string, script: string, o: { replicas?: number; env?: object[]; extra?: object } = {}) {
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { 'main.mjs': script } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'default' },
      spec: {
        replicas: o.replicas ?? 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              {
                name: 'main',
                image: 'node:20-alpine',
                command: ['node', '/srv/main.mjs'],
                ports: [{ name: 'http', containerPort: 8080 }],
                env: o.env ?? [],
                volumeMounts: [{ name: 'code', mountPath: '/srv' }],
                ...o.extra,
              },
            ],
            volumes: [{ name: 'code', configMap: { name } }],
          },
        },
      },
    },
  ];
}

export const listYaml = (items: object[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
