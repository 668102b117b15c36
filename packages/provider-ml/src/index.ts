import type { FastifyInstance } from 'fastify';
import type { ResourceProvider } from '@berth/front-door';
import { DriftReconciler, uninstall } from '@berth/installer';
import type { CertificateAuthority, SecretBox } from '@berth/pki';
import type { Db } from '@berth/store';
import { CloudAccess, type ContainerServiceSettings } from './computes/cloud-access.js';
import { computeOperationHandlers, driftTargetOf, ensureAutoCertificate, saveCompute, type ComputeRuntime } from './computes/compute-operations.js';
import { computeRoutes } from './computes/compute-routes.js';
import { clusterLinkOf } from './computes/linked-authorization.js';
import type { ComputeBody } from '@berth/shapes';
import { ComputeSecrets } from './computes/compute-state.js';
import { workspaceOperationHandlers } from './workspaces/workspace-operations.js';
import { ML_API_VERSIONS, workspaceRoutes } from './workspaces/workspace-routes.js';
import { COMPUTE_TYPE, computes, NAMESPACE } from './repositories.js';

export { ML_API_VERSIONS } from './workspaces/workspace-routes.js';
export { NAMESPACE, WORKSPACE_TYPE } from './repositories.js';
export type { ContainerServiceSettings } from './computes/cloud-access.js';

export interface MachineLearningOptions {
  db: Db;
  settings: { provisioningDelayMs: number };
  box: SecretBox;
  /** Issues the certificates of `Auto` TLS computes (R8). */
  ca: CertificateAuthority;
  containerService: ContainerServiceSettings;
  /** Addresses Berth calls clusters from; clusters with authorized IP ranges must admit one (R10). */
  controlPlaneAddresses: string[];
  frontEndImage: string;
  /** The router's bundled source the installer ships in a ConfigMap (`@berth/inference-frontend`). */
  frontEndRouter: string;
  /** DNS zone of generated TLS host names: `<label>######.<region>.cloudapp.<zone>`. */
  cloudappZone: string;
  readyTimeoutMs?: number;
  /** How often the drift reconciler re-applies every compute's objects, catching missed watch events. */
  resyncIntervalMs?: number;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

export interface MachineLearningProvider extends ResourceProvider {
  /** Starts watching every installed compute for drift and renewing generated certificates. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const RENEWAL_CHECK_MS = 6 * 3_600_000;

/** The `Microsoft.MachineLearningServices` provider: workspaces and their AKS computes. */
export function machineLearningProvider(options: MachineLearningOptions): MachineLearningProvider {
  // Each reconcile reads the compute from the store: runtime is set by the time the first one runs.
  const reconciler = new DriftReconciler({
    loadSpec: (idKey) => driftTargetOf(runtime, options.db, idKey),
    resyncIntervalMs: options.resyncIntervalMs,
    log: options.log,
  });
  const secrets = new ComputeSecrets(options.db, options.box);
  const runtime: ComputeRuntime = {
    cloud: new CloudAccess(options.containerService),
    secrets,
    reconciler,
    ca: options.ca,
    settings: {
      frontEndImage: options.frontEndImage,
      frontEndRouter: options.frontEndRouter,
      cloudappZone: options.cloudappZone,
      readyTimeoutMs: options.readyTimeoutMs ?? 300_000,
    },
  };
  let renewal: NodeJS.Timeout | undefined;

  async function installedComputes(): Promise<ComputeBody[]> {
    const all: ComputeBody[] = [];
    let after: string | undefined;
    for (;;) {
      const found = await computes.list(options.db, {}, { after, limit: 500 });
      all.push(...found.map((c) => c.body).filter((c) => c.properties.provisioningState === 'Succeeded'));
      if (found.length < 500) return all;
      after = found[found.length - 1].row.id_key;
    }
  }

  /** Renews `Auto` certificates nearing expiry and has drift repair reconcile every installed compute (so it watches them after a restart). */
  async function resync(): Promise<void> {
    for (const body of await installedComputes()) {
      const key = body.id.toLowerCase();
      await ensureAutoCertificate(runtime, key, body);
      void reconciler.reconcile(key);
    }
  }

  return {
    namespace: NAMESPACE,
    async routes(app: FastifyInstance) {
      await app.register(workspaceRoutes);
      await app.register(computeRoutes({ runtime, controlPlaneAddresses: options.controlPlaneAddresses }));
    },
    operationHandlers: [...workspaceOperationHandlers(options.settings), ...computeOperationHandlers(runtime)],
    // Workspaces and computes share one api-version check; the front door's operation status routes answer any version.
    resourceTypes: ['workspaces', 'workspaces/computes', 'locations/operationStatuses', 'locations/operationResults'].map((resourceType) => ({
      resourceType,
      apiVersions: ML_API_VERSIONS,
    })),
    deleteHooks: {
      // A resource group deletion takes its workspaces' computes with it: remove what Berth installed first.
      [COMPUTE_TYPE.toLowerCase()]: async (db, row) => {
        const body = computes.codec.parse(row.body);
        // Drift repair must see the compute going before uninstall, or it would put back what uninstall removes.
        await saveCompute(db, row.id_key, (b) => {
          b.properties.provisioningState = 'Deleting';
        });
        await reconciler.reconcile(body.id);
        const kubeconfig = await secrets.get(row.id_key, 'adminKubeConfig');
        if (kubeconfig)
          await uninstall(kubeconfig, body.id).catch((err: unknown) =>
            options.log?.warn({ err, compute: body.id }, 'uninstall during resource group deletion failed'),
          );
      },
    },
    // The hook above acts on each compute's cluster, which an attached compute may have in another group.
    deleteLinkedScopes: { [COMPUTE_TYPE.toLowerCase()]: async (_db, row) => clusterLinkOf(computes.codec.parse(row.body)) },
    async start() {
      await resync().catch((err) => options.log?.warn({ err }, 'resync of installed computes failed'));
      renewal = setInterval(() => void resync().catch((err) => options.log?.warn({ err }, 'resync of installed computes failed')), RENEWAL_CHECK_MS);
      renewal.unref();
    },
    async stop() {
      if (renewal) clearInterval(renewal);
      await reconciler.stop();
    },
  };
}
