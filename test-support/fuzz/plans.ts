import fc from 'fast-check';
import { bodyArb, type BodyPlan, type JsonSchema } from './bodies.js';

/**
 * One request as the fuzzer plans it: plain data, with `{{...}}` placeholders
 * for the run's values (subscription id, operation ids, api-versions), so that
 * a seed gives the same plans whatever ids the server hands out.
 */
export interface RequestPlan {
  area: 'arm' | 'kube';
  /** What the counts are grouped by: method and route template. */
  route: string;
  method: string;
  path: string;
  query: string;
  token: 'admin' | 'reader' | 'none' | 'bad' | 'kubeAdmin' | 'kubeUser';
  body: BodyPlan;
  /** Sent byte for byte over its own TLS connection: targets an HTTP client would refuse or rewrite. */
  raw?: boolean;
  /** Picks among values known only at run time (a route's api-versions, operation ids). */
  pick: number;
}

/** One operation of the OpenAPI document. */
export interface Operation {
  method: string;
  path: string;
  params: string[];
  armRoute: boolean;
  bodySchema?: JsonSchema;
}

/** Resource names the fixtures create; DELETE never aims at the ones the run depends on. */
export const FIXTURE = {
  group: 'fuzz',
  workspace: 'ws1',
  compute: 'comp1',
  cluster: 'aks1',
  kubeGroup: 'fuzzkube',
  kubeCluster: 'kube1',
  namespace: 'fuzz-ns',
  configMap: 'cm0',
  deployment: 'dep0',
};

const VALID_PARAMS: Record<string, string[]> = {
  subscriptionId: ['{{sub}}'],
  resourceGroupName: [FIXTURE.group, FIXTURE.group, 'fz-scratch'],
  workspaceName: [FIXTURE.workspace, FIXTURE.workspace, 'ws-scratch'],
  computeName: [FIXTURE.compute, FIXTURE.compute, 'cmp-scratch', 'cmp-attach'],
  resourceName: [FIXTURE.cluster, 'aks-scratch'],
  namespace: ['Microsoft.MachineLearningServices', 'Microsoft.ContainerService', 'Microsoft.Resources'],
  location: ['westus', 'eastus'],
  operationId: ['{{op}}', '{{op}}', '00000000-0000-0000-0000-000000000000'],
  aliasName: ['fuzz-alias'],
  assignmentName: ['fuzz-policy'],
  name: ['fuzz-temp', 'fuzz-reader'],
  '*': ['Microsoft.Nope/things/x', 'Microsoft.MachineLearningServices/unknown', 'microsoft.machinelearningservices/workspaces'],
};
const PROTECTED: Record<string, string[]> = { resourceGroupName: [FIXTURE.group], workspaceName: [FIXTURE.workspace], name: ['fuzz-reader'] };

/** Path segments as they go on the wire: dot segments, encodings good and malformed, unicode, lengths. */
const ODD_SEGMENTS = [
  '',
  '..',
  '.',
  '%2e%2e',
  '%2E',
  '%2F',
  'a%2Fb',
  '%',
  '%E0%A4%A',
  '%ZZ',
  '%00',
  '%C0%AF',
  '%FF',
  '%2e%2e%2f%2e%2e',
  encodeURIComponent('ñandú'),
  encodeURIComponent('名前'),
  encodeURIComponent('🚀'),
  '%ED%A0%80',
  'x'.repeat(300),
  'x'.repeat(1100),
  'UPPER-CASE',
  "o'neil",
  '%22',
  '%3Cscript%3E',
  '-leading',
  'trailing-',
  '1digit',
  'a',
  'ab',
  'a_b',
  'a.b',
  'null',
  '__proto__',
  'constructor',
  'con',
  '%u0041',
  '+',
  '%2B',
  ';',
  ':',
  '@',
  '$',
  '~',
  '%20',
  'a%20b',
  '{{sub}}',
  '%7B%7D',
];
/** Unencoded characters only a raw request can carry. */
const RAW_SEGMENTS = ['ñandú', '名前', 'a b', 'a\tb', '"quoted"', 'a#b', '\\back'];

