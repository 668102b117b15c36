import { stringify } from 'yaml';
import type { SecretBox } from '@berth/pki';
import type { ClusterRole } from './cluster-settings.js';

/**
 * Cluster API tokens are MACs of the cluster id and role under Berth's master
 * key: nothing to store, the same kubeconfig every time, and a token from one
 * cluster is worthless on another.
 */
export function clusterToken(box: SecretBox, clusterId: string, role: ClusterRole): string {
  return `${role}.${box.sign(`kubernetes-api:${clusterId}:${role}`)}`;
}

export function roleOfToken(box: SecretBox, clusterId: string, token: string): ClusterRole | undefined {
  const [role, mac, extra] = token.split('.');
  if (extra !== undefined || (role !== 'admin' && role !== 'user' && role !== 'serviceaccount') || !mac) return undefined;
  return box.verify(`kubernetes-api:${clusterId}:${role}`, mac) ? role : undefined;
}

export interface KubeconfigOptions {
  clusterName: string;
  resourceGroup: string;
  server: string;
  caPem: string;
  role: ClusterRole;
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
