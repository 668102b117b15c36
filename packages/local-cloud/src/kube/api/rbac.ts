import type { KubeObject } from '../kube-object.js';
import type { ServiceAccountRef } from '../credentials.js';
import type { KubeObjectStore } from '../object-store.js';
import { resourceTypeByKey } from '../resource-types.js';

const RBAC = 'rbac.authorization.k8s.io';
const CLUSTER_ROLES = resourceTypeByKey(`${RBAC}/clusterroles`);
const CLUSTER_ROLE_BINDINGS = resourceTypeByKey(`${RBAC}/clusterrolebindings`);
const ROLES = resourceTypeByKey(`${RBAC}/roles`);
const ROLE_BINDINGS = resourceTypeByKey(`${RBAC}/rolebindings`);

/** What a request does, in RBAC's terms (the attributes Kubernetes' authorizer is given). */
export interface ResourceAccess {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** The request's namespace (for a Namespace object, its own name); none at the cluster scope. */
  namespace?: string;
  name?: string;
}

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

interface Binding extends KubeObject {
  roleRef?: { kind?: string; name?: string };
  subjects?: Subject[];
}

const matches = (values: string[] | undefined, value: string) => !!values && (values.includes('*') || values.includes(value));

/** A rule allows a request when its verbs, API groups, resources (with `resource/subresource` and `*` forms) and names all cover it. */
function ruleAllows(rule: PolicyRule, access: ResourceAccess): boolean {
  if (!matches(rule.verbs, access.verb) || !matches(rule.apiGroups, access.group)) return false;
  const resources = rule.resources ?? [];
  const covered = access.subresource
    ? resources.some((r) => r === '*' || r === `${access.resource}/${access.subresource}` || r === `*/${access.subresource}`)
    : matches(resources, access.resource);
  if (!covered) return false;
  return !rule.resourceNames?.length || (access.name !== undefined && rule.resourceNames.includes(access.name));
}

/** The service account itself, or a group every service account (of its namespace) is in. */
function subjectIs(subject: Subject, account: ServiceAccountRef): boolean {
  switch (subject.kind) {
    case 'ServiceAccount':
      return subject.name === account.name && subject.namespace === account.namespace;
    case 'User':
      return subject.name === `system:serviceaccount:${account.namespace}:${account.name}`;
    case 'Group':
      return ['system:authenticated', 'system:serviceaccounts', `system:serviceaccounts:${account.namespace}`].includes(subject.name ?? '');
    default:
      return false;
  }
}

/** A cluster's RBAC objects at one moment, indexed for the questions each request asks. */
interface RbacSnapshot {
  clusterBindings: Binding[];
  /** RoleBindings by namespace. */
  roleBindings: Map<string, Binding[]>;
  clusterRoles: Map<string, PolicyRule[]>;
  /** Roles by `<namespace>/<name>`. */
  roles: Map<string, PolicyRule[]>;
}

/** How long a snapshot serves with no change seen here: another `berth up` on the same store may have changed RBAC. */
const SNAPSHOT_TTL_MS = 1000;
const RBAC_KEYS = new Set([CLUSTER_ROLES.key, CLUSTER_ROLE_BINDINGS.key, ROLES.key, ROLE_BINDINGS.key]);
/** What every authenticated caller may do (system:basic-user, bound to system:authenticated): ask what it may do. */
const BASIC_USER: PolicyRule = { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] };

const rulesOf = (role: KubeObject) => ((role as { rules?: PolicyRule[] }).rules ?? []) as PolicyRule[];

/**
 * Every request of a service account is judged against its cluster's bindings
 * and roles; reading and parsing them each time would cost more than the
 * request. A snapshot per cluster is read once, and dropped as soon as this
 * process writes one of them (before the write is answered), or after a second.
 */
class RbacSnapshots {
  private readonly byCluster = new Map<string, { takenAt: number; snapshot: Promise<RbacSnapshot> }>();

  constructor(private readonly store: KubeObjectStore) {
    store.on('change', (change) => {
      if (RBAC_KEYS.has(change.resource.key)) this.byCluster.delete(change.clusterId);
    });
  }

  of(clusterId: string): Promise<RbacSnapshot> {
    const now = Date.now();
    const held = this.byCluster.get(clusterId);
    if (held && now - held.takenAt < SNAPSHOT_TTL_MS) return held.snapshot;
    // Clusters deleted meanwhile leave no change event: old snapshots go when the next one is taken.
    for (const [id, entry] of this.byCluster) if (now - entry.takenAt >= SNAPSHOT_TTL_MS) this.byCluster.delete(id);
    const entry = { takenAt: now, snapshot: this.read(clusterId) };
    this.byCluster.set(clusterId, entry);
    entry.snapshot.catch(() => {
      if (this.byCluster.get(clusterId) === entry) this.byCluster.delete(clusterId);
    });
    return entry.snapshot;
  }

  private async read(clusterId: string): Promise<RbacSnapshot> {
    const [clusterBindings, roleBindings, clusterRoles, roles] = await Promise.all(
      [CLUSTER_ROLE_BINDINGS, ROLE_BINDINGS, CLUSTER_ROLES, ROLES].map(async (t) => (await this.store.list(clusterId, t)).items),
    );
    const snapshot: RbacSnapshot = {
      clusterBindings,
      roleBindings: new Map(),
      clusterRoles: new Map(clusterRoles.map((r) => [r.metadata.name!, rulesOf(r)])),
      roles: new Map(roles.map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, rulesOf(r)])),
    };
    for (const binding of roleBindings) {
      const namespace = binding.metadata.namespace!;
      snapshot.roleBindings.set(namespace, [...(snapshot.roleBindings.get(namespace) ?? []), binding]);
    }
    return snapshot;
  }
}