function paramArb(name: string, method: string): fc.Arbitrary<{ value: string; raw?: boolean }> {
  const valid = (VALID_PARAMS[name] ?? ['x']).filter((v) => method !== 'DELETE' || !PROTECTED[name]?.includes(v));
  return fc.oneof(
    { weight: 14, arbitrary: fc.constantFrom(...(valid.length ? valid : ['x'])).map((value) => ({ value })) },
    { weight: 3, arbitrary: fc.constantFrom(...ODD_SEGMENTS).map((value) => ({ value })) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS).map((value) => ({ value, raw: true })) },
  );
}

/** `/a/b/c` with a dot segment, an empty segment or a case change slipped in. */
function pathTwist(path: string, pick: number): string {
  const parts = path.split('/');
  const at = 1 + (pick % Math.max(1, parts.length - 1));
  const twists = [
    () => [...parts.slice(0, at), '..', ...parts.slice(at - 1)],
    () => [...parts.slice(0, at), '.', ...parts.slice(at)],
    () => [...parts.slice(0, at), '', ...parts.slice(at)],
    () => parts.map((p, i) => (i === at ? p.toUpperCase() : p)),
    () => [...parts.slice(0, at), '%2e%2e', ...parts.slice(at - 1)],
  ];
  return twists[pick % twists.length]().join('/');
}

function tokenArb(): fc.Arbitrary<RequestPlan['token']> {
  return fc.oneof(
    { weight: 85, arbitrary: fc.constant('admin' as const) },
    { weight: 10, arbitrary: fc.constant('reader' as const) },
    { weight: 3, arbitrary: fc.constant('none' as const) },
    { weight: 2, arbitrary: fc.constant('bad' as const) },
  );
}

/** The query of an ARM call: `{{api}}` (a supported api-version of the route) mostly, else missing, odd or repeated. */
function armQueryArb(): fc.Arbitrary<string> {
  const apiVersion = fc.oneof(
    { weight: 40, arbitrary: fc.constant('api-version={{api}}') },
    { weight: 2, arbitrary: fc.constant('') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'api-version=',
        'api-version=2000-01-01',
        'api-version=garbage',
        'api-version=%ZZ',
        'API-VERSION={{api}}',
        'api-version=9999-12-31-preview',
        'api-version={{api}}%00',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'api-version={{api}}&api-version={{api}}',
        'api-version={{api}}&api-version=garbage',
        'api-version[]={{api}}',
        'api-version={{api}}&api-version[x]=1',
      ),
    },
  );
  const extra = fc.oneof(
    { weight: 12, arbitrary: fc.constant('') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '$top=abc',
        '$top=5',
        '$skipToken=%ZZ',
        '$skipToken=garbage',
        'foo=bar&foo=baz',
        '%ZZ=1',
        'a[b]=c',
        '$expand=x',
        '=',
        '&&',
        'deleteBy=all',
        '__proto__[x]=1',
      ),
    },
  );
  return fc.tuple(apiVersion, extra).map(([a, e]) => [a, e].filter(Boolean).join('&'));
}

