import { ContainerServiceClient, restorePoller, type ManagedCluster } from '@azure/arm-containerservice';
import type { TokenCredential } from '@azure/core-auth';

/** Where the ContainerService API is and how to call it: the local cloud by default, real Azure when configured. */
export interface ContainerServiceSettings {
  /** Resolved lazily: the local cloud's endpoint is Berth's own URL, known once it listens. */
  endpoint(): string;
  credential: TokenCredential;
  /** CA to trust for the endpoint (Berth's ca.pem for the local cloud). */
  ca?: string;
}

/** Statuses a retry may cure: a timeout, a conflicting operation in progress, throttling. */
const TRANSIENT_4XX = new Set([408, 409, 429]);

/**
 * A ContainerService answer that no retry can change (a 4xx other than the
 * transient ones: the request is invalid, denied or names nothing): the
 * operation should fail at once with it rather than retry.
 */
export function cloudRefusal(err: unknown): { statusCode: number; code: string; message: string } | undefined {
  const e = err as { name?: string; statusCode?: number; code?: string; message?: string };
  if (e?.name !== 'RestError' || e.statusCode === undefined || e.statusCode < 400 || e.statusCode >= 500 || TRANSIENT_4XX.has(e.statusCode)) return undefined;
  return { statusCode: e.statusCode, code: e.code ?? 'CloudRequestRefused', message: e.message ?? `status ${e.statusCode}` };
}

/**
 * Clusters are reached only through the ContainerService API (the official
 * `@azure/arm-containerservice` client) and their Kubernetes API, so pointing
 * Berth at real AKS changes configuration, not code.
 */
export class CloudAccess {
  private readonly clients = new Map<string, ContainerServiceClient>();

  constructor(private readonly settings: ContainerServiceSettings) {}

  containerService(subscriptionId: string): ContainerServiceClient {
    let client = this.clients.get(subscriptionId);
    if (!client) {
      client = new ContainerServiceClient(this.settings.credential, subscriptionId, {
        endpoint: this.settings.endpoint(),
        ...(this.settings.ca ? { tlsOptions: { ca: this.settings.ca } } : {}),
        retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
      } as never);
      this.clients.set(subscriptionId, client);
    }
    return client;
  }

  /** Submits a create or update of a managed cluster; returns the poller's state to resume it from later. */
  async submitClusterPut(subscriptionId: string, group: string, name: string, cluster: ManagedCluster): Promise<string> {
    const poller = this.containerService(subscriptionId).managedClusters.createOrUpdate(group, name, cluster, { updateIntervalInMs: 250 });
    await poller.submitted();
    return poller.serialize();
  }

  async submitClusterDelete(subscriptionId: string, group: string, name: string): Promise<string> {
    const poller = this.containerService(subscriptionId).managedClusters.delete(group, name, { updateIntervalInMs: 250 });
    await poller.submitted();
    return poller.serialize();
  }

  /** Polls a submitted cluster operation once: done with its error (if it failed), or not yet. */
  async pollCluster(subscriptionId: string, state: string, kind: 'put' | 'delete'): Promise<{ done: boolean; error?: { code: string; message: string } }> {
    // An operation the cloud finished in its first answer (a 204 for a cluster already gone, a 200
    // for a no-op update) serializes without a polling configuration, which restorePoller refuses.
    const settled = (JSON.parse(state) as { state?: { status?: string; config?: object } }).state;
    if (settled?.status === 'succeeded' && Object.keys(settled.config ?? {}).length === 0) return { done: true };
    const client = this.containerService(subscriptionId);
    const source = kind === 'put' ? client.managedClusters.createOrUpdate : client.managedClusters.delete;
    const poller = restorePoller(client, state, source as never, { updateIntervalInMs: 250 });
    try {
      await poller.poll();
    } catch (err) {
      // core-lro reports a failed operation as "The long-running operation has failed. <code>. <message>".
      const message = (err as Error).message ?? String(err);
      const parsed = /has failed\. ([A-Za-z]+)\. ([\s\S]*)$/.exec(message);
      return {
        done: true,
        error: parsed ? { code: parsed[1], message: parsed[2] } : { code: (err as { code?: string }).code ?? 'ClusterOperationFailed', message },
      };
    }
    if (!poller.isDone) return { done: false };
    const state2 = poller.operationState as { status?: string; error?: { code?: string; message?: string } } | undefined;
    if (state2?.status === 'succeeded') return { done: true };
    return {
      done: true,
      error: { code: state2?.error?.code ?? 'ClusterOperationFailed', message: state2?.error?.message ?? `The cluster operation ended ${state2?.status}.` },
    };
  }

  async getCluster(subscriptionId: string, group: string, name: string): Promise<ManagedCluster | undefined> {
    try {
      return await this.containerService(subscriptionId).managedClusters.get(group, name);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  async kubeconfigs(subscriptionId: string, group: string, name: string): Promise<{ admin: string; user: string }> {
    const ms = this.containerService(subscriptionId).managedClusters;
    const [admin, user] = await Promise.all([ms.listClusterAdminCredentials(group, name), ms.listClusterUserCredentials(group, name)]);
    const decode = (r: { kubeconfigs?: Array<{ value?: Uint8Array | string }> }) => {
      const value = r.kubeconfigs?.[0]?.value;
      return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : Buffer.from(value ?? new Uint8Array()).toString('utf8');
    };
    return { admin: decode(admin), user: decode(user) };
  }

  /** Kubernetes versions a cluster in `location` may run to be attached: GA and preview, not long-term-support only. */
  async supportedVersions(subscriptionId: string, location: string): Promise<string[]> {
    const list = await this.containerService(subscriptionId).managedClusters.listKubernetesVersions(location);
    return (list.values ?? []).filter((v) => v.capabilities?.supportPlan?.includes('KubernetesOfficial')).flatMap((v) => Object.keys(v.patchVersions ?? {}));
  }
}
