/** A Kubernetes resource the local cluster API serves, as discovery describes it. */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: string[];
  /** Whether a PUT of a missing object creates it: the API server allows it for a few kinds only. */
  createOnUpdate: boolean;
  /** What discovery says may be done with it; a review answers `create` only and stores nothing. */
  verbs: string[];
  /** Store key: `<group or core>/<plural>`. */
  key: string;
  /** `v1` or `<group>/v1`. */
  apiVersion: string;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function type(group: string, plural: string, kind: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType {
  return {
    group,
    version: 'v1',
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    shortNames: [],
    categories: [],
    subresources: [],
    createOnUpdate: false,
    verbs: ALL_VERBS,
    key: `${group || 'core'}/${plural}`,
    apiVersion: group ? `${group}/v1` : 'v1',
    ...extra,
  };
}

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** What the local API serves: the kinds the installer and kubectl users need (see DESIGN.md, local cloud). */
export const resourceTypes: ResourceType[] = [
  type('', 'namespaces', 'Namespace', false, { shortNames: ['ns'], subresources: ['status'] }),
  type('', 'nodes', 'Node', false, { shortNames: ['no'], subresources: ['status'] }),
  type('', 'secrets', 'Secret', true),
  type('', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  type('', 'services', 'Service', true, { shortNames: ['svc'], categories: ['all'], subresources: ['status'], createOnUpdate: true }),
  type('', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'], subresources: ['token'] }),
  type('', 'pods', 'Pod', true, { shortNames: ['po'], categories: ['all'], subresources: ['status', 'log'] }),
  type('', 'events', 'Event', true, { shortNames: ['ev'], createOnUpdate: true }),
  type('apps', 'deployments', 'Deployment', true, { shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
  type('apps', 'replicasets', 'ReplicaSet', true, { shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] }),
  type('discovery.k8s.io', 'endpointslices', 'EndpointSlice', true),
  type(RBAC_GROUP, 'roles', 'Role', true, { createOnUpdate: true }),
  type(RBAC_GROUP, 'rolebindings', 'RoleBinding', true, { createOnUpdate: true }),
  type(RBAC_GROUP, 'clusterroles', 'ClusterRole', false, { createOnUpdate: true }),
  type(RBAC_GROUP, 'clusterrolebindings', 'ClusterRoleBinding', false, { createOnUpdate: true }),
  type('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, { verbs: ['create'] }),
  type('authorization.k8s.io', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, { verbs: ['create'] }),
];

const byKey = new Map(resourceTypes.map((t) => [t.key, t]));

export function findResourceType(group: string, version: string, plural: string): ResourceType | undefined {
  if (version !== 'v1') return undefined;
  return byKey.get(`${group || 'core'}/${plural}`);
}

export function resourceTypeByKey(key: string): ResourceType {
  const t = byKey.get(key);
  if (!t) throw new Error(`unknown resource ${key}`);
  return t;
}

/** API groups other than core, for `/apis`. */
export function apiGroups(): string[] {
  return [...new Set(resourceTypes.filter((t) => t.group !== '').map((t) => t.group))];
}