/** Bodies that pass the schema and mostly the rules behind it, by route, which the mutations then break. */
function seedBodies(op: Operation): unknown[] {
  const p = op.path;
  if (op.method !== 'PUT' && op.method !== 'PATCH' && op.method !== 'POST') return [];
  if (p.endsWith('/computes/{computeName}')) {
    return op.method === 'PUT'
      ? [
          { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' } } },
          { properties: { computeType: 'AKS', resourceId: '{{clusterId}}', properties: { clusterPurpose: 'DevTest' } } },
          { properties: { computeType: 'AKS', properties: { sslConfiguration: { status: 'Enabled', leafDomainLabel: 'fuzz' } } } },
          { properties: { computeType: 'AKS', properties: { loadBalancerType: 'InternalLoadBalancer', loadBalancerSubnet: 'default' } } },
        ]
      : [
          { properties: { properties: { agentCount: 2 } } },
          { properties: { properties: { scaleSettings: { maxNodeCount: 1 } } } },
          { properties: { description: 'fuzzed' } },
        ];
  }
  if (p.endsWith('/managedClusters/{resourceName}')) {
    return [
      { location: 'westus', properties: { agentPoolProfiles: [{ name: 'np', count: 1, vmSize: 'Standard_D2_v2', mode: 'System' }] } },
      {
        location: 'westus',
        properties: {
          agentPoolProfiles: [{ name: 'np', count: 3, vmSize: 'Standard_D3_v2', mode: 'System' }],
          apiServerAccessProfile: { authorizedIPRanges: ['10.0.0.0/8'] },
        },
      },
    ];
  }
  if (p.endsWith('/workspaces/{workspaceName}'))
    return op.method === 'PUT'
      ? [{ location: 'westus' }, { location: 'westus', properties: { friendlyName: 'f' } }]
      : [{ properties: { description: 'd' } }, { tags: { a: 'b' } }];
  if (p.endsWith('/resourcegroups/{resourceGroupName}'))
    return op.method === 'PUT' ? [{ location: 'westus' }, { location: 'westus', tags: { a: 'b' } }] : [{ tags: { a: 'b' } }];
  if (p.endsWith('/policyAssignments/{assignmentName}'))
    return [{ properties: { policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/6c112d4e-5bc7-47ae-a041-ea2d9dccd749' } }];
  if (p === '/berth/tokens') return [{ role: 'Reader' }, { role: 'Contributor', subscription: '{{sub}}' }];
  return [];
}

export function armPlanArb(ops: Operation[]): fc.Arbitrary<RequestPlan> {
  return fc.constantFrom(...ops).chain((op) => {
    const params = fc.tuple(...op.params.map((n) => paramArb(n, op.method)));
    const twist = fc.oneof({ weight: 20, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat() });
    const body = ['PUT', 'PATCH', 'POST', 'DELETE'].includes(op.method)
      ? bodyArb(op.bodySchema, seedBodies(op))
      : fc.oneof({ weight: 12, arbitrary: fc.constant<BodyPlan>({ what: 'no body' }) }, { weight: 1, arbitrary: bodyArb(undefined, [{ unexpected: 1 }]) });
    return fc
      .record({ params, twist, query: op.armRoute ? armQueryArb() : fc.constantFrom('', '', '', 'x=1'), token: tokenArb(), body, pick: fc.nat() })
      .map(({ params, twist, query, token, body, pick }): RequestPlan => {
        let path = op.path;
        op.params.forEach((name, i) => {
          path = path.replace(`{${name}}`, () => params[i].value);
        });
        if (twist >= 0) path = pathTwist(path, twist);
        return {
          area: 'arm',
          route: `${op.method} ${op.path}`,
          method: op.method,
          path,
          query,
          token,
          body,
          raw: params.some((p) => p.raw) || undefined,
          pick,
        };
      });
  });
}

interface KubeKind {
  plural: string;
  base: string;
  namespaced: boolean;
  names: string[];
  template: (name: string) => object;
}

const labels = { app: 'fz' };
const KUBE_KINDS: KubeKind[] = [
  {
    plural: 'configmaps',
    base: '/api/v1',
    namespaced: true,
    names: [FIXTURE.configMap, 'cm-1', 'cm-2'],
    template: (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { k: 'v' } }),
  },
  {
    plural: 'secrets',
    base: '/api/v1',
    namespaced: true,
    names: ['sec-1', 'sec-2'],
    template: (name) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, labels }, type: 'Opaque', data: { k: 'dg==' } }),
  },
  {
    plural: 'deployments',
    base: '/apis/apps/v1',
    namespaced: true,
    names: [FIXTURE.deployment, 'dep-1'],
    template: (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
        },
      },
    }),
  },
  {
    plural: 'services',
    base: '/api/v1',
    namespaced: true,
    names: ['svc-1', 'svc-2'],
    template: (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels },
      spec: { type: 'ClusterIP', selector: { app: 'x' }, ports: [{ port: 80, targetPort: 8080 }] },
    }),
  },
  {
    plural: 'pods',
    base: '/api/v1',
    namespaced: true,
    names: ['pod-1'],
    template: (name) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }),
  },
  {
    plural: 'roles',
    base: '/apis/rbac.authorization.k8s.io/v1',
    namespaced: true,
    names: ['role-1'],
    template: (name) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    }),
  },
  {
    plural: 'namespaces',
    base: '/api/v1',
    namespaced: false,
    names: ['fz-ns-2', FIXTURE.namespace, 'default'],
    template: (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }),
  },
  { plural: 'nodes', base: '/api/v1', namespaced: false, names: ['nope'], template: (name) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } }) },
];

