import type { FastifyRequest } from 'fastify';
import { addressInRanges } from '@berth/arm';
import type { SecretBox } from '@berth/pki';
import type { ClusterDirectory } from '../cluster-directory.js';
import type { KubeObject } from '../kube-object.js';
import type { ClusterRole, ClusterSettings } from '../cluster-settings.js';
import { identityOfToken, serviceAccountUser, type ServiceAccountRef } from '../credentials.js';
import type { KubeObjectStore } from '../object-store.js';
import type { ResourceType } from '../resource-types.js';
import { accessDenied, escalationRefused, forbidden, KubeError, unauthorized } from '../status.js';
import { bindingHolds } from './bound-objects.js';
import { grantsNotHeld, serviceAccountMay, type ResourceAccess } from './rbac.js';

/** Who is calling: the cluster they may call, with which credential's role, and for a workload, its service account. */
export interface Caller {
  settings: ClusterSettings;
  role: ClusterRole;
  serviceAccount?: ServiceAccountRef;
}

/**
 * Checks a caller's bearer token for the cluster (for a service account's, that
 * what it is bound to still exists), then the cluster's authorized IP ranges.
 * Throws the Status to answer when either refuses.
 */
export async function authenticate(
  box: SecretBox,
  clusters: ClusterDirectory,
  store: KubeObjectStore,
  clusterId: string,
  request: FastifyRequest,
): Promise<Caller> {
  // The token first: it is a MAC of the cluster id, so an unknown id answers 401 like a wrong token and ids cannot be probed.
  const match = /^Bearer\s+(\S+)$/i.exec(String(request.headers.authorization ?? ''));
  const identity = match ? identityOfToken(box, clusterId, match[1]) : undefined;
  if (!identity) throw unauthorized();
  const settings = await clusters.get(clusterId);
  if (!settings) throw new KubeError(404, 'NotFound', `no cluster "${clusterId}" here`);
  if (identity.binding && !(await bindingHolds(store, clusterId, identity.binding))) throw unauthorized();
  // Workloads call from inside the cluster, which authorized ranges do not restrict (AKS lets its own nodes' traffic in).
  if (identity.role !== 'serviceaccount' && settings.authorizedIPRanges.length > 0 && !addressInRanges(request.ip, settings.authorizedIPRanges)) {
    throw forbidden(
      `the API server of cluster "${settings.clusterName}" only accepts requests from its authorized IP ranges (${settings.authorizedIPRanges.join(', ')}); ${request.ip} is not in them`,
    );
  }
  return { settings, role: identity.role, ...(identity.serviceAccount ? { serviceAccount: identity.serviceAccount } : {}) };
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** The user name Kubernetes would give the caller. */
const userOf = (caller: Caller) =>
  caller.serviceAccount ? serviceAccountUser(caller.serviceAccount) : caller.role === 'admin' ? 'clusterAdmin' : 'clusterUser';

/**
 * Whether the caller may do this. The admin credential may do anything; the user
 * credential writes anywhere but in kube-system and to nodes, as AKS's clusterUser
 * role allows; a service account only what the cluster's RBAC objects grant it.
 */
export async function mayAccess(store: KubeObjectStore, clusterId: string, caller: Caller, access: ResourceAccess): Promise<boolean> {
  if (caller.role === 'admin') return true;
  if (caller.serviceAccount) return serviceAccountMay(store, clusterId, caller.serviceAccount, access);
  return !(WRITE_VERBS.has(access.verb) && (access.namespace === 'kube-system' || (access.group === '' && access.resource === 'nodes')));
}

/** Throws Kubernetes' Forbidden Status unless the caller may do this. */
export async function authorize(store: KubeObjectStore, clusterId: string, caller: Caller, type: ResourceType, access: ResourceAccess): Promise<void> {
  if (!(await mayAccess(store, clusterId, caller, access))) throw accessDenied(type, userOf(caller), access);
}

/** A service account's write of a role or binding may grant only what it holds itself (Kubernetes' escalation check). */
export async function authorizeGrants(store: KubeObjectStore, clusterId: string, caller: Caller, type: ResourceType, obj: KubeObject): Promise<void> {
  if (!caller.serviceAccount) return;
  const missing = await grantsNotHeld(store, clusterId, caller.serviceAccount, type.kind, obj);
  if (missing.length > 0) throw escalationRefused(type, obj.metadata.name ?? '', serviceAccountUser(caller.serviceAccount), missing);
}
