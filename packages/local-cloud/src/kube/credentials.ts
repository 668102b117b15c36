import { stringify } from 'yaml';
import type { SecretBox } from '@berth/pki';
import type { ClusterRole, CredentialRole } from './cluster-settings.js';

/**
 * Cluster API tokens are MACs of the cluster id and role under Berth's master
 * key: nothing to store, the same kubeconfig every time, and a token from one
 * cluster is worthless on another.
 */
export function clusterToken(box: SecretBox, clusterId: string, role: CredentialRole): string {
  return `${role}.${box.sign(`kubernetes-api:${clusterId}:${role}`)}`;
}

/** A service account of a cluster: what its tokens name, and what RBAC bindings grant to. */
export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

/** Who a token speaks for; a service account's is named, and RBAC decides what it may do. */
export interface TokenIdentity {
  role: ClusterRole;
  serviceAccount?: ServiceAccountRef;
}

/** The user name Kubernetes gives a service account (`system:serviceaccount:<namespace>:<name>`). */
export const serviceAccountUser = (account: ServiceAccountRef) => `system:serviceaccount:${account.namespace}:${account.name}`;

/**
 * A service account's token: `serviceaccount.<claims>.<MAC>`, the claims naming
 * the account and, for a TokenRequest's token, when it expires. A pod's token
 * does not expire: it lives as long as the pod's files.
 */
export function serviceAccountToken(box: SecretBox, clusterId: string, account: ServiceAccountRef, expiresAt?: Date): string {
  const claims = Buffer.from(
    JSON.stringify({ ns: account.namespace, sa: account.name, ...(expiresAt ? { exp: Math.floor(expiresAt.getTime() / 1000) } : {}) }),
  ).toString('base64url');
  return `serviceaccount.${claims}.${box.sign(`kubernetes-api:${clusterId}:serviceaccount:${claims}`)}`;
}

export function identityOfToken(box: SecretBox, clusterId: string, token: string): TokenIdentity | undefined {
  const parts = token.split('.');
  if (parts[0] === 'serviceaccount' && parts.length === 3) {
    const [, claims, mac] = parts;
    if (!box.verify(`kubernetes-api:${clusterId}:serviceaccount:${claims}`, mac)) return undefined;
    const { ns, sa, exp } = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { ns: string; sa: string; exp?: number };
    if (exp !== undefined && exp * 1000 <= Date.now()) return undefined;
    return { role: 'serviceaccount', serviceAccount: { namespace: ns, name: sa } };
  }
  const [role, mac] = parts;
  if (parts.length !== 2 || (role !== 'admin' && role !== 'user') || !mac) return undefined;
  return box.verify(`kubernetes-api:${clusterId}:${role}`, mac) ? { role } : undefined;
}

export interface KubeconfigOptions {
  clusterName: string;
  resourceGroup: string;
  server: string;
  caPem: string;
  role: CredentialRole;
  token: string;
}

/** A kubeconfig shaped like the ones AKS hands out (`clusterAdmin_<rg>_<name>` / `clusterUser_<rg>_<name>`). */
export function kubeconfig(o: KubeconfigOptions): string {
  const user = `${o.role === 'admin' ? 'clusterAdmin' : 'clusterUser'}_${o.resourceGroup}_${o.clusterName}`;
  const context = o.role === 'admin' ? `${o.clusterName}-admin` : o.clusterName;
  // YAML 1.1 quoting: kubectl's Go YAML reads an unquoted `off`, `no` or `yes` (a cluster named so) as a boolean.
  return stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: o.clusterName, cluster: { server: o.server, 'certificate-authority-data': Buffer.from(o.caPem).toString('base64') } }],
      contexts: [{ name: context, context: { cluster: o.clusterName, user } }],
      'current-context': context,
      preferences: {},
      users: [{ name: user, user: { token: o.token } }],
    },
    { version: '1.1' },
  );
}