const KUBE_ODD_NAMES = ['UPPER', 'a_b', 'x'.repeat(300), '%2F', '..', '%2e%2e', '%ZZ', encodeURIComponent('名前'), '-x', 'a.b', '%00'];
const LABEL_SELECTORS = [
  'app=fz',
  'app in (fz,x)',
  '!nope',
  'app!=x',
  'app',
  '=',
  'app in (',
  '((',
  'a==b==c',
  'app notin ()',
  'x'.repeat(70) + '=1',
  '%ZZ',
  'app=fz,app=fz',
];
const FIELD_SELECTORS = ['metadata.name=cm0', 'metadata.namespace=fuzz-ns', 'spec.nope=1', 'bad', 'metadata.name==x', 'metadata.name!=x'];
const PATCH_TYPES = [
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
  'application/json',
  'text/plain',
];
const PROTOBUF = 'application/vnd.kubernetes.protobuf';

function kubeQueryArb(extra: string[]): fc.Arbitrary<string> {
  const one = fc.oneof(
    { weight: 6, arbitrary: fc.constant('') },
    { weight: 2, arbitrary: fc.constantFrom(...LABEL_SELECTORS).map((s) => `labelSelector=${encodeURIComponent(s).replace('%25ZZ', '%ZZ')}`) },
    { weight: 1, arbitrary: fc.constantFrom(...FIELD_SELECTORS).map((s) => `fieldSelector=${encodeURIComponent(s)}`) },
    { weight: 2, arbitrary: fc.constantFrom('dryRun=All', 'dryRun=All&dryRun=All', 'dryRun=Bogus', 'dryRun=All&dryRun=x', 'dryRun=') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'limit=abc',
        'limit=1',
        'limit=-1',
        'limit=99999999999999999999',
        'timeoutSeconds=-1',
        'labelSelector=a&labelSelector=b',
        'resourceVersion=abc',
        'resourceVersionMatch=Exact',
        'pretty=true',
        '%ZZ=1',
        ...extra,
      ),
    },
  );
  return fc.array(one, { maxLength: 2 }).map((parts) => parts.filter(Boolean).join('&'));
}

function patchBodyArb(kind: KubeKind): fc.Arbitrary<BodyPlan> {
  const merge = [
    { metadata: { labels: { patched: 'yes' } } },
    { metadata: { name: 'renamed' } },
    { spec: { replicas: 2 } },
    { data: { k: 'w' } },
    { metadata: { resourceVersion: '1' } },
    null,
    [],
    'str',
  ];
  const jsonPatch = [
    [{ op: 'add', path: '/metadata/labels/x', value: 'y' }],
    [{ op: 'replace', path: '/spec/replicas', value: 3 }],
    [{ op: 'remove', path: '/nope' }],
    [{ op: 'bogus', path: '/' }],
    [{ op: 'test', path: '/metadata/name', value: 'other' }],
    [{ op: 'move', from: '/metadata', path: '/metadata/x' }],
    [{ op: 'add', path: '/metadata/name', value: 'x' }],
    { op: 'add' },
  ];
  return fc
    .tuple(fc.constantFrom(...PATCH_TYPES), fc.constantFrom(...merge), fc.constantFrom(...jsonPatch), fc.nat(), fc.constantFrom(...kind.names))
    .map(([type, m, j, n, name]): BodyPlan => {
      if (type === 'application/json-patch+json') return { what: 'json patch', contentType: type, text: JSON.stringify(j) };
      if (type === 'application/apply-patch+yaml') {
        const docs = [JSON.stringify(kind.template(name)), 'metadata: {name: [unclosed', 'a: &x\n  b: *x', `${'- '.repeat(5)}x`, '!!binary garbage', ''];
        return { what: 'apply', contentType: type, text: docs[n % docs.length] };
      }
      return { what: 'merge/strategic patch', contentType: type, text: JSON.stringify(m) };
    });
}

