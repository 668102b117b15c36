import type { KubeObjectStore } from '../object-store.js';
import { SYSTEM_NAMESPACES } from '../object-store.js';
import { resourceTypeByKey } from '../resource-types.js';
import { unlessExists } from './writes.js';

const NAMESPACES = resourceTypeByKey('core/namespaces');

/** Creates the namespaces every cluster starts with (default, kube-system, ...); idempotent. */
export async function createSystemNamespaces(store: KubeObjectStore, clusterId: string): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    if (await store.get(clusterId, NAMESPACES, '', name)) continue;
    await unlessExists(
      store.create(clusterId, NAMESPACES, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      }),
    );
  }
}
