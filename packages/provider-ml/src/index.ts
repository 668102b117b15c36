import type { FastifyInstance } from 'fastify';
import type { ResourceProvider } from '@berth/front-door';
import { DriftReconciler, uninstall } from '@berth/installer';
import type { CertificateAuthority, SecretBox } from '@berth/pki';
import { listResources, type Db } from '@berth/store';
import { CloudAccess, type ContainerServiceSettings } from './computes/cloud-access.js';
import { computeOperationHandlers, ensureAutoCertificate, installSpecOf, type ComputeRuntime } from './computes/compute-operations.js';
import { COMPUTE_TYPE, computeRoutes } from './computes/compute-routes.js';
import type { ComputeBody } from './computes/compute-schemas.js';
import { ComputeSecrets } from './computes/compute-state.js';
import { workspaceOperationHandlers } from './workspaces/workspace-operations.js';
import { NAMESPACE, workspaceRoutes } from './workspaces/workspace-routes.js';

export { ML_API_VERSIONS, NAMESPACE, WORKSPACE_TYPE } from './workspaces/workspace-routes.js';
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
  const reconciler = new DriftReconciler({ resyncIntervalMs: options.resyncIntervalMs, log: options.log });
  const secrets = new ComputeSecrets(options.db, options.box);
  const runtime: ComputeRuntime = {
    cloud: new CloudAccess(options.containerService),
    secrets,
    reconciler,
    ca: options.ca,
    settings: { frontEndImage: options.frontEndImage, cloudappZone: options.cloudappZone, readyTimeoutMs: options.readyTimeoutMs ?? 300_000 },
  };
  let renewal: NodeJS.Timeout | undefined;

  async function installedComputes(): Promise<ComputeBody[]> {
    const all: ComputeBody[] = [];
    let after: string | undefined;
    for (;;) {
      const rows = await listResources(options.db, { typeKey: COMPUTE_TYPE.toLowerCase() }, { after, limit: 500 });
      all.push(...rows.map((r) => JSON.parse(r.body) as ComputeBody).filter((c) => c.properties.provisioningState === 'Succeeded'));
      if (rows.length < 500) return all;
      after = rows[rows.length - 1].id_key;
    }
  }

  /** Tracks every installed compute (after a restart) and renews `Auto` certificates nearing expiry. */
  async function resync(): Promise<void> {
    for (const body of await installedComputes()) {
      const key = body.id.toLowerCase();
      const kubeconfig = await secrets.get(key, 'adminKubeConfig');
      if (!kubeconfig) continue;
      await ensureAutoCertificate(runtime, key, body);
      reconciler.track({ spec: await installSpecOf(runtime, key, body), kubeconfig });
    }
  }

  return {
    namespace: NAMESPACE,
    async routes(app: FastifyInstance) {
      await app.register(workspaceRoutes);
      await app.register(computeRoutes({ runtime, controlPlaneAddresses: options.controlPlaneAddresses }));
    },
    operationHandlers: [...workspaceOperationHandlers(options.settings), ...computeOperationHandlers(runtime)],
    deleteHooks: {
      // A resource group deletion takes its workspaces' computes with it: remove what Berth installed first.
      [COMPUTE_TYPE.toLowerCase()]: async (_db, row) => {
        const body = JSON.parse(row.body) as ComputeBody;
        await reconciler.untrack(body.id);
        const kubeconfig = await secrets.get(row.id_key, 'adminKubeConfig');
        if (kubeconfig) await uninstall(kubeconfig, body.id).catch((err: unknown) => options.log?.warn({ err, compute: body.id }, 'uninstall during resource group deletion failed'));
      },
    },
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
