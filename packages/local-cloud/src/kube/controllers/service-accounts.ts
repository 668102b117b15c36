import type { KubeObjectStore } from '../object-store.js';
import { resourceTypeByKey } from '../resource-types.js';
import { KubeError } from '../status.js';
import { unlessExists } from './writes.js';

const NAMESPACES = resourceTypeByKey('core/namespaces');
const SERVICE_ACCOUNTS = resourceTypeByKey('core/serviceaccounts');

/** The account every namespace has, which pods run as unless they name another. */
export const DEFAULT_SERVICE_ACCOUNT = 'default';

/**
 * Creates the `default` ServiceAccount of every namespace of the cluster that
 * lacks one, as Kubernetes' service-account controller does; one deleted is
 * made again, with a new uid, so the tokens of the old one stop working.
 * Idempotent; a namespace being deleted gets none.
 */
export async function createDefaultServiceAccounts(store: KubeObjectStore, clusterId: string): Promise<void> {
  const [namespaces, accounts] = await Promise.all([store.list(clusterId, NAMESPACES), store.list(clusterId, SERVICE_ACCOUNTS)]);
  const have = new Set(accounts.items.filter((a) => a.metadata.name === DEFAULT_SERVICE_ACCOUNT).map((a) => a.metadata.namespace));
  for (const ns of namespaces.items) {
    const namespace = ns.metadata.name!;
    if (have.has(namespace) || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') continue;
    await unlessExists(
      store.create(clusterId, SERVICE_ACCOUNTS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } }),
    ).catch((err) => {
      // The namespace went, or began terminating, since it was listed: its change queued another pass.
      if (!(err instanceof KubeError && (err.code === 404 || err.code === 403))) throw err;
    });
  }
}
