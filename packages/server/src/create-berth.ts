import { berthPermittedNames, loadOrCreateCa, loadOrCreateSecretBox, loadOrCreateServerCertificate } from '@berth/pki';
import { createLocalCloud, planWorkloads } from '@berth/local-cloud';
import { readFrontEndBundle } from '@berth/inference-frontend';
import { isPostgresUrl, openStore, type Store } from '@berth/store';
import { OperationsEngine } from '@berth/operations';
import { bootstrapStore, buildApp, type BerthContext, type HttpLimits } from '@berth/front-door';
import { machineLearningProvider } from '@berth/provider-ml';
import type { TokenCredential } from '@azure/core-auth';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { join } from 'node:path';
import { createPrivateFile, homeFiles, loadOrCreateAdminToken, loadOrCreateTokenSigningKey, secureHome, writeHomeConfig } from './home-folder.js';

export interface BerthOptions {
  home: string;
  host: string;
  port: number;
  /** SQLite file path or `postgres://` URL; defaults to `<home>/berth.db`. */
  store?: string;
  provisioningDelayMs: number;
  logLevel: string;
  leaseMs?: number;
  /** ContainerService API the ML provider creates clusters through; default: the local cloud at Berth's own URL. */
  containerServiceEndpoint?: string;
  /**
   * How Berth signs in to that API: `azure` (default with an endpoint), with @azure/identity's
   * DefaultAzureCredential and the system's CAs; `local`, with its own admin token and CA, for its
   * own local cloud reached at another address (behind a proxy, say).
   */
  containerServiceAuth?: 'azure' | 'local';
  /** Addresses clusters see Berth's calls come from (R10). */
  controlPlaneAddresses?: string[];
  frontEndImage?: string;
  cloudappZone?: string;
  resyncIntervalMs?: number;
  /** The address clients reach Berth at (behind a proxy, say); links and kubeconfigs use it. Default: from host and port. */
  publicUrl?: string;
  /**
   * Whether the local cloud runs pods of Node.js images for real: in sandboxes (true or 'sandboxed', the
   * default; where none can be made, pods are simulated and say why), without one ('unsandboxed': the
   * code a cluster's users deploy then runs as Berth's user), or not at all (false).
   */
  runWorkloads?: boolean | 'sandboxed' | 'unsandboxed';
  /** Pods that run for real at once; more wait, Pending (default: what half the machine's memory holds at 256 MiB each). */
  maxRunningPods?: number;
  /** How long running pods' service-account tokens live (1 hour; the kubelet renews them at 80%). */
  podTokenLifetimeMs?: number;
  /** Request timeout and per-address connection cap of the HTTPS port. */
  limits?: Partial<HttpLimits>;
}

export interface RunningBerth {
  url: string;
  app: FastifyInstance;
  store: Store;
  engine: OperationsEngine;
  /** Stops accepting requests, lets in-flight ones finish, and leaves operations resumable. */
  close(): Promise<void>;
}

/** How long requests and watches in flight get to finish at shutdown. */
const SHUTDOWN_GRACE_MS = 5000;

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Microsoft's own sign-in hosts: MSAL's instance discovery knows them; any other authority is a self-hosted cloud. */
const MICROSOFT_AUTHORITIES = /^https:\/\/login\.(microsoftonline\.(com|us)|chinacloudapi\.cn)\/?$/i;

/**
 * How Berth signs in to a real ContainerService API: as every Azure SDK client does, with
 * `DefaultAzureCredential` (AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / AZURE_TENANT_ID, a workload or
 * managed identity, or the Azure CLI's login). For a self-hosted cloud (AZURE_AUTHORITY_HOST, e.g.
 * another Berth), instance discovery is off: it would ask Microsoft about an authority it cannot know.
 * Loaded only then: @azure/identity is large, and the local cloud never needs it.
 */
async function azureCredential(): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import('@azure/identity');
  const authority = process.env.AZURE_AUTHORITY_HOST;
  return new DefaultAzureCredential(authority && !MICROSOFT_AUTHORITIES.test(authority) ? { disableInstanceDiscovery: true } : {});
}

/**
 * The composition root: home folder, CA, store, operations engine, the local cloud,
 * the machine-learning provider and the HTTPS front door, assembled and listening.
 */
