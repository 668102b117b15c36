import type { FastifyRequest } from 'fastify';
import { addressInRanges } from '@berth/arm';
import type { SecretBox } from '@berth/pki';
import type { ClusterDirectory } from '../cluster-directory.js';
import type { ClusterRole, ClusterSettings } from '../cluster-settings.js';
import { roleOfToken } from '../credentials.js';
import type { ResourceType } from '../resource-types.js';
import { forbidden, KubeError, unauthorized } from '../status.js';

/** Who is calling: the cluster they may call, and with which credential's role. */
export interface Caller {
  settings: ClusterSettings;
  role: ClusterRole;
}

/**
 * Checks a caller's bearer token for the cluster, then the cluster's authorized
 * IP ranges. Throws the Status to answer when either refuses.
 */
export async function authenticate(box: SecretBox, clusters: ClusterDirectory, clusterId: string, request: FastifyRequest): Promise<Caller> {
  // The token first: it is a MAC of the cluster id, so an unknown id answers 401 like a wrong token and ids cannot be probed.
  const match = /^Bearer\s+(\S+)$/i.exec(String(request.headers.authorization ?? ''));
  const role = match ? roleOfToken(box, clusterId, match[1]) : undefined;
  if (!role) throw unauthorized();
  const settings = await clusters.get(clusterId);
  if (!settings) throw new KubeError(404, 'NotFound', `no cluster "${clusterId}" here`);
  // Workloads call from inside the cluster, which authorized ranges do not restrict (AKS lets its own nodes' traffic in).
  if (role !== 'serviceaccount' && settings.authorizedIPRanges.length > 0 && !addressInRanges(request.ip, settings.authorizedIPRanges)) {
    throw forbidden(
      `the API server of cluster "${settings.clusterName}" only accepts requests from its authorized IP ranges (${settings.authorizedIPRanges.join(', ')}); ${request.ip} is not in them`,
    );
  }
  return { settings, role };
}

/**
 * The user credential writes anywhere but in kube-system and to nodes, as AKS's clusterUser role allows;
 * a workload's service account only reads (what the front end needs; the local API has no RBAC to grant more).
 */
export function authorizeWrite(role: ClusterRole, type: ResourceType, namespace: string | undefined, method: string): void {
  if (role === 'admin') return;
  const verb = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? method.toLowerCase();
  if (role === 'serviceaccount') {
    throw forbidden(
      `${type.plural} is forbidden: a workload's service account in Berth's local cloud may only read; it cannot ${verb} resource "${type.plural}"`,
    );
  }
  if (namespace === 'kube-system' || type.key === 'core/nodes') {
    const where = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
    throw forbidden(`${type.plural} is forbidden: User "clusterUser" cannot ${verb} resource "${type.plural}" in API group "${type.group}"${where}`);
  }
}
