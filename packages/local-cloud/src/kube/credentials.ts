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

/** An object a service-account token is bound to, by name and uid: the token holds while that object does. */
export interface BoundObject {
  kind: 'Pod' | 'Secret';
  name: string;
  uid: string;
}

/**
 * What a service-account token is bound to, as Kubernetes' bound tokens are:
 * its account's uid (a deleted or re-created account's tokens stop working)
 * and, for a pod's token, the pod.
 */
export interface TokenBinding {
  account: ServiceAccountRef;
  accountUid: string;
  object?: BoundObject;
}

/** Who a token speaks for; a service account's is named, and RBAC decides what it may do. */
export interface TokenIdentity {
  role: ClusterRole;
  serviceAccount?: ServiceAccountRef;
  /** For a service account: what must still exist for the token to hold. */
  binding?: TokenBinding;
}

/** The pod's service account: its `serviceAccountName` (or the older `serviceAccount`), else `default`. */
export function podServiceAccountName(spec: unknown): string {
  const s = (spec ?? {}) as { serviceAccountName?: string; serviceAccount?: string };
  return s.serviceAccountName || s.serviceAccount || 'default';
}

/** The user name Kubernetes gives a service account (`system:serviceaccount:<namespace>:<name>`). */
export const serviceAccountUser = (account: ServiceAccountRef) => `system:serviceaccount:${account.namespace}:${account.name}`;

/** The claims of a service-account token, shaped as Kubernetes' bound tokens' (`kubernetes.io.serviceaccount.uid`, `kubernetes.io.pod.uid`). */
interface ServiceAccountClaims {
  sub: string;
  iat: number;
  exp: number;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
    secret?: { name: string; uid: string };
  };
}

/**
 * A service account's token: `serviceaccount.<claims>.<MAC>`, the claims naming
 * the account and its uid, the object it is bound to, and when it expires.
 */
export function serviceAccountToken(box: SecretBox, clusterId: string, binding: TokenBinding, expiresAt: Date): string {
  const { account, accountUid, object } = binding;
  const body: ServiceAccountClaims = {
    sub: serviceAccountUser(account),
    iat: Math.floor(Date.now() / 1000),
    exp: Math.ceil(expiresAt.getTime() / 1000),
    'kubernetes.io': {
      namespace: account.namespace,
      serviceaccount: { name: account.name, uid: accountUid },
      ...(object ? { [object.kind === 'Pod' ? 'pod' : 'secret']: { name: object.name, uid: object.uid } } : {}),
    },
  };
  const claims = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `serviceaccount.${claims}.${box.sign(`kubernetes-api:${clusterId}:serviceaccount:${claims}`)}`;
}

function bindingOf(claims: ServiceAccountClaims): TokenBinding {
  const k = claims['kubernetes.io'];
  const object = k.pod ? { kind: 'Pod' as const, ...k.pod } : k.secret ? { kind: 'Secret' as const, ...k.secret } : undefined;
  return { account: { namespace: k.namespace, name: k.serviceaccount.name }, accountUid: k.serviceaccount.uid, ...(object ? { object } : {}) };
}

/**
 * Who a token names, if its MAC holds and it has not expired. Whether what a
 * service-account token is bound to still exists is the caller's to check.
 */
export function identityOfToken(box: SecretBox, clusterId: string, token: string): TokenIdentity | undefined {
  const parts = token.split('.');
  if (parts[0] === 'serviceaccount' && parts.length === 3) {
    const [, claims, mac] = parts;
    if (!box.verify(`kubernetes-api:${clusterId}:serviceaccount:${claims}`, mac)) return undefined;
    const parsed = JSON.parse(Buffer.from(claims, 'base64url').toString()) as ServiceAccountClaims;
    // Tokens made before tokens were bound (no uid, no expiry) are refused like expired ones.
    if (!parsed['kubernetes.io']?.serviceaccount?.uid || !(parsed.exp * 1000 > Date.now())) return undefined;
    const binding = bindingOf(parsed);
    return { role: 'serviceaccount', serviceAccount: binding.account, binding };
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
