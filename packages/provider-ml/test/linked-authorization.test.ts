import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { BerthClient } from '@berth/sdk';
import { clusterActions, permits } from '@berth/compute-rules';
import { credential, startTestBerth, testStores, waitForOperation, type HttpResponse, type TestBerth } from '../../../test-support/berth.js';
import { assign, createPrincipal, tokenOf, type ServicePrincipal } from '../../../test-support/principals.js';
import { clusterObjects, makeCluster, mlClient, paths, setUpWorkspaces, until } from './compute-fixtures.js';

const AUTHZ = 'api-version=2022-04-01';

/**
 * Acting on a cluster through a compute (attach, PATCH, detach, delete, listKeys, listNodes) needs the
 * caller's own rights on the cluster, as ARM's linked access check: a Contributor of its workspace's
 * group alone is refused with 403 LinkedAuthorizationFailed, and nothing changes, neither in ARM nor in
 * the cluster's Kubernetes API; Contributor at the cluster's group or on the cluster itself succeeds.
 */
describe.each(testStores())('linked authorization of computes on their clusters, on %s', (store) => {
  let berth: TestBerth;
  let sub: string;
  let p: ReturnType<typeof paths>;
  /** Contributor on team-rg (its workspace's group) only. */
  let intruder: ServicePrincipal;
  /** Contributor on team-rg, Reader on clusters-rg and on the victim cluster itself. */
  let reader: ServicePrincipal;

  const clusterId = (name: string) => p.clusterId('clusters-rg', name);
  const computeId = (name: string) =>
    `/subscriptions/${sub}/resourceGroups/team-rg/providers/Microsoft.MachineLearningServices/workspaces/team-ws/computes/${name}`;

  /** A cluster of clusters-rg's objects with their resourceVersions. */
  const objectsOf = (cluster: string) => clusterObjects(berth, 'clusters-rg', cluster);
  const attachBody = (cluster: string) => ({ properties: { computeType: 'AKS', resourceId: cluster, properties: { clusterPurpose: 'DevTest' } } });

  /** The compute calls that act on a cluster, each as a request a principal sends. */
  const actingCalls = (compute: string) => ({
    patch: {
      method: 'PATCH',
      path: p.compute('team-rg', 'team-ws', compute),
      body: { properties: { properties: { loadBalancerType: 'InternalLoadBalancer' } } },
    },
    detach: { method: 'DELETE', path: p.compute('team-rg', 'team-ws', compute, '&underlyingResourceAction=Detach') },
    delete: { method: 'DELETE', path: p.compute('team-rg', 'team-ws', compute, '&underlyingResourceAction=Delete') },
    listKeys: { method: 'POST', path: p.computeAction('team-rg', 'team-ws', compute, 'listKeys') },
    listNodes: { method: 'POST', path: p.computeAction('team-rg', 'team-ws', compute, 'listNodes') },
  });

  /** The workspace's computes and the clusters of clusters-rg, whole bodies, as ARM shows them. */
  async function armState(): Promise<unknown> {
    const computes = await berth.request('GET', p.computes('team-rg', 'team-ws'));
    const clusters = await berth.request('GET', p.clusters('clusters-rg'));
    expect([computes.status, clusters.status]).toEqual([200, 200]);
    return { computes: computes.body.value, clusters: clusters.body.value };
  }

  function expectLinkedRefusal(res: HttpResponse, sp: ServicePrincipal, compute: string, cluster: string, what: string): void {
    expect(res.status, `${what}: ${res.text}`).toBe(403);
    expect(res.body.error.code, what).toBe('LinkedAuthorizationFailed');
    expect(res.body.error.message, what).toContain(`The client '${sp.name}' with object id '${sp.objectId}' has permission to perform action`);
    expect(res.body.error.message, what).toContain(`on scope '${computeId(compute)}'`);
    expect(res.body.error.message, what).toContain(`on the linked scope(s) '${cluster}'`);
    expect(res.body.error.message, what).toContain("'Microsoft.ContainerService/managedClusters/");
    expect(res.text, what).not.toMatch(/apiVersion|certificate-authority|token:/);
  }

  /** A call as `sp`, retried while the answer is a refusal (a new role assignment is seen within a second). */
  async function onceGranted(sp: ServicePrincipal, call: { method: string; path: string; body?: unknown }): Promise<HttpResponse> {
    return until(`${sp.name} allowed to ${call.method} ${call.path}`, async () => {
      const res = await berth.request(call.method, call.path, { token: await tokenOf(berth, sp), ...(call.body ? { body: call.body } : {}) });
      return res.status === 403 ? undefined : res;
    });
  }

  beforeAll(async () => {
    berth = await startTestBerth({ store });
    sub = berth.subscriptionId;
    p = paths(sub);
    await setUpWorkspaces(berth.request, sub, [['team-rg', 'team-ws']]);
    expect((await berth.request('PUT', p.group('clusters-rg'), { body: { location: 'westus' } })).status).toBe(201);
    await Promise.all(['victim', 'spare'].map((name) => makeCluster(berth.request, sub, 'clusters-rg', name, { count: 1, vmSize: 'Standard_D2_v2' })));
    // Someone with rights on both attached the victim to the team's workspace.
    const attach = await berth.request('PUT', p.compute('team-rg', 'team-ws', 'linked'), { body: attachBody(clusterId('victim')) });
    expect(attach.status, attach.text).toBe(201);
    expect((await waitForOperation(berth, attach.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    intruder = await createPrincipal(berth, 'intruder');
    reader = await createPrincipal(berth, 'cluster-reader');
    await assign(berth, intruder, 'Contributor', `/subscriptions/${sub}/resourceGroups/team-rg`);
    await assign(berth, reader, 'Contributor', `/subscriptions/${sub}/resourceGroups/team-rg`);
    await assign(berth, reader, 'Reader', `/subscriptions/${sub}/resourceGroups/clusters-rg`);
    await assign(berth, reader, 'Reader', clusterId('victim'));
  });
  afterAll(async () => {
    await berth?.close();
  });

  it('refuses attaching a cluster of a group where the caller has no role, whether or not it exists or is attached; nothing is created or touched', async () => {
    const token = await tokenOf(berth, intruder);
    const before = {
      arm: await armState(),
      victim: await objectsOf('victim'),
      spare: await objectsOf('spare'),
    };
    for (const cluster of [clusterId('spare'), clusterId('victim'), clusterId('no-such-cluster')]) {
      const res = await berth.request('PUT', p.compute('team-rg', 'team-ws', 'grab'), { token, body: attachBody(cluster) });
      expectLinkedRefusal(res, intruder, 'grab', cluster, `attach ${cluster}`);
      expect(res.body.error.message).toContain(clusterActions.credentials);
    }
    // The official client gets the same refusal.
    const official = mlClient(berth.url, berth.ca, token, sub);
    const refused = (await official.computeOperations.beginCreateOrUpdate('team-rg', 'team-ws', 'grab', attachBody(clusterId('spare')) as never).then(
      () => undefined,
      (e: unknown) => e,
    )) as { statusCode?: number; code?: string } | undefined;
    expect([refused?.statusCode, refused?.code]).toEqual([403, 'LinkedAuthorizationFailed']);
    expect((await berth.request('GET', p.compute('team-rg', 'team-ws', 'grab'))).status).toBe(404);
    expect({
      arm: await armState(),
      victim: await objectsOf('victim'),
      spare: await objectsOf('spare'),
    }).toEqual(before);
  });

  it('refuses PATCH, detach, delete, listKeys and listNodes of a compute whose cluster is in such a group; the compute and the cluster stay as they were', async () => {
    const token = await tokenOf(berth, intruder);
    const before = { arm: await armState(), victim: await objectsOf('victim') };
    expect(Object.keys(before.victim)).toEqual(expect.arrayContaining(['deployments/azureml/azureml-fe', 'services/azureml/azureml-fe']));
    for (const [what, call] of Object.entries(actingCalls('linked'))) {
      const res = await berth.request(call.method, call.path, { token, ...('body' in call ? { body: call.body } : {}) });
      expectLinkedRefusal(res, intruder, 'linked', clusterId('victim'), what);
    }
    // Reading the compute is not acting on the cluster: a Contributor of the workspace's group still sees it.
    expect((await berth.request('GET', p.compute('team-rg', 'team-ws', 'linked'), { token })).status).toBe(200);
    expect({ arm: await armState(), victim: await objectsOf('victim') }).toEqual(before);
  });

  it("refuses a Reader of the cluster's group and of the cluster itself: reading a cluster is not acting on it", async () => {
    const token = await tokenOf(berth, reader);
    const before = {
      arm: await armState(),
      victim: await objectsOf('victim'),
      spare: await objectsOf('spare'),
    };
    expect((await berth.request('GET', p.cluster('clusters-rg', 'victim'), { token })).status).toBe(200);
    expectLinkedRefusal(
      await berth.request('PUT', p.compute('team-rg', 'team-ws', 'grab'), { token, body: attachBody(clusterId('spare')) }),
      reader,
      'grab',
      clusterId('spare'),
      'attach as Reader',
    );
    for (const [what, call] of Object.entries(actingCalls('linked'))) {
      const res = await berth.request(call.method, call.path, { token, ...('body' in call ? { body: call.body } : {}) });
      expectLinkedRefusal(res, reader, 'linked', clusterId('victim'), `${what} as Reader`);
    }
    expect({
      arm: await armState(),
      victim: await objectsOf('victim'),
      spare: await objectsOf('spare'),
    }).toEqual(before);
  });

  it("applies the same rule to computes Berth creates, whose cluster is in the workspace's group: rights on the workspace alone are not enough, on its group they are", async () => {
    const wsOnly = await createPrincipal(berth, 'workspace-contributor');
    await assign(berth, wsOnly, 'Contributor', `/subscriptions/${sub}/resourceGroups/team-rg/providers/Microsoft.MachineLearningServices/workspaces/team-ws`);
    const create = { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' } } };
    const before = await armState();
    const refused = await berth.request('PUT', p.compute('team-rg', 'team-ws', 'made'), { token: await tokenOf(berth, wsOnly), body: create });
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body.error.code).toBe('LinkedAuthorizationFailed');
    expect(refused.body.error.message).toMatch(
      /linked scope\(s\) '\/subscriptions\/[^/]+\/resourceGroups\/team-rg\/providers\/Microsoft\.ContainerService\/managedClusters\/made-/,
    );
    expect(refused.body.error.message).toContain(clusterActions.write);
    expect(await armState()).toEqual(before);

    const token = await tokenOf(berth, intruder);
    const made = await berth.request('PUT', p.compute('team-rg', 'team-ws', 'made'), { token, body: create });
    expect(made.status, made.text).toBe(201);
    expect((await waitForOperation(berth, made.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    const keys = await berth.request('POST', p.computeAction('team-rg', 'team-ws', 'made', 'listKeys'), { token });
    expect(keys.status, keys.text).toBe(200);
    expect(keys.body.adminKubeConfig).toContain('apiVersion');
    const gone = await berth.request('DELETE', p.compute('team-rg', 'team-ws', 'made', '&underlyingResourceAction=Delete'), { token });
    expect(gone.status, gone.text).toBe(202);
    expect((await waitForOperation(berth, gone.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
  });

  it('lets a Contributor on the cluster itself list the keys and update the compute', async () => {
    const owner = await createPrincipal(berth, 'cluster-contributor');
    await assign(berth, owner, 'Contributor', `/subscriptions/${sub}/resourceGroups/team-rg`);
    await assign(berth, owner, 'Contributor', clusterId('victim'));
    const keys = await onceGranted(owner, actingCalls('linked').listKeys);
    expect(keys.status, keys.text).toBe(200);
    expect(keys.body.adminKubeConfig).toContain('apiVersion');
    const described = await berth.request('PATCH', p.compute('team-rg', 'team-ws', 'linked'), {
      token: await tokenOf(berth, owner),
      body: { properties: { description: 'the victim cluster, by its contributor' } },
    });
    expect(described.status, described.text).toBe(200);
    expect(described.body.properties.description).toBe('the victim cluster, by its contributor');
  });

  it("lets the intruder attach, update, list keys and detach once it is Contributor on the clusters' group, and the cluster's objects do change", async () => {
    await assign(berth, intruder, 'Contributor', `/subscriptions/${sub}/resourceGroups/clusters-rg`);
    const spareBefore = await objectsOf('spare');
    const attach = await onceGranted(intruder, { method: 'PUT', path: p.compute('team-rg', 'team-ws', 'grab'), body: attachBody(clusterId('spare')) });
    expect(attach.status, attach.text).toBe(201);
    expect((await waitForOperation(berth, attach.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    const installed = await objectsOf('spare');
    expect(installed).not.toEqual(spareBefore);
    expect(Object.keys(installed)).toEqual(expect.arrayContaining(['deployments/azureml/azureml-fe', 'services/azureml/azureml-fe']));

    const token = await tokenOf(berth, intruder);
    const calls = actingCalls('grab');
    const patched = await berth.request(calls.patch.method, calls.patch.path, { token, body: calls.patch.body });
    expect(patched.status, patched.text).toBe(200);
    expect((await waitForOperation(berth, patched.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    expect((await objectsOf('spare'))['services/azureml/azureml-fe']).not.toBe(installed['services/azureml/azureml-fe']);
    for (const name of ['listKeys', 'listNodes'] as const) {
      const res = await berth.request(calls[name].method, calls[name].path, { token });
      expect(res.status, `${name}: ${res.text}`).toBe(200);
    }
    for (const compute of ['grab', 'linked']) {
      const detach = await berth.request('DELETE', p.compute('team-rg', 'team-ws', compute, '&underlyingResourceAction=Detach'), { token });
      expect(detach.status, detach.text).toBe(202);
      expect((await waitForOperation(berth, detach.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    }
    const state = (await armState()) as { computes: unknown[]; clusters: Array<{ name: string }> };
    expect(state.computes).toEqual([]);
    expect(state.clusters.map((c) => c.name).sort()).toEqual(['spare', 'victim']);
  });

  it('lists each caller its own permissions at a group or resource, which say what the linked check decides', async () => {
    const at = async (token: string, scope: string) => {
      const res = await berth.request('GET', `${scope}/providers/Microsoft.Authorization/permissions?${AUTHZ}`, { token });
      expect(res.status, res.text).toBe(200);
      return res.body.value;
    };
    const readerToken = await tokenOf(berth, reader);
    const intruderToken = await tokenOf(berth, intruder);
    const group = `/subscriptions/${sub}/resourceGroups/clusters-rg`;
    expect(await at(readerToken, clusterId('victim'))).toEqual([
      { actions: ['*/read'], notActions: [], dataActions: [], notDataActions: [] },
      { actions: ['*/read'], notActions: [], dataActions: [], notDataActions: [] },
    ]);
    expect(permits(await at(readerToken, clusterId('victim')), clusterActions.credentials)).toBe(false);
    expect(permits(await at(intruderToken, clusterId('victim')), clusterActions.credentials)).toBe(true);
    expect(permits(await at(berth.token, clusterId('victim')), clusterActions.credentials)).toBe(true);
    // Only its own, whether or not the scope exists: no roles there is an empty list, not a refusal that would tell.
    expect(await at(readerToken, `/subscriptions/${sub}/resourceGroups/elsewhere`)).toEqual([]);
    expect(await at(readerToken, '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/clusters-rg')).toEqual([]);
    const anonymous = await berth.request('GET', `${group}/providers/Microsoft.Authorization/permissions?${AUTHZ}`, { token: null });
    expect(anonymous.status).toBe(401);

    // The SDK's method and the official client ask the same.
    const sdk = new BerthClient(berth.url, readerToken, { ca: berth.ca });
    const listed = [];
    for await (const permission of sdk.listPermissions(clusterId('victim'))) listed.push(permission);
    expect(listed).toEqual(await at(readerToken, clusterId('victim')));
    const authz = new AuthorizationManagementClient(credential(intruderToken), sub, { endpoint: berth.url, tlsOptions: { ca: berth.ca } } as never);
    const official = [];
    for await (const permission of authz.permissions.listForResourceGroup('clusters-rg')) official.push(permission);
    expect(permits(official as never, clusterActions.credentials)).toBe(true);
  });
});
