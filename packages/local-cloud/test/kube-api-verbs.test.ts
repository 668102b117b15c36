import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBerth, testStores, type HttpResponse, type TestBerth } from '../../../test-support/berth.js';
import { clusterBody, clusterCredential, kubeApi, managedClusterPath, putManagedCluster, type ArmCall } from '../../../test-support/kube.js';

// One describe per verb module of the API server (kube/api/verbs/), through HTTPS as a client sees it:
// what each verb does, and what it refuses, beyond what kubernetes-api.test.ts and kube-bad-input.test.ts cover.

const RG_API = 'api-version=2021-04-01';
const NS = 'verbs';
const CONFIGMAPS = `/api/v1/namespaces/${NS}/configmaps`;
const SERVICES = `/api/v1/namespaces/${NS}/services`;
const DEPLOYMENTS = `/apis/apps/v1/namespaces/${NS}/deployments`;
const MERGE = { 'content-type': 'application/merge-patch+json' };
const JSON_PATCH = { 'content-type': 'application/json-patch+json' };
const STRATEGIC = { 'content-type': 'application/strategic-merge-patch+json' };
const APPLY = { 'content-type': 'application/apply-patch+yaml' };
const TABLE = { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };

function expectStatus(res: HttpResponse, code: number, reason: string): void {
  expect({ status: res.status, kind: res.body?.kind, reason: res.body?.reason, code: res.body?.code }, res.text).toEqual({
    status: code,
    kind: 'Status',
    reason,
    code,
  });
}

function deployment(name: string, replicas: number) {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    },
  };
}

