import protobuf from 'protobufjs';
import { apiGroups, resourceTypes, type ResourceType } from './resource-types.js';

/** `/version`: the cluster's Kubernetes version, as kubectl's version-skew check reads it. */
export function versionInfo(kubernetesVersion: string): object {
  const [major, minor] = kubernetesVersion.split('.');
  return {
    major,
    minor,
    gitVersion: `v${kubernetesVersion}`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(group: string) {
  const gv = { groupVersion: `${group}/v1`, version: 'v1' };
  return { name: group, versions: [gv], preferredVersion: gv };
}

export function apiGroupList(): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups().map(groupEntry) };
}

export function apiGroup(group: string): object | undefined {
  return apiGroups().includes(group) ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group) } : undefined;
}

/** Subresources whose kind is not their object's, and the verbs each answers. */
const SUBRESOURCE_KINDS: Record<string, { group?: string; version?: string; kind: string; verbs: string[] }> = {
  scale: { group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] },
  log: { kind: 'Pod', verbs: ['get'] },
  token: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] },
};

function resourceEntries(t: ResourceType): object[] {
  const main = {
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: t.verbs,
    ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    ...(t.categories.length ? { categories: t.categories } : {}),
  };
  const subs = t.subresources.map((s) => ({
    name: `${t.plural}/${s}`,
    singularName: '',
    namespaced: t.namespaced,
    ...(SUBRESOURCE_KINDS[s] ?? { kind: t.kind, verbs: ['get', 'patch', 'update'] }),
  }));
  return [main, ...subs];
}

/** `APIResourceList` of one group version ('' for core), or undefined if not served. */
export function apiResourceList(group: string, version: string): object | undefined {
  const types = resourceTypes.filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources: types.flatMap(resourceEntries) };
}

function groupVersionPaths(): Array<{ key: string; group: string }> {
  return [{ key: 'api/v1', group: '' }, ...apiGroups().map((g) => ({ key: `apis/${g}/v1`, group: g }))];
}

/** `/openapi/v3`: one document per group version (`serverRelativeURL` is resolved against the kubeconfig server). */
export function openApiIndex(prefix: string): object {
  return {
    paths: Object.fromEntries(groupVersionPaths().map(({ key }) => [key, { serverRelativeURL: `${prefix}/openapi/v3/${key}?hash=berth-v1` }])),
  };
}

/**
 * A minimal OpenAPI v3 document per group version: each kind's PATCH operation
 * with `x-kubernetes-group-version-kind` and the `fieldValidation` parameter, which
 * tells kubectl the server validates, so `kubectl apply` leaves validation to it.
 */
export function openApiDocument(key: string): object | undefined {
  const entry = groupVersionPaths().find((p) => p.key === key);
  if (!entry) return undefined;
  const paths: Record<string, object> = {};
  for (const t of resourceTypes.filter((r) => r.group === entry.group && r.verbs.includes('patch'))) {
    const base = `/${key}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`;
    paths[base] = {
      patch: {
        operationId: `patch${t.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
        parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1' }, paths, components: { schemas: {} } };
}

/**
 * `/openapi/v2`, which kubectl's client-side validation reads for a `kind: List`: like the v3
 * documents, it declares no schemas, so kubectl leaves checking objects to the server (the
 * object rules). kubectl asks for gnostic's protobuf `openapi.v2.Document`; JSON otherwise.
 */
export function openApiV2Document(kubernetesVersion: string, accept: string): { contentType: string; body: Buffer | object } {
  const info = { title: 'Kubernetes', version: `v${kubernetesVersion}` };
  if (!/protobuf/.test(accept)) return { contentType: 'application/json', body: { swagger: '2.0', info, paths: {}, definitions: {} } };
  // Document { string swagger = 1; Info info = 2; } and Info { string title = 1; string version = 2; }.
  const writer = protobuf.Writer.create();
  writer.uint32((1 << 3) | 2).string('2.0');
  writer
    .uint32((2 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string(info.title)
    .uint32((2 << 3) | 2)
    .string(info.version)
    .ldelim();
  return { contentType: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf', body: Buffer.from(writer.finish()) };
}