/** Kubernetes API calls on the run's cluster: discovery, get/list/watch, create/update/patch/delete, scale, odd paths and bodies. */
export function kubePlanArb(): fc.Arbitrary<RequestPlan> {
  const token = fc.oneof(
    { weight: 85, arbitrary: fc.constant('kubeAdmin' as const) },
    { weight: 8, arbitrary: fc.constant('kubeUser' as const) },
    { weight: 4, arbitrary: fc.constant('none' as const) },
    { weight: 3, arbitrary: fc.constant('admin' as const) },
  );
  const namespace = fc.oneof(
    { weight: 10, arbitrary: fc.constant(FIXTURE.namespace) },
    { weight: 3, arbitrary: fc.constantFrom('default', 'kube-system', 'nope') },
    { weight: 1, arbitrary: fc.constantFrom(...KUBE_ODD_NAMES) },
  );
  const verb = fc.constantFrom(
    'list',
    'list',
    'get',
    'get',
    'watch',
    'create',
    'create',
    'update',
    'patch',
    'patch',
    'patch',
    'delete',
    'deletecollection',
    'scale',
    'scale',
    'odd',
    'discovery',
  );
  const kind = fc.constantFrom(...KUBE_KINDS);
  return fc
    .record({
      verb,
      kind,
      namespace,
      name: fc.nat(),
      odd: fc.nat(),
      token,
      pick: fc.nat(),
      q: kubeQueryArb(['fieldManager=fz']),
      garbage: fc.uint8Array({ maxLength: 48 }),
    })
    .chain((r) => {
      const name = r.odd % 7 === 0 ? KUBE_ODD_NAMES[r.odd % KUBE_ODD_NAMES.length] : r.kind.names[r.name % r.kind.names.length];
      const collection = `${r.kind.base}${r.kind.namespaced ? `/namespaces/${r.namespace}` : ''}/${r.kind.plural}`;
      const item = `${collection}/${name}`;
      const plan = (method: string, path: string, query: string, body: BodyPlan = { what: 'no body' }, verbName: string = r.verb): RequestPlan => ({
        area: 'kube',
        route: `kube ${verbName}${['discovery', 'odd-path', 'scale'].includes(verbName) ? '' : ` ${r.kind.plural}`}`,
        method,
        path,
        query,
        token: r.token,
        body,
        pick: r.pick,
      });
      const objectBody = bodyArb(undefined, [
        r.kind.template(name),
        r.kind.template('other-name'),
        { ...r.kind.template(name), metadata: { generateName: 'gen-' } },
      ]);
      const protobufBody = fc.constantFrom<BodyPlan>(
        { what: 'garbage protobuf', contentType: PROTOBUF, binary: Buffer.from(r.garbage).toString('hex') },
        { what: 'garbage protobuf', contentType: PROTOBUF, binary: `6b387300${Buffer.from(r.garbage).toString('hex')}` },
        { what: 'garbage protobuf', contentType: PROTOBUF, binary: '6b3873000a0e0a02763112084e616d6573706163651202' },
      );
      switch (r.verb) {
        case 'list':
          return fc.constant(plan('GET', r.odd % 5 === 0 && r.kind.namespaced ? `${r.kind.base}/${r.kind.plural}` : collection, r.q));
        case 'get':
          return fc.constant(plan(r.odd % 9 === 0 ? 'HEAD' : 'GET', item, r.q));
        case 'watch':
          // Watches end after timeoutSeconds: rare, or they would take most of the run's time.
          return r.odd % 6 === 0
            ? fc.constant(plan('GET', collection, ['watch=true', 'timeoutSeconds=1', r.q].filter(Boolean).join('&')))
            : fc.constant(plan('GET', collection, r.q, undefined, 'list'));
        case 'create':
          return fc.oneof({ weight: 8, arbitrary: objectBody }, { weight: 1, arbitrary: protobufBody }).map((b) => plan('POST', collection, r.q, b));
        case 'update':
          return objectBody.map((b) => plan('PUT', r.odd % 8 === 1 ? `${item}/status` : item, r.q, b));
        case 'patch':
          return patchBodyArb(r.kind).map((b) =>
            plan('PATCH', r.odd % 8 === 1 ? `${item}/status` : item, r.odd % 3 === 0 ? [r.q, 'fieldManager=fz'].filter(Boolean).join('&') : r.q, b),
          );
        case 'delete': {
          const options = fc.constantFrom<BodyPlan>(
            { what: 'no body' },
            { what: 'DeleteOptions', contentType: 'application/json', text: '{"dryRun":["All"]}' },
            { what: 'DeleteOptions', contentType: 'application/json', text: '{"preconditions":{"uid":"nope"}}' },
            { what: 'DeleteOptions', contentType: 'application/json', text: '{"dryRun":"All"}' },
            { what: 'DeleteOptions', contentType: 'application/json', text: '[1]' },
            { what: 'empty JSON', contentType: 'application/json', text: '' },
          );
          // The fixture namespace stays: without it most calls would only find 404s.
          const target = r.kind.plural === 'namespaces' && name === FIXTURE.namespace ? `${collection.replace(FIXTURE.namespace, 'fz-ns-2')}` : item;
          return options.map((b) => plan('DELETE', target, r.q, b));
        }
        case 'deletecollection':
          if (!r.kind.namespaced) return fc.constant(plan('GET', collection, r.q, undefined, 'list'));
          return fc.constant(plan('DELETE', collection, r.q || 'labelSelector=app%3Dfz'));
        case 'scale': {
          const path = `/apis/apps/v1/namespaces/${r.namespace}/deployments/${r.name % 3 === 2 ? 'nope' : FIXTURE.deployment}/scale`;
          const bodies = fc.constantFrom<BodyPlan>(
            { what: 'scale', contentType: 'application/json', text: '{"spec":{"replicas":2}}' },
            { what: 'scale', contentType: 'application/json', text: '{"spec":{"replicas":-1}}' },
            { what: 'scale', contentType: 'application/json', text: '{"spec":{"replicas":"2"}}' },
            { what: 'scale', contentType: 'application/json', text: '{"spec":{"replicas":1e300}}' },
            { what: 'scale', contentType: 'application/merge-patch+json', text: '{"spec":{"replicas":1}}' },
            { what: 'scale', contentType: 'application/json-patch+json', text: '[{"op":"replace","path":"/spec/replicas","value":2}]' },
            { what: 'scale', contentType: 'application/json-patch+json', text: '[{"op":"replace","path":"/spec","value":null}]' },
            { what: 'scale', contentType: 'application/strategic-merge-patch+json', text: 'null' },
            { what: 'scale', contentType: 'application/json', text: '[]' },
          );
          const method = ['GET', 'PUT', 'PATCH', 'PATCH', 'DELETE', 'POST'][r.pick % 6];
          return bodies.map((b) => plan(method, path, r.q, method === 'GET' ? { what: 'no body' } : b, 'scale'));
        }
        case 'discovery':
          return fc
            .constantFrom(
              '/',
              '/api',
              '/apis',
              '/version',
              '/openapi/v3',
              '/openapi/v3/api/v1',
              '/apis/apps',
              '/apis/apps/v1',
              '/api/v1',
              '/healthz',
              '/openapi/v2',
              '/api/v9',
              '/apis/nope/v1',
            )
            .map((p) => plan('GET', p, r.q));
        default:
          return fc
            .constantFrom(
              `${collection}/${name}/nope`,
              `/apis/nope/v1/namespaces/${r.namespace}/x`,
              `/api/v2/${r.kind.plural}`,
              `${collection}/${name}/status/extra`,
              `/api/v1/namespaces/${r.namespace}/configmaps/../secrets`,
              `/api/v1/namespaces/%ZZ/configmaps`,
              `${item}/scale`,
              `//api//v1`,
              `/clusters/{{kubeCluster}}/api/v1/namespaces`,
            )
            .chain((p) =>
              fc
                .constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')
                .map((m) => plan(m, p, r.q, m === 'GET' ? { what: 'no body' } : { what: 'json', contentType: 'application/json', text: '{}' }, 'odd-path')),
            );
      }
    });
}