const snapshotsByStore = new WeakMap<KubeObjectStore, RbacSnapshots>();

function rbacSnapshot(store: KubeObjectStore, clusterId: string): Promise<RbacSnapshot> {
  let snapshots = snapshotsByStore.get(store);
  if (!snapshots) {
    snapshots = new RbacSnapshots(store);
    snapshotsByStore.set(store, snapshots);
  }
  return snapshots.of(clusterId);
}

/**
 * The rules a service account holds in a namespace (system:basic-user's, ClusterRoleBindings' and that
 * namespace's RoleBindings'), or with none, cluster-wide.
 */
export async function rulesHeld(store: KubeObjectStore, clusterId: string, account: ServiceAccountRef, namespace: string | undefined): Promise<PolicyRule[]> {
  const snapshot = await rbacSnapshot(store, clusterId);
  const bindings: Array<{ binding: Binding; namespace?: string }> = snapshot.clusterBindings.map((binding) => ({ binding }));
  if (namespace !== undefined) for (const binding of snapshot.roleBindings.get(namespace) ?? []) bindings.push({ binding, namespace });
  const bound = bindings
    .filter(({ binding }) => binding.subjects?.some((s) => subjectIs(s, account)))
    .flatMap(({ binding, namespace: where }) => roleRules(snapshot, binding.roleRef, where));
  return [BASIC_USER, ...bound];
}

/** The rules of the role a binding names: a ClusterRoleBinding may only name a ClusterRole; a RoleBinding also a Role of its own namespace. */
function roleRules(snapshot: RbacSnapshot, roleRef: Binding['roleRef'], namespace: string | undefined): PolicyRule[] {
  const { kind, name } = roleRef ?? {};
  if (!name) return [];
  if (kind === 'ClusterRole') return snapshot.clusterRoles.get(name) ?? [];
  return kind === 'Role' && namespace !== undefined ? (snapshot.roles.get(`${namespace}/${name}`) ?? []) : [];
}

/**
 * Kubernetes RBAC for a service account, from the cluster's own objects:
 * ClusterRoleBindings grant everywhere, RoleBindings in their namespace (to a
 * Role there or a ClusterRole). Nothing is granted unless a rule says so.
 */
export async function serviceAccountMay(store: KubeObjectStore, clusterId: string, account: ServiceAccountRef, access: ResourceAccess): Promise<boolean> {
  return (await rulesHeld(store, clusterId, account, access.namespace)).some((rule) => ruleAllows(rule, access));
}

/** One verb on one resource (and name) of one group: what a rule grants, broken down so each piece can be checked. */
type Grant = Required<Pick<ResourceAccess, 'verb' | 'group' | 'resource'>> & { name?: string };

function grantsOf(rules: PolicyRule[]): Grant[] {
  return rules.flatMap((rule) =>
    (rule.verbs ?? []).flatMap((verb) =>
      (rule.apiGroups ?? []).flatMap((group) =>
        (rule.resources ?? []).flatMap((resource) =>
          (rule.resourceNames?.length ? rule.resourceNames : [undefined]).map((name) => ({ verb, group, resource, name })),
        ),
      ),
    ),
  );
}

/** Whether a held rule covers a grant: a wildcard in the grant is only covered by a wildcard. */
function covers(rule: PolicyRule, grant: Grant): boolean {
  const resources = rule.resources ?? [];
  const sub = grant.resource.includes('/') ? grant.resource.slice(grant.resource.indexOf('/')) : undefined;
  return (
    matches(rule.verbs, grant.verb) &&
    matches(rule.apiGroups, grant.group) &&
    (matches(resources, grant.resource) || (sub !== undefined && resources.includes(`*${sub}`))) &&
    (!rule.resourceNames?.length || (grant.name !== undefined && rule.resourceNames.includes(grant.name)))
  );
}

/**
 * Kubernetes' escalation check on a service account's write of a role or a
 * binding: a role may only hold rules its writer holds (unless the writer may
 * `escalate`), a binding may only name a role whose rules its writer holds
 * (unless the writer may `bind` it). Returns what the write would grant that
 * the writer lacks: nothing when the write may go ahead, or the object is no role or binding.
 */
export async function grantsNotHeld(store: KubeObjectStore, clusterId: string, account: ServiceAccountRef, kind: string, obj: KubeObject): Promise<string[]> {
  const namespace = obj.metadata.namespace || undefined;
  const name = obj.metadata.name;
  let rules: PolicyRule[];
  if (kind === 'Role' || kind === 'ClusterRole') {
    const escalate = { verb: 'escalate', group: RBAC, resource: kind === 'Role' ? 'roles' : 'clusterroles', namespace, name };
    if (await serviceAccountMay(store, clusterId, account, escalate)) return [];
    rules = ((obj as { rules?: PolicyRule[] }).rules ?? []) as PolicyRule[];
  } else if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
    const ref = (obj as Binding).roleRef;
    const bind = { verb: 'bind', group: RBAC, resource: ref?.kind === 'Role' ? 'roles' : 'clusterroles', namespace, name: ref?.name };
    if (await serviceAccountMay(store, clusterId, account, bind)) return [];
    rules = roleRules(await rbacSnapshot(store, clusterId), ref, namespace);
  } else return [];
  const held = await rulesHeld(store, clusterId, account, namespace);
  return grantsOf(rules)
    .filter((grant) => !held.some((rule) => covers(rule, grant)))
    .map(
      (g) =>
        `{APIGroups:[${JSON.stringify(g.group)}], Resources:[${JSON.stringify(g.resource)}]${g.name ? `, ResourceNames:[${JSON.stringify(g.name)}]` : ''}, Verbs:[${JSON.stringify(g.verb)}]}`,
    );
}