export async function createBerth(options: BerthOptions): Promise<RunningBerth> {
  await secureHome(options.home);
  const caNames = berthPermittedNames({ host: options.host, publicUrl: options.publicUrl, cloudappZone: options.cloudappZone ?? 'azure.com' });
  const ca = await loadOrCreateCa(options.home, { permitted: caNames });
  const serverCert = await loadOrCreateServerCertificate(options.home, ca, options.host);
  const adminToken = await loadOrCreateAdminToken(options.home);
  const tokenSigningKey = await loadOrCreateTokenSigningKey(options.home);
  const box = await loadOrCreateSecretBox(options.home);
  const sqlitePath = options.store ?? join(options.home, homeFiles.database);
  if (!isPostgresUrl(sqlitePath)) await createPrivateFile(sqlitePath);
  const store = await openStore(sqlitePath);
  try {
    await bootstrapStore(store.db, adminToken);
    const logger = pino({ level: options.logLevel }, process.stderr);
    if (ca.notice) logger.warn(ca.notice);
    const mode = options.runWorkloads === true || options.runWorkloads === undefined ? 'sandboxed' : options.runWorkloads;
    const plan = await planWorkloads(mode, `berth-${process.pid}`);
    if ('off' in plan && mode !== false) logger.warn(`Workloads are off, every pod is simulated: ${plan.off}`);
    else if ('isolation' in plan && plan.isolation.kind === 'unsandboxed') {
      logger.warn("Workloads run unsandboxed (--run-workloads=unsandboxed): pods run as Berth's user and can read its home folder, its keys and its store.");
    } else if ('isolation' in plan && plan.isolation.kind === 'sandboxed' && plan.isolation.cgroupsMissing) {
      logger.warn(`Pods run sandboxed, but only their JavaScript heap is bounded by their memory limits: ${plan.isolation.cgroupsMissing}.`);
    }
    const engine = new OperationsEngine({ db: store.db, leaseMs: options.leaseMs, log: logger });
    const settings = { provisioningDelayMs: options.provisioningDelayMs };
    const localCloud = createLocalCloud({
      db: store.db,
      box,
      caPem: ca.certPem,
      settings,
      workloads: plan,
      maxRunningPods: options.maxRunningPods,
      podTokenLifetimeMs: options.podTokenLifetimeMs,
      workloadsDir: join(options.home, 'workloads'),
      log: logger,
    });
    let ownUrl = '';
    const machineLearning = machineLearningProvider({
      db: store.db,
      settings,
      box,
      ca,
      containerService:
        options.containerServiceEndpoint && (options.containerServiceAuth ?? 'azure') === 'azure'
          ? { endpoint: () => options.containerServiceEndpoint!, credential: await azureCredential() }
          : {
              endpoint: () => options.containerServiceEndpoint ?? ownUrl,
              // The local cloud is Berth itself: its own admin token, its own CA.
              credential: { getToken: async () => ({ token: adminToken, expiresOnTimestamp: Date.now() + 3_600_000 }) },
              ca: ca.certPem,
            },
      controlPlaneAddresses: options.controlPlaneAddresses ?? ['127.0.0.1'],
      frontEndImage: options.frontEndImage ?? 'node:20-alpine',
      frontEndRouter: await readFrontEndBundle(),
      cloudappZone: options.cloudappZone ?? 'azure.com',
      resyncIntervalMs: options.resyncIntervalMs,
      log: logger,
    });
    const context: BerthContext = { db: store.db, engine, publicUrl: options.publicUrl ?? '' };
    const app = await buildApp({
      context,
      providers: [machineLearning, ...localCloud.providers],
      tls: { key: serverCert.keyPem, cert: serverCert.certPem },
      logger,
      limits: options.limits,
      tokenSigningKey,
    });
    await app.listen({ host: options.host, port: options.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const url = `https://${urlHost(options.host)}:${port}`;
    ownUrl = url;
    context.publicUrl ||= url;
    await writeHomeConfig(options.home, { endpoint: url });
    engine.start();
    await localCloud.start(url);
    await machineLearning.start();
    return {
      url,
      app,
      store,
      engine,
      async close() {
        // Operation steps, drift watches and workloads call this server's own cluster APIs: stop them before it closes.
        await engine.stop();
        await machineLearning.stop();
        await localCloud.stop();
        // Watches held open by outside clients (kubectl -w) would keep close() waiting: they get a grace period.
        const grace = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        await app.close();
        clearTimeout(grace);
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