describe.each(testStores())('the verbs of the Kubernetes API on %s', (store) => {
  let berth: TestBerth;
  let api: ReturnType<typeof kubeApi>;
  const call: ArmCall = (method, p, o) => berth.request(method, p, o);

  async function configMap(name: string, labels: Record<string, string> = {}): Promise<any> {
    const res = await api('POST', CONFIGMAPS, { body: { metadata: { name, labels }, data: { v: '1' } } });
    expect(res.status, res.text).toBe(201);
    return res.body;
  }

  beforeAll(async () => {
    berth = await startTestBerth({ store, provisioningDelayMs: 0 });
    const sub = berth.subscriptionId;
    expect((await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/verbs-rg?${RG_API}`, { body: { location: 'westus' } })).status).toBe(201);
    const clusterPath = managedClusterPath(sub, 'verbs-rg', 'verbs-aks');
    expect((await putManagedCluster(call, clusterPath, clusterBody({ count: 1, vmSize: 'Standard_D3_v2' }))).operation.status).toBe('Succeeded');
    api = kubeApi(await clusterCredential(call, clusterPath, 'admin'));
    expect((await api('POST', '/api/v1/namespaces', { body: { metadata: { name: NS } } })).status).toBe(201);
  });
  afterAll(async () => {
    await berth?.close();
  });

  describe('read (get and list)', () => {
    it('lists what a field selector picks, and answers a Table when asked for one', async () => {
      await configMap('read-a');
      await configMap('read-b');
      const list = await api('GET', `${CONFIGMAPS}?fieldSelector=metadata.name%3Dread-b`);
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1' });
      expect(list.body.items.map((c: any) => c.metadata.name)).toEqual(['read-b']);
      expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(list.body.items[0].metadata.resourceVersion));

      const table = await api('GET', `${CONFIGMAPS}/read-a`, { headers: TABLE });
      expect(table.status).toBe(200);
      expect(table.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
      expect(table.body.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Data', 'Age']);
      expect(table.body.rows).toEqual([
        expect.objectContaining({ cells: ['read-a', 1, expect.any(String)], object: expect.objectContaining({ kind: 'PartialObjectMetadata' }) }),
      ]);
    });

    it('refuses a subresource the type does not have and a field selector it cannot parse', async () => {
      expectStatus(await api('GET', `${CONFIGMAPS}/read-a/status`), 404, 'NotFound');
      expectStatus(await api('GET', `${CONFIGMAPS}?fieldSelector=metadata.name`), 400, 'BadRequest');
    });
  });

  describe('watch', () => {
    it('streams the changes since a resourceVersion, then ends at timeoutSeconds', async () => {
      const created = await configMap('watched', { tier: 'web' });
      expect((await api('PATCH', `${CONFIGMAPS}/watched`, { rawBody: '{"data":{"v":"2"}}', headers: MERGE })).status).toBe(200);
      await configMap('unwatched', { tier: 'db' });
      const started = Date.now();
      const res = await api('GET', `${CONFIGMAPS}?watch=true&labelSelector=tier%3Dweb&timeoutSeconds=1&resourceVersion=${created.metadata.resourceVersion}`);
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      const events = res.text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(events.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.data.v}`)).toEqual(['MODIFIED watched 2']);
    });

    it('refuses a resourceVersion that is not one with 410 Expired', async () => {
      expectStatus(await api('GET', `${CONFIGMAPS}?watch=true&resourceVersion=yesterday`), 410, 'Expired');
    });
  });

  describe('create', () => {
    it('names an object from generateName, and a dry run stores nothing', async () => {
      const generated = await api('POST', CONFIGMAPS, { body: { metadata: { generateName: 'gen-' }, data: { a: 'b' } } });
      expect(generated.status).toBe(201);
      expect(generated.body.metadata.name).toMatch(/^gen-[a-z0-9]{1,5}$/);
      expect(generated.body.metadata).toMatchObject({ namespace: NS, uid: expect.any(String), resourceVersion: expect.any(String) });
      const dry = await api('POST', `${CONFIGMAPS}?dryRun=All`, { body: { metadata: { name: 'dry-made' } } });
      expect(dry.status).toBe(201);
      expect(dry.body).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'dry-made', namespace: NS } });
      expectStatus(await api('GET', `${CONFIGMAPS}/dry-made`), 404, 'NotFound');
    });

    it('refuses an object whose namespace or kind disagrees with the path', async () => {
      expectStatus(await api('POST', CONFIGMAPS, { body: { metadata: { name: 'elsewhere', namespace: 'default' } } }), 400, 'BadRequest');
      expectStatus(await api('POST', CONFIGMAPS, { body: { kind: 'Secret', metadata: { name: 'wrong-kind' } } }), 400, 'BadRequest');
      expectStatus(await api('GET', `${CONFIGMAPS}/elsewhere`), 404, 'NotFound');
      expectStatus(await api('GET', `${CONFIGMAPS}/wrong-kind`), 404, 'NotFound');
    });
  });

  describe('update', () => {
    it('replaces an object without a resourceVersion, and the status subresource changes only the status', async () => {
      const created = await configMap('replaced');
      const replaced = await api('PUT', `${CONFIGMAPS}/replaced`, { body: { metadata: { name: 'replaced' }, data: { v: 'new' } } });
      expect(replaced.status).toBe(200);
      expect(replaced.body.data).toEqual({ v: 'new' });
      expect(replaced.body.metadata.uid).toBe(created.metadata.uid);

      const svc = await api('POST', SERVICES, { body: { metadata: { name: 'with-status' }, spec: { ports: [{ port: 80 }] } } });
      expect(svc.status).toBe(201);
      const condition = {
        type: 'Checked',
        status: 'True',
        reason: 'ByTest',
        message: 'set through the status subresource',
        lastTransitionTime: '2025-01-01T00:00:00Z',
      };
      const status = await api('PUT', `${SERVICES}/with-status/status`, {
        body: { ...svc.body, spec: { ...svc.body.spec, ports: [{ port: 8080 }] }, status: { loadBalancer: {}, conditions: [condition] } },
      });
      expect(status.status, status.text).toBe(200);
      expect(status.body.status.conditions).toEqual([condition]);
      expect(status.body.spec.ports).toEqual(svc.body.spec.ports);
    });

    it('refuses a body named differently from the path, and a status update of a missing object', async () => {
      expectStatus(await api('PUT', `${CONFIGMAPS}/replaced`, { body: { metadata: { name: 'other' }, data: {} } }), 400, 'BadRequest');
      expectStatus(
        await api('PUT', `${SERVICES}/no-such-service/status`, { body: { metadata: { name: 'no-such-service' }, spec: { ports: [{ port: 80 }] } } }),
        404,
        'NotFound',
      );
      expect((await api('GET', `${CONFIGMAPS}/replaced`)).body.data).toEqual({ v: 'new' });
      expectStatus(await api('GET', `${SERVICES}/no-such-service`), 404, 'NotFound');
    });
  });

  describe('patch', () => {
    it('applies JSON and strategic merge patches, and a server-side apply creates a missing object', async () => {
      expect((await api('POST', DEPLOYMENTS, { body: deployment('patched', 0) })).status).toBe(201);
      const json = await api('PATCH', `${DEPLOYMENTS}/patched`, {
        rawBody: '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.28"}]',
        headers: JSON_PATCH,
      });
      expect(json.status, json.text).toBe(200);
      expect(json.body.spec.template.spec.containers[0].image).toBe('nginx:1.28');
      expect(json.body.metadata.generation).toBe(2);
      // A strategic merge finds the container by name and keeps what the patch leaves out.
      const sidecar = '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}';
      const strategic = await api('PATCH', `${DEPLOYMENTS}/patched`, { rawBody: sidecar, headers: STRATEGIC });
      expect(strategic.status, strategic.text).toBe(200);
      expect(strategic.body.spec.template.spec.containers.map((c: any) => `${c.name}=${c.image}`)).toEqual(['sidecar=busybox:1.36', 'app=nginx:1.28']);

      const applied = await api('PATCH', `${CONFIGMAPS}/applied?fieldManager=test`, {
        rawBody: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  k: v\n',
        headers: APPLY,
      });
      expect(applied.status, applied.text).toBe(201);
      expect((await api('GET', `${CONFIGMAPS}/applied`)).body.data).toEqual({ k: 'v' });
    });

    it('refuses an apply without a field manager, a patch that renames, and a stale resourceVersion', async () => {
      const before = await configMap('unpatched');
      expectStatus(await api('PATCH', `${CONFIGMAPS}/unpatched`, { rawBody: 'data:\n  k: v\n', headers: APPLY }), 400, 'BadRequest');
      expectStatus(await api('PATCH', `${CONFIGMAPS}/unpatched`, { rawBody: '{"metadata":{"name":"renamed"}}', headers: MERGE }), 400, 'BadRequest');
      await api('PATCH', `${CONFIGMAPS}/unpatched`, { rawBody: '{"data":{"v":"2"}}', headers: MERGE });
      const stale = `{"metadata":{"resourceVersion":"${before.metadata.resourceVersion}"},"data":{"v":"3"}}`;
      expectStatus(await api('PATCH', `${CONFIGMAPS}/unpatched`, { rawBody: stale, headers: MERGE }), 409, 'Conflict');
      expect((await api('GET', `${CONFIGMAPS}/unpatched`)).body.data).toEqual({ v: '2' });
    });
  });

  describe('delete', () => {
    it('deletes an object whose preconditions hold, and a collection by label selector', async () => {
      const doomed = await configMap('doomed');
      const removed = await api('DELETE', `${CONFIGMAPS}/doomed`, {
        body: { preconditions: { uid: doomed.metadata.uid, resourceVersion: doomed.metadata.resourceVersion } },
      });
      expect(removed.status, removed.text).toBe(200);
      expect(removed.body.metadata.name).toBe('doomed');
      expectStatus(await api('GET', `${CONFIGMAPS}/doomed`), 404, 'NotFound');

      for (const name of ['sweep-1', 'sweep-2']) await configMap(name, { sweep: 'yes' });
      await configMap('sweep-kept', { sweep: 'no' });
      const swept = await api('DELETE', `${CONFIGMAPS}?labelSelector=sweep%3Dyes`);
      expect(swept.status).toBe(200);
      expect(swept.body.items.map((c: any) => c.metadata.name)).toEqual(['sweep-1', 'sweep-2']);
      const left = await api('GET', `${CONFIGMAPS}?labelSelector=sweep`);
      expect(left.body.items.map((c: any) => c.metadata.name)).toEqual(['sweep-kept']);
    });

    it('refuses a delete whose preconditions fail, and a system namespace', async () => {
      const kept = await configMap('precondition');
      expectStatus(await api('DELETE', `${CONFIGMAPS}/precondition`, { body: { preconditions: { uid: 'not-its-uid' } } }), 409, 'Conflict');
      await api('PATCH', `${CONFIGMAPS}/precondition`, { rawBody: '{"data":{"v":"2"}}', headers: MERGE });
      expectStatus(
        await api('DELETE', `${CONFIGMAPS}/precondition`, { body: { preconditions: { resourceVersion: kept.metadata.resourceVersion } } }),
        409,
        'Conflict',
      );
      expect((await api('GET', `${CONFIGMAPS}/precondition`)).status).toBe(200);
      expectStatus(await api('DELETE', '/api/v1/namespaces/kube-system'), 403, 'Forbidden');
      expect((await api('GET', '/api/v1/namespaces/kube-system')).body.status.phase).toBe('Active');
    });
  });

  describe('scale', () => {
    it('reads the Scale of a deployment and sets its replicas with PUT and with a JSON patch', async () => {
      expect((await api('POST', DEPLOYMENTS, { body: deployment('scaled', 0) })).status).toBe(201);
      const scale = await api('GET', `${DEPLOYMENTS}/scaled/scale`);
      expect(scale.status).toBe(200);
      expect(scale.body).toMatchObject({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name: 'scaled', namespace: NS },
        spec: { replicas: 0 },
        status: { selector: 'app=scaled' },
      });
      const put = await api('PUT', `${DEPLOYMENTS}/scaled/scale`, { body: { ...scale.body, spec: { replicas: 2 } } });
      expect(put.status, put.text).toBe(200);
      expect(put.body.spec.replicas).toBe(2);
      const patched = await api('PATCH', `${DEPLOYMENTS}/scaled/scale`, {
        rawBody: '[{"op":"replace","path":"/spec/replicas","value":1}]',
        headers: JSON_PATCH,
      });
      expect(patched.status, patched.text).toBe(200);
      expect((await api('GET', `${DEPLOYMENTS}/scaled`)).body.spec.replicas).toBe(1);
    });

    it('refuses other methods, missing objects and types without a scale subresource', async () => {
      expectStatus(await api('POST', `${DEPLOYMENTS}/scaled/scale`, { body: { spec: { replicas: 5 } } }), 405, 'MethodNotAllowed');
      expectStatus(await api('GET', `${DEPLOYMENTS}/no-such-deployment/scale`), 404, 'NotFound');
      await configMap('unscalable');
      expectStatus(await api('GET', `${CONFIGMAPS}/unscalable/scale`), 404, 'NotFound');
      expect((await api('GET', `${DEPLOYMENTS}/scaled`)).body.spec.replicas).toBe(1);
    });
  });
});
