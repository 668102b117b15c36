import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBerth, testStores, type HttpResponse, type TestBerth } from '../../../test-support/berth.js';
import {
  clusterBody,
  clusterCredential,
  Kubectl,
  kubeApi,
  kubeconfigParts,
  managedClusterPath,
  putManagedCluster,
  type ArmCall,
} from '../../../test-support/kube.js';

const RG_API = 'api-version=2021-04-01';
const NS = 'bad-input';
const CONFIGMAPS = `/api/v1/namespaces/${NS}/configmaps`;

const DOOMED_APPS = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
`;

/** A JSON text of `depth` nested objects: {"a":{"a":...{}}}. */
const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

function expectStatus(res: HttpResponse, code: number, reason: string): void {
  expect({ status: res.status, kind: res.body?.kind, reason: res.body?.reason, code: res.body?.code }, res.text).toEqual({
    status: code,
    kind: 'Status',
    reason,
    code,
  });
}

describe.each(testStores())('bad input to the Kubernetes API of a local cluster on %s', (store) => {
  let berth: TestBerth;
  let adminYaml: string;
  let api: ReturnType<typeof kubeApi>;
  let clusterId: string;
  const call: ArmCall = (method, p, o) => berth.request(method, p, o);

  /** What the namespace holds: names and resourceVersions of its ConfigMaps and Secrets. */
  async function contents(): Promise<string[]> {
    const out: string[] = [];
    for (const plural of ['configmaps', 'secrets']) {
      const list = await api('GET', `/api/v1/namespaces/${NS}/${plural}`);
      expect(list.status).toBe(200);
      for (const item of list.body.items) out.push(`${plural}/${item.metadata.name}@${item.metadata.resourceVersion}`);
    }
    return out.sort();
  }

  /** Runs `attempt` and checks that it left the namespace as it was. */
  async function changesNothing(attempt: () => Promise<void>): Promise<void> {
    const before = await contents();
    await attempt();
    expect(await contents()).toEqual(before);
  }

  beforeAll(async () => {
    berth = await startTestBerth({ store, provisioningDelayMs: 0 });
    const sub = berth.subscriptionId;
    expect((await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/bad-rg?${RG_API}`, { body: { location: 'westus' } })).status).toBe(201);
    const clusterPath = managedClusterPath(sub, 'bad-rg', 'bad-aks');
    expect((await putManagedCluster(call, clusterPath, clusterBody({ count: 1, vmSize: 'Standard_D2_v2' }))).operation.status).toBe('Succeeded');
    adminYaml = await clusterCredential(call, clusterPath, 'admin');
    api = kubeApi(adminYaml);
    clusterId = /\/clusters\/([^/]+)$/.exec(kubeconfigParts(adminYaml).server)![1];
    expect((await api('POST', '/api/v1/namespaces', { body: { metadata: { name: NS } } })).status).toBe(201);
    expect((await api('POST', CONFIGMAPS, { body: { metadata: { name: 'keep' }, data: { a: '1' } } })).status).toBe(201);
  });
  afterAll(async () => {
    await berth?.close();
  });

  it('refuses an unauthenticated caller with 401 before reading its body, whether or not the cluster exists', async () => {
    const garbage = { rawBody: '{"not json', headers: { 'content-type': 'application/json' } };
    const huge = { rawBody: JSON.stringify({ metadata: { name: 'huge' }, data: { a: 'x'.repeat(2 * 1024 * 1024) } }) };
    await changesNothing(async () => {
      expectStatus(await api('POST', CONFIGMAPS, { ...garbage, token: null }), 401, 'Unauthorized');
      expectStatus(await api('POST', CONFIGMAPS, { ...garbage, token: 'admin.forged' }), 401, 'Unauthorized');
      // Larger than the body limit: a body that is read first would answer 413.
      expectStatus(await api('POST', CONFIGMAPS, { ...huge, token: null }), 401, 'Unauthorized');
      expectStatus(await api('POST', CONFIGMAPS, { body: { metadata: { name: 'no-token' } }, token: null }), 401, 'Unauthorized');
    });
    // Another cluster id with this cluster's valid token: 401 too, so ids cannot be probed.
    const { server } = kubeconfigParts(adminYaml);
    const other = kubeApi(adminYaml.replace(server, server.replace(clusterId, 'no-such-cluster')));
    expectStatus(await other('GET', '/api/v1/namespaces'), 401, 'Unauthorized');
    expectStatus(await other('POST', '/api/v1/namespaces', { ...garbage, token: null }), 401, 'Unauthorized');
  });

  it('answers malformed percent-encoding in the path with 400', async () => {
    await changesNothing(async () => {
      // Fastify's router refuses a path it cannot decode before any plugin runs (the front door answers that one).
      expect((await api('GET', `/api/v1/namespaces/%E0%A4%A/configmaps`)).status).toBe(400);
      // The router decodes %25 to '%' in route parameters; decoding that again failed with a 500. The raw path is decoded once.
      expectStatus(await api('GET', `${CONFIGMAPS}/%25ZZ`), 404, 'NotFound');
      expectStatus(await api('DELETE', `${CONFIGMAPS}/keep%25E0%25A4%25A`), 404, 'NotFound');
      expectStatus(await api('POST', `/api/v1/namespaces/%25ZZ/configmaps`, { body: { metadata: { name: 'x' } } }), 404, 'NotFound');
      // An encoded slash stays inside its segment: not a path to another resource.
      expect((await api('GET', `/api/v1/namespaces/${NS}%2Fconfigmaps%2Fkeep`)).status).toBe(404);
    });
  });

  it('refuses repeated selectors, and a repeated dryRun=All stays a dry run', async () => {
    await changesNothing(async () => {
      expectStatus(await api('GET', `${CONFIGMAPS}?labelSelector=a%3D1&labelSelector=b%3D2`), 400, 'BadRequest');
      expectStatus(await api('GET', `${CONFIGMAPS}?fieldSelector=metadata.name%3Dkeep&fieldSelector=metadata.name%3Dother`), 400, 'BadRequest');
      // A delete of a collection must not widen to everything because its selector came twice.
      expectStatus(await api('DELETE', `${CONFIGMAPS}?labelSelector=a%3D1&labelSelector=b%3D2`), 400, 'BadRequest');

      const dry = await api('POST', `${CONFIGMAPS}?dryRun=All&dryRun=All`, { body: { metadata: { name: 'dry' }, data: { a: '1' } } });
      expect(dry.status, dry.text).toBe(201);
      expect(dry.body.metadata.name).toBe('dry');
      const dryDelete = await api('DELETE', `${CONFIGMAPS}/keep?dryRun=All&dryRun=All`);
      expect(dryDelete.status, dryDelete.text).toBe(200);
      const dryPatch = await api('PATCH', `${CONFIGMAPS}/keep?dryRun=All&dryRun=All`, {
        rawBody: '{"data":{"a":"2"}}',
        headers: { 'content-type': 'application/merge-patch+json' },
      });
      expect(dryPatch.status, dryPatch.text).toBe(200);
      expect(dryPatch.body.data.a).toBe('2');
      // Anything but All is refused rather than taken as "not a dry run".
      expectStatus(await api('POST', `${CONFIGMAPS}?dryRun=All&dryRun=None`, { body: { metadata: { name: 'dry2' } } }), 400, 'BadRequest');
      expectStatus(await api('POST', `${CONFIGMAPS}?dryRun=true`, { body: { metadata: { name: 'dry3' } } }), 400, 'BadRequest');
      expectStatus(await api('GET', `${CONFIGMAPS}?watch=true&watch=false`), 400, 'BadRequest');
    });
  });

  it('refuses JSON and YAML nested deeper than 100 levels with 400', async () => {
    const deep = (depth: number) => `{"metadata":{"name":"deep"},"data":{},"extra":${nested(depth - 1)}}`;
    await changesNothing(async () => {
      expectStatus(await api('POST', CONFIGMAPS, { rawBody: deep(101) }), 400, 'BadRequest');
      expectStatus(await api('POST', CONFIGMAPS, { rawBody: '['.repeat(200_000) + ']'.repeat(200_000) }), 400, 'BadRequest');
      expectStatus(await api('PUT', `${CONFIGMAPS}/keep`, { rawBody: deep(150) }), 400, 'BadRequest');
      for (const type of ['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json']) {
        const body = type === 'application/json-patch+json' ? `[{"op":"add","path":"/extra","value":${nested(120)}}]` : `{"extra":${nested(120)}}`;
        expectStatus(await api('PATCH', `${CONFIGMAPS}/keep`, { rawBody: body, headers: { 'content-type': type } }), 400, 'BadRequest');
      }
      const yamlDeep = 'metadata: {name: keep}\nextra: ' + '{a: '.repeat(120) + '1' + '}'.repeat(120) + '\n';
      expectStatus(
        await api('PATCH', `${CONFIGMAPS}/keep?fieldManager=t`, { rawBody: yamlDeep, headers: { 'content-type': 'application/apply-patch+yaml' } }),
        400,
        'BadRequest',
      );
      const yamlFlow = 'metadata: {name: keep}\nextra: ' + '['.repeat(50_000) + ']'.repeat(50_000) + '\n';
      expectStatus(
        await api('PATCH', `${CONFIGMAPS}/keep?fieldManager=t`, { rawBody: yamlFlow, headers: { 'content-type': 'application/apply-patch+yaml' } }),
        400,
        'BadRequest',
      );
    });
    // 100 levels are fine.
    const ok = await api('POST', `${CONFIGMAPS}?dryRun=All`, { rawBody: deep(100) });
    expect(ok.status, ok.text).toBe(201);
  });

  it('answers garbage protobuf with a 4xx Status', async () => {
    const protobuf = { 'content-type': 'application/vnd.kubernetes.protobuf' };
    const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]).toString('latin1');
    await changesNothing(async () => {
      expectStatus(await api('POST', CONFIGMAPS, { rawBody: 'not protobuf at all', headers: protobuf }), 400, 'BadRequest');
      // The magic number, then a field with a length far past the end of the body.
      expectStatus(await api('POST', CONFIGMAPS, { rawBody: `${magic}\x0a\x7f\x0a\x02v1`, headers: protobuf }), 400, 'BadRequest');
      expectStatus(await api('POST', CONFIGMAPS, { rawBody: `${magic}\x12\x05\x0a\xff\xff\xff\x0f`, headers: protobuf }), 400, 'BadRequest');
      // A well-formed envelope around a kind the server does not decode.
      const typeMeta = `\x0a\x02v1\x12\x0aObjectMeta`;
      expectStatus(
        await api('POST', CONFIGMAPS, { rawBody: `${magic}\x0a${String.fromCharCode(typeMeta.length)}${typeMeta}`, headers: protobuf }),
        415,
        'UnsupportedMediaType',
      );
    });
  });

  it('answers bodies of the wrong shape with a 4xx Status, never 500', async () => {
    const json = { 'content-type': 'application/json' };
    const cases: Array<[string, string, string, Record<string, string>, number, string]> = [
      ['POST', CONFIGMAPS, '{"metadata":', json, 400, 'BadRequest'],
      ['POST', CONFIGMAPS, '[]', json, 400, 'BadRequest'],
      ['POST', CONFIGMAPS, '"configmap"', json, 400, 'BadRequest'],
      ['POST', CONFIGMAPS, 'null', json, 400, 'BadRequest'],
      ['POST', CONFIGMAPS, '{"metadata":{"name":5}}', json, 400, 'BadRequest'],
      ['POST', CONFIGMAPS, '{"metadata":{"name":"x","labels":"a=b"}}', json, 400, 'BadRequest'],
      ['POST', CONFIGMAPS, '{"metadata":{"name":"x","annotations":{"a":{}}}}', json, 400, 'BadRequest'],
      ['POST', CONFIGMAPS, '{"metadata":{"name":"x","namespace":["a"]}}', json, 400, 'BadRequest'],
      ['POST', CONFIGMAPS, '{"kind":7,"metadata":{"name":"x"}}', json, 400, 'BadRequest'],
      ['POST', CONFIGMAPS, '{"metadata":{"name":"x"},"data":"a"}', json, 422, 'Invalid'],
      ['POST', CONFIGMAPS, 'a: [', { 'content-type': 'application/yaml' }, 400, 'BadRequest'],
      ['POST', CONFIGMAPS, '<configmap/>', { 'content-type': 'application/xml' }, 415, 'UnsupportedMediaType'],
      ['PUT', `${CONFIGMAPS}/keep`, '{"metadata":{"name":"keep","resourceVersion":7}}', json, 400, 'BadRequest'],
      ['PATCH', `${CONFIGMAPS}/keep`, '[1,2]', { 'content-type': 'application/merge-patch+json' }, 422, 'Invalid'],
      ['PATCH', `${CONFIGMAPS}/keep`, 'null', { 'content-type': 'application/strategic-merge-patch+json' }, 422, 'Invalid'],
      ['PATCH', `${CONFIGMAPS}/keep`, '{"op":"add"}', { 'content-type': 'application/json-patch+json' }, 422, 'Invalid'],
      ['PATCH', `${CONFIGMAPS}/keep`, '[{"op":"add","path":"/metadata","value":3}]', { 'content-type': 'application/json-patch+json' }, 400, 'BadRequest'],
      ['PATCH', `${CONFIGMAPS}/keep`, '{"metadata":{"labels":[1]}}', { 'content-type': 'application/merge-patch+json' }, 400, 'BadRequest'],
      ['PATCH', `${CONFIGMAPS}/keep?fieldManager=t`, 'metadata: [1', { 'content-type': 'application/apply-patch+yaml' }, 400, 'BadRequest'],
      ['PATCH', `${CONFIGMAPS}/keep?fieldManager=t`, '- 1\n- 2\n', { 'content-type': 'application/apply-patch+yaml' }, 422, 'Invalid'],
      ['PATCH', `${CONFIGMAPS}/keep?fieldManager=t`, '!!binary garbage', { 'content-type': 'application/apply-patch+yaml' }, 400, 'BadRequest'],
      ['PATCH', `${CONFIGMAPS}/keep?fieldManager=t`, 'data: !!set {a, b}', { 'content-type': 'application/apply-patch+yaml' }, 400, 'BadRequest'],
      // A self-referencing alias is a cycle; aliases of aliases expand exponentially: neither may hang the server.
      ['PATCH', `${CONFIGMAPS}/keep?fieldManager=t`, 'a: &x\n  b: *x', { 'content-type': 'application/apply-patch+yaml' }, 400, 'BadRequest'],
      [
        'PATCH',
        `${CONFIGMAPS}/keep?fieldManager=t`,
        ['l0: &l0 [x, x]', ...Array.from({ length: 40 }, (_, i) => `l${i + 1}: &l${i + 1} [*l${i}, *l${i}]`)].join('\n'),
        { 'content-type': 'application/apply-patch+yaml' },
        400,
        'BadRequest',
      ],
      ['PATCH', `${CONFIGMAPS}/keep`, '{}', { 'content-type': 'text/plain' }, 415, 'UnsupportedMediaType'],
      ['DELETE', `${CONFIGMAPS}/keep`, '{"preconditions":"x"}', json, 400, 'BadRequest'],
      ['DELETE', `${CONFIGMAPS}/keep`, '[]', json, 400, 'BadRequest'],
    ];
    await changesNothing(async () => {
      for (const [method, path, body, headers, code, reason] of cases) {
        const res = await api(method, path, { rawBody: body, headers });
        expect({ method, path, body, status: res.status, kind: res.body?.kind, reason: res.body?.reason }).toEqual({
          method,
          path,
          body,
          status: code,
          kind: 'Status',
          reason,
        });
      }
    });
  });

  it('answers bad pod and deployment specs with 422, never 500', async () => {
    const deployment = (containers: unknown) => ({
      metadata: { name: 'bad' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'bad' } }, template: { metadata: { labels: { app: 'bad' } }, spec: { containers } } },
    });
    const pod = (containers: unknown) => ({ metadata: { name: 'bad' }, spec: { containers } });
    const specs = [
      ['web'],
      [{ name: 'web', image: 'nginx', ports: 80 }],
      [{ name: 'web', image: 'nginx', ports: ['80'] }],
      [{ name: 'web', image: 'nginx', resources: 'big' }],
      [{ name: 'web', image: 'nginx', resources: { requests: { cpu: 'lots' } } }],
      [{ name: 'web', image: 'nginx', resources: { requests: { memory: '-1Gi' } } }],
      [{ name: 'web', image: 'nginx', resources: { requests: { cpu: { a: 1 } } } }],
      [{ name: 5, image: 'nginx' }],
    ];
    for (const containers of specs) {
      expectStatus(await api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, { body: deployment(containers) }), 422, 'Invalid');
      expectStatus(await api('POST', `/api/v1/namespaces/${NS}/pods`, { body: pod(containers) }), 422, 'Invalid');
    }
    // Replica counts are int32, as in Kubernetes: 1e300 passes Number.isInteger, and once made the pods that huge a count asks for never end.
    const good = deployment([{ name: 'web', image: 'nginx' }]);
    for (const replicas of [1e300, 2_147_483_648, -1, 1.5]) {
      expectStatus(await api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, { body: { ...good, spec: { ...good.spec, replicas } } }), 422, 'Invalid');
    }
    expect((await api('GET', `/apis/apps/v1/namespaces/${NS}/deployments`)).body.items).toEqual([]);
    expect((await api('GET', `/api/v1/namespaces/${NS}/pods`)).body.items).toEqual([]);

    const scaled = `/apis/apps/v1/namespaces/${NS}/deployments/scaled`;
    expect(
      (
        await api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, {
          body: { ...good, metadata: { name: 'scaled' }, spec: { ...good.spec, replicas: 0 } },
        })
      ).status,
    ).toBe(201);
    expectStatus(
      await api('PUT', `${scaled}/scale`, { rawBody: '{"spec":{"replicas":1e300}}', headers: { 'content-type': 'application/json' } }),
      422,
      'Invalid',
    );
    expectStatus(
      await api('PATCH', scaled, { rawBody: '{"spec":{"replicas":1e300}}', headers: { 'content-type': 'application/merge-patch+json' } }),
      422,
      'Invalid',
    );
    expect((await api('GET', scaled)).body.spec.replicas).toBe(0);
    expect((await api('DELETE', scaled)).status).toBe(200);
  });

  it('refuses garbage timeoutSeconds and resourceVersion on watches with 400', async () => {
    for (const timeout of ['abc', '-1', '1e400', '1.5', '99999999999999999999']) {
      expectStatus(await api('GET', `${CONFIGMAPS}?watch=true&timeoutSeconds=${timeout}`), 400, 'BadRequest');
    }
    expectStatus(await api('GET', `${CONFIGMAPS}?limit=abc`), 400, 'BadRequest');
    expectStatus(await api('GET', `${CONFIGMAPS}?limit=99999999999999999999999`), 400, 'BadRequest');
    // A large but valid limit is just a limit the server need not reach.
    expect((await api('GET', `${CONFIGMAPS}?limit=9007199254740991`)).status).toBe(200);
  });

  it('deleting a namespace deletes everything in it', async () => {
    const kubectl = await Kubectl.create(adminYaml);
    try {
      await kubectl.ok(['create', 'namespace', 'doomed']);
      await kubectl.ok(['-n', 'doomed', 'create', 'configmap', 'cm', '--from-literal=a=1']);
      await kubectl.ok(['-n', 'doomed', 'create', 'secret', 'generic', 'sec', '--from-literal=a=1']);
      // kubectl create deployment|service would send protobuf this API server does not decode for those kinds.
      await kubectl.ok(['-n', 'doomed', 'apply', '-f', '-'], DOOMED_APPS);
      await kubectl.ok(['-n', 'doomed', 'create', 'serviceaccount', 'robot']);
      await kubectl.ok(['-n', 'doomed', 'rollout', 'status', 'deploy/web', '--timeout=20s']);
      expect(JSON.parse(await kubectl.ok(['-n', 'doomed', 'get', 'pods', '-o', 'json'])).items).toHaveLength(3);

      expect(await kubectl.ok(['delete', 'namespace', 'doomed', '--timeout=20s'])).toContain('namespace "doomed" deleted');
      expect((await kubectl.run(['get', 'namespace', 'doomed'])).stderr).toContain('namespaces "doomed" not found');
      // Give the controllers time to (wrongly) recreate pods of the deleted deployment.
      await new Promise((r) => setTimeout(r, 500));
      for (const plural of ['configmaps', 'secrets', 'pods', 'services', 'serviceaccounts', 'events']) {
        const list = await api('GET', `/api/v1/${plural}`);
        expect(
          list.body.items.filter((o: any) => o.metadata.namespace === 'doomed'),
          plural,
        ).toEqual([]);
      }
      expect((await api('GET', '/apis/apps/v1/deployments')).body.items.filter((o: any) => o.metadata.namespace === 'doomed')).toEqual([]);
      // Nothing can be created in it any more.
      expectStatus(await api('POST', '/api/v1/namespaces/doomed/configmaps', { body: { metadata: { name: 'late' } } }), 404, 'NotFound');
    } finally {
      await kubectl.close();
    }
  });

  it('never answers 500 to a spread of odd requests', async () => {
    const paths = [
      '/',
      '/api',
      '/api/v2',
      '/apis/apps',
      '/apis/x/y/z',
      '/api/v1/namespaces/%00/configmaps',
      '/api/v1/namespaces/a/b/c/d/e/f',
      `/clusters/${clusterId}/api/v1/namespaces`,
      '/openapi/v3/apis/none',
      '/api/v1/namespaces//configmaps',
    ];
    for (const path of paths) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        const res = await api(method, path, method === 'GET' ? {} : { rawBody: '{}' });
        expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(500);
      }
    }
  });
});
