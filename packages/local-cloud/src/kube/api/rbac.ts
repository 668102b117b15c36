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

interface PolicyRule {
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

/**
 * Kubernetes RBAC for a service account, from the cluster's own objects:
 * ClusterRoleBindings grant everywhere, RoleBindings in their namespace (to a
 * Role there or a ClusterRole). Nothing is granted unless a rule says so.
 */
export async function serviceAccountMay(store: KubeObjectStore, clusterId: string, account: ServiceAccountRef, access: ResourceAccess): Promise<boolean> {
  const bindings: Array<{ binding: Binding; namespace?: string }> = (await store.list(clusterId, CLUSTER_ROLE_BINDINGS)).items.map((binding) => ({ binding }));
  if (access.namespace !== undefined) {
    for (const binding of (await store.list(clusterId, ROLE_BINDINGS, access.namespace)).items) bindings.push({ binding, namespace: access.namespace });
  }
  for (const { binding, namespace } of bindings) {
    if (!binding.subjects?.some((s) => subjectIs(s, account))) continue;
    const { kind, name } = binding.roleRef ?? {};
    if (!name) continue;
    // A ClusterRoleBinding may only name a ClusterRole; a RoleBinding also a Role of its own namespace.
    const role =
      kind === 'ClusterRole'
        ? await store.get(clusterId, CLUSTER_ROLES, '', name)
        : kind === 'Role' && namespace !== undefined
          ? await store.get(clusterId, ROLES, namespace, name)
          : undefined;
    const rules = ((role as { rules?: PolicyRule[] } | undefined)?.rules ?? []) as PolicyRule[];
    if (rules.some((rule) => ruleAllows(rule, access))) return true;
  }
  return false;
}
