import { isDeepStrictEqual } from 'node:util';
import { createHash } from 'node:crypto';
import { lchown, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { SecretBox } from '@berth/pki';
import { listKubeClusters, type Db } from '@berth/store';
import { WorkQueue, type ReconcileResult } from '@berth/work-queue';
import { podServiceAccountName, serviceAccountToken, type ServiceAccountRef } from '../kube/credentials.js';
import type { KubeObject } from '../kube/kube-object.js';
import type { KubeObjectStore, ObjectChange } from '../kube/object-store.js';
import { resourceTypeByKey } from '../kube/resource-types.js';
import { isBound, podSpecOf } from '../kube/controllers/pod-lifecycle.js';
import { unlessRaced } from '../kube/controllers/writes.js';
import { ContainerRun, type ContainerSpec, type ContainerState } from './container-run.js';
import { LoopbackAddresses } from './loopback-addresses.js';
import type { LocalLoadBalancers } from './local-load-balancers.js';
import { sandboxedLauncher, unsandboxedLauncher } from './pod-launchers.js';
import { PodNetworkBridge } from './pod-network-bridge.js';
import type { WorkloadIsolation } from './workload-isolation.js';
import {
  containerEnv,
  ContainerConfigError,
  hostPath,
  mountsSource,
  pathMap,
  writePodVolumes,
  makeFolder,
  writeServiceAccountFiles,
  type ContainerEnvSpec,
  type PodSources,
  type VolumeMount,
} from './pod-files.js';
import { isAlive } from './process-alive.js';
import { isRunnable } from './runnable.js';

const PODS = resourceTypeByKey('core/pods');
const CONFIGMAPS = resourceTypeByKey('core/configmaps');
const SECRETS = resourceTypeByKey('core/secrets');
const SERVICE_ACCOUNTS = resourceTypeByKey('core/serviceaccounts');

/** How long a pod's service-account token lives, as the kubelet asks for (1 hour); it is renewed at 80% of that. */
export const POD_TOKEN_LIFETIME_MS = 3600_000;

/** How long processes get to stop when `berth up` stops, whatever their pods' grace periods. */
const SHUTDOWN_GRACE_MS = 5000;

type Container = ContainerSpec & ContainerEnvSpec & { workingDir?: string; volumeMounts?: VolumeMount[] };

interface PodRun {
  clusterId: string;
  uid: string;
  ip: string;
  dir: string;
  containers: ContainerRun[];
  graceMs: number;
  /** The volumes could not be written yet (a ConfigMap or Secret is missing): written again when one appears. */
  volumesPending: boolean;
  /** When the pod's token is due for renewal (undefined until one is written). */
  tokenRenewAt?: number;
  /** The unprivileged user its processes run as, where Berth is root and sandboxes them. */
  user?: number;
  /** Its network's only way out, when sandboxed. */
  bridge?: PodNetworkBridge;
  stopped: boolean;
}

/** A pod waiting for one of the `--max-running-pods` places. */
interface WaitingPod {
  clusterId: string;
  uid: string;
  pod: KubeObject;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  lastTransitionTime?: string;
}

/** Whether the process a folder is named for runs (a folder named otherwise is left to whoever made it). */
const ownerAlive = (name: string) => {
  const pid = Number(name);
  return !Number.isInteger(pid) || pid <= 0 || isAlive(pid);
};

const podKey = (clusterId: string, namespace: string, name: string) => `${clusterId}/${namespace}/${name}`;

/** Where a pod's KUBECONFIG is, in its folder. */
const kubeconfigOf = (podDir: string) => join(podDir, 'kube', 'config');

/** A pod's own user id where Berth is root: from its cluster and uid, above any account's, so no two pods (nor clusters) share one. */
const podUserId = (clusterId: string, uid: string) => 1_000_000 + (createHash('sha256').update(`${clusterId}/${uid}`).digest().readUInt32BE(0) % 1_000_000_000);

/** A pod's volumes, and whether its processes may write them (emptyDir) or only read them (what the kubelet writes). */
const podVolumes = (pod: KubeObject) =>
  ((pod.spec as { volumes?: Array<{ name: string; emptyDir?: object }> }).volumes ?? []).map((v) => ({ name: v.name, writable: v.emptyDir !== undefined }));

const stamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface WorkloadRuntimeOptions {
  db: Db;
  store: KubeObjectStore;
  box: SecretBox;
  /** Berth's CA: it signs the clusters' API endpoint, which workloads call. */
  caPem: string;
  /** A private folder (in Berth's home) for the pods' files: volumes, Secrets included, logs, kubeconfigs. */
  dir: string;
  /** Where the clusters' Services are served locally: what pods' service variables name. */
  loadBalancers: LocalLoadBalancers;
  /** How long pods' service-account tokens live (POD_TOKEN_LIFETIME_MS). */
  podTokenLifetimeMs?: number;
  /** How pods run: in sandboxes, or (the operator's explicit choice) as plain child processes. */
  isolation: WorkloadIsolation;
  /** Pods that run for real at once; more wait, Pending, for a place (`--max-running-pods`). */
  maxRunningPods: number;
  log?: { warn(obj: object, msg: string): void };
}

/** The service account a pod runs as: its `serviceAccountName` (or the older `serviceAccount`), else `default`. */
function serviceAccountOf(pod: KubeObject): ServiceAccountRef {
  return { namespace: pod.metadata.namespace!, name: podServiceAccountName(pod.spec) };
}

/**
 * The local cloud's kubelet: runs the pods it can (see runnable.ts) as child
 * processes of `berth up`, each with its own loopback address (its podIP), its
 * volumes as files in a private folder, its environment, probes and restarts,
 * and reports their state in the pods' status. Started pods are stopped when
 * their pod is deleted, their cluster goes, or Berth stops.
 */
export class WorkloadRuntime {
  private readonly pods = new Map<string, PodRun>();
  private readonly waiting = new Map<string, WaitingPod>();
  /** The running pods by address: what a pod's bridge lets it reach, and hands connections to. */
  private readonly podIps = new Map<string, PodRun>();
  private readonly addresses = new LoopbackAddresses();
  private readonly statusQueue: WorkQueue;
  /** Per pod, renews its token before it expires. */
  private readonly tokenQueue: WorkQueue;
  private readonly onChange = (change: ObjectChange) => this.observe(change);
  private root = '';
  private apiUrl = '';
  /** Where pods reach their cluster's API (the address Berth listens on, as a pod's bridge sees it): read once from apiUrl. */
  private api = { host: '', port: 0 };
  private bridges = 0;
  private closing = false;

  constructor(private readonly options: WorkloadRuntimeOptions) {
    // A Service's local port hands a connection straight to a sandboxed pod's bridge, rather than through loopback TCP.
    options.loadBalancers.handOverTo((host, port, client) =>
      Boolean(this.podIps.get(host)?.bridge?.take(port, client, { address: client.remoteAddress ?? '', port: client.remotePort ?? 0 })),
    );
    this.statusQueue = new WorkQueue({
      reconcile: (key) => this.writeStatus(key),
      debounceMs: 10,
      backoff: { baseMs: 100, maxMs: 5000 },
      onError: (key, err) => options.log?.warn({ err, key }, 'pod status write failed; retrying'),
    });
    this.tokenQueue = new WorkQueue({
      reconcile: (key) => this.renewToken(key),
      backoff: { baseMs: 1000, maxMs: 30_000 },
      onError: (key, err) => options.log?.warn({ err: String(err), key }, 'could not renew a pod token; retrying'),
    });
  }

  readonly runsForReal = isRunnable;

  /** Starts every runnable pod the clusters hold (after a restart of Berth, say), then follows changes. */
  async start(apiUrl: string): Promise<void> {
    this.apiUrl = apiUrl;
    const api = new URL(apiUrl);
    this.api = {
      host: ['localhost', '0.0.0.0', '[::]'].includes(api.hostname) ? '127.0.0.1' : api.hostname.replace(/^\[|\]$/g, ''),
      port: Number(api.port || 443),
    };
    // One folder per process: several `berth up` may share a home. What a process that died left (Secrets as files) goes.
    await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
    for (const entry of await readdir(this.options.dir)) if (!ownerAlive(entry)) await rm(join(this.options.dir, entry), { recursive: true, force: true });
    this.root = join(this.options.dir, String(process.pid));
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    this.options.store.on('change', this.onChange);
    for (const row of await listKubeClusters(this.options.db)) {
      for (const pod of (await this.options.store.list(row.cluster_id, PODS)).items) this.podChanged(row.cluster_id, pod);
    }
  }

  async stop(): Promise<void> {
    this.closing = true;
    this.options.store.off('change', this.onChange);
    this.waiting.clear();
    await Promise.all([...this.pods.keys()].map((key) => this.stopPod(key, SHUTDOWN_GRACE_MS)));
    await this.statusQueue.shutdown();
    await this.tokenQueue.shutdown();
    if (this.options.isolation.kind === 'sandboxed') await this.options.isolation.cgroups?.close();
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }

  /** Stops the pods of a cluster that is being deleted (its objects go without change events). */
  async stopCluster(clusterId: string): Promise<void> {
    for (const [key, w] of this.waiting) if (w.clusterId === clusterId) this.waiting.delete(key);
    const keys = [...this.pods.entries()].filter(([, p]) => p.clusterId === clusterId).map(([k]) => k);
    await Promise.all(keys.map((key) => this.stopPod(key, SHUTDOWN_GRACE_MS)));
  }

  /** A running pod's container log file (of the current start, or the previous one); undefined when the pod does not run here. */
  logFile(clusterId: string, namespace: string, name: string, container: string | undefined, previous: boolean): { path?: string } | undefined {
    const run = this.pods.get(podKey(clusterId, namespace, name));
    if (!run) return undefined;
    const c = container === undefined ? run.containers[0] : run.containers.find((x) => x.spec.name === container);
    if (!c) return undefined;
    return { path: c.logFile(previous) };
  }

  private observe(change: ObjectChange): void {
    const { clusterId, resource, namespace, name, object } = change;
    if (resource === PODS) {
      if (change.type === 'DELETED') {
        if (this.waiting.get(podKey(clusterId, namespace, name))?.uid === object.metadata.uid) this.waiting.delete(podKey(clusterId, namespace, name));
        const run = this.pods.get(podKey(clusterId, namespace, name));
        if (run && run.uid === object.metadata.uid) void this.stopPod(podKey(clusterId, namespace, name), run.graceMs);
      } else this.podChanged(clusterId, object);
    } else if (resource === CONFIGMAPS || resource === SECRETS) {
      this.sourceChanged(clusterId, namespace, resource === CONFIGMAPS ? 'ConfigMap' : 'Secret', name);
    }
  }

  private podChanged(clusterId: string, pod: KubeObject): void {
    const { namespace, name, uid } = pod.metadata;
    const key = podKey(clusterId, namespace!, name!);
    const run = this.pods.get(key);
    if (run && run.uid === uid) {
      this.statusQueue.add(key);
      return;
    }
    if (!isBound(pod) || pod.metadata.deletionTimestamp || !isRunnable(podSpecOf(pod))) return;
    // A pod of the same name made anew: the old one's processes stop, the new one's start (each run is in the map from its first moment, so no change starts a pod twice).
    if (run) void this.stopPod(key, run.graceMs);
    if (this.waiting.get(key)?.uid === uid) return;
    // Every pod queues for a place, first come first served; one that gets none at once is Pending and says why (writeStatus).
    this.waiting.delete(key);
    this.waiting.set(key, { clusterId, uid: uid!, pod });
    this.statusQueue.add(key);
    this.admitWaiting();
  }

  /** Starts the pods that waited longest, while there are places (a started pod holds its place from its first moment). */
  private admitWaiting(): void {
    for (const [key, w] of this.waiting) {
      if (this.closing || this.pods.size >= this.options.maxRunningPods) return;
      this.waiting.delete(key);
      this.startPod(w.clusterId, w.pod).catch((err) => this.options.log?.warn({ err, pod: key }, 'could not start a pod'));
    }
  }

  /** Whether a sandboxed pod of this cluster may connect here: its cluster's API, its cluster's Services and pods. */
  private egressAllowed(clusterId: string, host: string, port: number): boolean {
    if (host === this.api.host && port === this.api.port) return true;
    if (host === '127.0.0.1' && this.options.loadBalancers.servesPort(clusterId, port)) return true;
    return this.podIps.get(host)?.clusterId === clusterId;
  }

  /** Writes again the volumes of running pods that mount a ConfigMap or Secret that changed (as the kubelet refreshes them). */
  private sourceChanged(clusterId: string, namespace: string, kind: 'ConfigMap' | 'Secret', name: string): void {
    for (const [key, run] of this.pods) {
      if (run.clusterId !== clusterId || !key.startsWith(`${clusterId}/${namespace}/`)) continue;
      void this.options.store.get(clusterId, PODS, namespace, key.split('/')[2]).then(async (pod) => {
        if (!pod || pod.metadata.uid !== run.uid || (!run.volumesPending && !mountsSource(pod, kind, name))) return;
        await this.writeVolumes(run, pod).catch((err) => this.options.log?.warn({ err, pod: key }, 'could not refresh a pod volume'));
      });
    }
  }

  private sources(clusterId: string, pod: KubeObject): PodSources {
    const namespace = pod.metadata.namespace!;
    const { store } = this.options;
    return {
      configMap: (name) => store.get(clusterId, CONFIGMAPS, namespace, name),
      secret: (name) => store.get(clusterId, SECRETS, namespace, name),
    };
  }

  /**
   * A token of the pod's service account bound to the pod (it stops working when either goes), as the kubelet
   * requests one; sets when to renew it: at 80% of its lifetime, as the kubelet does.
   */
  private async podToken(run: PodRun, pod: KubeObject): Promise<string> {
    const account = serviceAccountOf(pod);
    const sa = await this.options.store.get(run.clusterId, SERVICE_ACCOUNTS, account.namespace, account.name);
    if (!sa) throw new ContainerConfigError(`serviceaccount "${account.name}" not found`);
    const lifetimeMs = this.options.podTokenLifetimeMs ?? POD_TOKEN_LIFETIME_MS;
    const now = Date.now();
    const token = serviceAccountToken(
      this.options.box,
      run.clusterId,
      { account, accountUid: sa.metadata.uid!, object: { kind: 'Pod', name: pod.metadata.name!, uid: run.uid } },
      new Date(now + lifetimeMs),
    );
    run.tokenRenewAt = now + lifetimeMs * 0.8;
    this.tokenQueue.add(podKey(run.clusterId, account.namespace, pod.metadata.name!), { delayMs: run.tokenRenewAt - now });
    return token;
  }

  /** Writes a new token into the pod's service-account files and kubeconfig when the old one is due for renewal. */
  private async renewToken(key: string): Promise<ReconcileResult | void> {
    const run = this.pods.get(key);
    if (!run || run.stopped || run.tokenRenewAt === undefined) return;
    if (Date.now() < run.tokenRenewAt) return { requeueAfterMs: run.tokenRenewAt - Date.now() };
    const [clusterId, namespace, name] = key.split('/');
    const pod = await this.options.store.get(clusterId, PODS, namespace, name);
    if (!pod || pod.metadata.uid !== run.uid) return;
    const token = await this.podToken(run, pod);
    await writeServiceAccountFiles(run.dir, pod, { token, caPem: this.options.caPem }, run.user);
    await this.writeKubeconfig(run, token);
  }

  /**
   * The pod's KUBECONFIG, `kube/config`, written whole (a new file, the pod's, renamed over the old one), so a
   * process that reads it while its token is renewed never sees half of it; its folder is what the sandbox mounts.
   */
  private async writeKubeconfig(run: PodRun, token: string): Promise<void> {
    const path = kubeconfigOf(run.dir);
    await makeFolder(dirname(path), run.user);
    await writeFile(`${path}.tmp`, this.kubeconfig(run.clusterId, token, run.dir), { mode: 0o600 });
    if (run.user !== undefined) await lchown(`${path}.tmp`, run.user, run.user);
    await rename(`${path}.tmp`, path);
  }

  private async writeVolumes(run: PodRun, pod: KubeObject): Promise<void> {
    try {
      const token = await this.podToken(run, pod);
      await writePodVolumes(run.dir, pod, this.sources(run.clusterId, pod), { token, caPem: this.options.caPem }, run.user);
      await this.writeKubeconfig(run, token);
      run.volumesPending = false;
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      run.volumesPending = true;
      throw err;
    }
  }

  private async startPod(clusterId: string, pod: KubeObject): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    const key = podKey(clusterId, namespace!, name!);
    const spec = pod.spec as { containers: Container[]; restartPolicy?: string; terminationGracePeriodSeconds?: number; nodeName?: string };
    const previousIp = (pod.status as { podIP?: string } | undefined)?.podIP;
    const ip = this.addresses.allocate(uid!, previousIp);
    const dir = join(this.root, clusterId, `${namespace}_${name}_${uid}`);
    const { isolation } = this.options;
    const run: PodRun = {
      clusterId,
      uid: uid!,
      ip,
      dir,
      containers: [],
      graceMs: (spec.terminationGracePeriodSeconds ?? 30) * 1000,
      volumesPending: false,
      ...(isolation.kind === 'sandboxed' && process.getuid?.() === 0 ? { user: podUserId(clusterId, uid!) } : {}),
      stopped: false,
    };
    this.pods.set(key, run);
    this.podIps.set(ip, run);
    for (const folder of ['logs', 'volumes']) await mkdir(join(dir, folder), { recursive: true, mode: 0o700 });
    // Its home (which it writes) and /etc are its own from the start; Berth never writes either again.
    for (const folder of ['home', 'etc']) await makeFolder(join(dir, folder), run.user);
    await this.writeEtc(run, name!);
    const kubeconfigPath = kubeconfigOf(dir);
    const bridgeDir = join(this.root, 'net', String(++this.bridges));
    if (isolation.kind === 'sandboxed') {
      // Its own short folder: a Unix socket's path has at most 107 bytes. Berth's, so the pod cannot replace the socket.
      await mkdir(bridgeDir, { recursive: true, mode: 0o755 });
      const bridge = new PodNetworkBridge(
        ip,
        join(bridgeDir, 'bridge.sock'),
        (host, port) => this.egressAllowed(clusterId, host, port),
        (podIp) => this.podIps.get(podIp)?.bridge,
        this.options.log,
      );
      await bridge.start();
      // Stopped while its bridge was starting: stopPod could not close what it did not know of yet.
      if (run.stopped) {
        await bridge.stop();
        await rm(bridgeDir, { recursive: true, force: true });
        return;
      }
      run.bridge = bridge;
    }
    // Written once here, again when what they hold changes (sourceChanged); a missing source is retried at each container start.
    await this.writeVolumes(run, pod).catch((err) => {
      if (!(err instanceof ContainerConfigError)) throw err;
    });
    // Stopped meanwhile (deleted, its cluster gone, Berth stopping): nothing starts.
    if (run.stopped) return;
    const sources = this.sources(clusterId, pod);
    const fields = {
      'metadata.name': name,
      'metadata.namespace': namespace,
      'metadata.uid': uid,
      'spec.nodeName': spec.nodeName,
      'spec.serviceAccountName': serviceAccountOf(pod).name,
      'status.podIP': ip,
      'status.hostIP': (pod.status as { hostIP?: string } | undefined)?.hostIP,
    };
    const serviceEnv = (spec as { enableServiceLinks?: boolean }).enableServiceLinks === false ? {} : this.serviceVariables(clusterId, namespace!);
    for (const container of spec.containers) {
      const paths = pathMap(dir, container.volumeMounts ?? []);
      const prepare = async () => {
        if (run.volumesPending) await this.writeVolumes(run, pod);
        const env = await containerEnv(pod, container, sources, fields);
        for (const k of Object.keys(env)) env[k] = hostPath(paths, env[k]);
        return {
          args: [...container.command!.slice(1), ...(container.args ?? [])].map((a) => hostPath(paths, a)),
          cwd: container.workingDir ? hostPath(paths, container.workingDir) : join(dir, 'home'),
          // Nothing of Berth's own environment: a workload gets its pod's variables and what running node needs.
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: join(dir, 'home'),
            HOSTNAME: name!,
            KUBECONFIG: kubeconfigPath,
            ...serviceEnv,
            ...env,
            BERTH_POD_IP: ip,
          },
        };
      };
      const launcher =
        isolation.kind === 'sandboxed'
          ? sandboxedLauncher(
              {
                sandbox: isolation.sandbox,
                cgroups: isolation.cgroups,
                uid: run.user,
                hostname: name!,
                // At the paths Berth writes them to, so that the paths it gives (volume mounts, KUBECONFIG) hold inside too.
                mounts: [
                  { source: join(dir, 'home'), target: join(dir, 'home') },
                  // A ConfigMap's or Secret's files are the kubelet's to write: read-only, as Kubernetes mounts them.
                  ...podVolumes(pod).map((v) => ({ source: join(dir, 'volumes', v.name), target: join(dir, 'volumes', v.name), readOnly: !v.writable })),
                  { source: join(dir, 'serviceaccount'), target: join(dir, 'serviceaccount'), readOnly: true },
                  { source: dirname(kubeconfigPath), target: dirname(kubeconfigPath), readOnly: true },
                  { source: join(dir, 'etc'), target: '/etc', readOnly: true },
                ],
                bridgeDir,
                cgroupName: `${uid}-${container.name}`,
              },
              container,
            )
          : unsandboxedLauncher(container);
      run.containers.push(
        new ContainerRun(
          container,
          ip,
          spec.restartPolicy ?? 'Always',
          (n) => join(dir, 'logs', `${container.name}.${n}.log`),
          prepare,
          launcher,
          () => this.statusQueue.add(key),
        ),
      );
    }
    this.statusQueue.add(key);
    await Promise.all(run.containers.map((c) => c.start()));
  }

  private async stopPod(key: string, graceMs: number): Promise<void> {
    const run = this.pods.get(key);
    if (!run) return;
    this.pods.delete(key);
    run.stopped = true;
    await Promise.all(run.containers.map((c) => c.stop(graceMs)));
    if (run.bridge) {
      await run.bridge.stop();
      await rm(dirname(run.bridge.path), { recursive: true, force: true });
    }
    this.podIps.delete(run.ip);
    this.addresses.release(run.ip);
    // A volume refresh may still be writing into it: tried again, as Node retries a folder not yet empty.
    await rm(run.dir, { recursive: true, force: true, maxRetries: 5 });
    this.admitWaiting();
  }

  /** The pod's /etc: its name and `localhost` in hosts, and its user in passwd and group (what `os.userInfo()` reads). */
  private async writeEtc(run: PodRun, name: string): Promise<void> {
    const user = run.user ?? process.getuid?.() ?? 0;
    const files = {
      hosts: `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${run.ip}\t${name}\n`,
      passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\n${user === 0 ? '' : `pod:x:${user}:${user}:pod:${join(run.dir, 'home')}:/usr/sbin/nologin\n`}`,
      group: `root:x:0:\n${user === 0 ? '' : `pod:x:${user}:\n`}`,
    };
    for (const [file, content] of Object.entries(files)) {
      await writeFile(join(run.dir, 'etc', file), content, { mode: 0o644 });
      if (run.user !== undefined) await lchown(join(run.dir, 'etc', file), run.user, run.user);
    }
  }

  /**
   * The variables Kubernetes gives a pod for each Service of its namespace (`<NAME>_SERVICE_HOST`,
   * `_SERVICE_PORT`, `_SERVICE_PORT_<PORT>`, `_PORT`), naming where the Service is served on this
   * machine: 127.0.0.1 and its local port, not the cloud-like cluster IP, which nothing answers.
   */
  private serviceVariables(clusterId: string, namespace: string): Record<string, string> {
    const env: Record<string, string> = {};
    const upper = (text: string) => text.toUpperCase().replace(/-/g, '_');
    for (const { service, ports } of this.options.loadBalancers.servicePorts(clusterId, namespace)) {
      const prefix = upper(service);
      env[`${prefix}_SERVICE_HOST`] = '127.0.0.1';
      env[`${prefix}_SERVICE_PORT`] = String(ports[0].localPort);
      env[`${prefix}_PORT`] = `tcp://127.0.0.1:${ports[0].localPort}`;
      for (const p of ports) if (!/^\d+$/.test(p.name)) env[`${prefix}_SERVICE_PORT_${upper(p.name)}`] = String(p.localPort);
    }
    return env;
  }

  /**
   * How a workload reaches its cluster's API: the local API's `/clusters/<id>` URL, Berth's CA, the pod's token,
   * and its token file, which clients that re-read it (kubectl, the front end) follow as it is renewed.
   */
  private kubeconfig(clusterId: string, token: string, dir: string): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'in-cluster',
          cluster: { server: `${this.apiUrl}/clusters/${clusterId}`, 'certificate-authority-data': Buffer.from(this.options.caPem).toString('base64') },
        },
      ],
      users: [{ name: 'service-account', user: { token, tokenFile: join(dir, 'serviceaccount', 'token') } }],
      contexts: [{ name: 'in-cluster', context: { cluster: 'in-cluster', user: 'service-account' } }],
      'current-context': 'in-cluster',
    });
  }

  /** A pod waiting for a place: Pending, and its status says why and what frees one. */
  private async writeWaitingStatus(key: string): Promise<void> {
    const waiting = this.waiting.get(key);
    if (!waiting) return;
    const [clusterId, namespace, name] = key.split('/');
    const pod = await this.options.store.get(clusterId, PODS, namespace, name);
    if (!pod || pod.metadata.uid !== waiting.uid) return;
    const max = this.options.maxRunningPods;
    const message = `berth up runs at most ${max} pods for real at once (--max-running-pods ${max}): this pod starts when one of them stops.`;
    const previous = (pod.status ?? {}) as { containerStatuses?: Array<{ name: string }> };
    const status = {
      ...(pod.status as object | undefined),
      phase: 'Pending',
      reason: 'MaxRunningPods',
      message,
      containerStatuses: (previous.containerStatuses ?? []).map((c) => ({
        ...c,
        ready: false,
        started: false,
        state: { waiting: { reason: 'MaxRunningPods', message } },
      })),
    };
    if (isDeepStrictEqual(status, pod.status)) return;
    await unlessRaced(this.options.store.replace(clusterId, PODS, { ...pod, status }, pod.metadata.resourceVersion));
  }

  /** The pod's status from its containers' states, written when it differs from the stored one. */
  private async writeStatus(key: string): Promise<void> {
    const run = this.pods.get(key);
    if (!run) return this.writeWaitingStatus(key);
    // Still being set up: its containers, and so its status, are not known yet.
    if (run.containers.length === 0) return;
    const [clusterId, namespace, name] = key.split('/');
    const pod = await this.options.store.get(clusterId, PODS, namespace, name);
    if (!pod || pod.metadata.uid !== run.uid) return;
    const previous = (pod.status ?? {}) as { conditions?: Condition[]; startTime?: string; hostIP?: string };
    const containersReady = run.containers.every((c) => c.ready);
    const anyStarted = run.containers.some((c) => c.running || c.restartCount > 0 || 'terminated' in c.state);
    const allDone = run.containers.every((c) => !c.running && 'terminated' in c.state);
    const phase = allDone
      ? run.containers.every((c) => 'terminated' in c.state && c.state.terminated.exitCode === 0)
        ? 'Succeeded'
        : 'Failed'
      : anyStarted
        ? 'Running'
        : 'Pending';
    const condition = (type: string, ok: boolean): Condition => {
      const before = previous.conditions?.find((c) => c.type === type);
      const status = ok ? 'True' : 'False';
      return {
        type,
        status,
        ...(ok ? {} : { reason: 'ContainersNotReady' }),
        lastTransitionTime: before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : stamp(),
      };
    };
    const status = {
      phase,
      conditions: [
        condition('PodScheduled', true),
        condition('Initialized', true),
        condition('Ready', containersReady),
        condition('ContainersReady', containersReady),
      ],
      ...(previous.hostIP ? { hostIP: previous.hostIP } : {}),
      podIP: run.ip,
      podIPs: [{ ip: run.ip }],
      startTime: previous.startTime ?? stamp(),
      containerStatuses: run.containers.map((c) => ({
        name: c.spec.name,
        image: c.spec.image,
        imageID: '',
        ready: c.ready,
        started: c.running,
        restartCount: c.restartCount,
        state: c.state satisfies ContainerState,
        ...(c.lastState ? { lastState: c.lastState } : {}),
      })),
      qosClass: 'Burstable',
    };
    if (isDeepStrictEqual(status, pod.status)) return;
    await unlessRaced(this.options.store.replace(clusterId, PODS, { ...pod, status }, pod.metadata.resourceVersion));
  }
}
