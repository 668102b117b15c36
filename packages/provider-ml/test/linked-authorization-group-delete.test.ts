import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceManagementClient } from '@azure/arm-resources';
import { clusterActions } from '@berth/compute-rules';
import { credential, startTestBerth, testStores, waitForOperation, type HttpResponse, type TestBerth } from '../../../test-support/berth.js';
import { assign, createPrincipal, tokenOf, type ServicePrincipal } from '../../../test-support/principals.js';
import { clusterCredential, clusterObjects, kubeApi, makeCluster, paths, setUpWorkspaces, until } from './compute-fixtures.js';

const attachBody = (cluster: string) => ({ properties: { computeType: 'AKS', resourceId: cluster, properties: { clusterPurpose: 'DevTest' } } });

/**
 * Deleting a resource group removes Berth's objects from the cluster of every compute in it, wherever
 * that cluster lives. As ARM checks linked scopes, the DELETE is refused (403 LinkedAuthorizationFailed,
 * before its 202, nothing changed) unless the caller may get the admin credential of each such cluster:
 * a Contributor of the group alone cannot detach another group's cluster by deleting its own group.
 */
describe.each(testStores())('linked authorization of a resource group deletion, on %s', (store) => {
  let berth: TestBerth;
  let sub: string;
  let p: ReturnType<typeof paths>;
  /** Contributor on team-rg, own-rg and solo-rg; no role on clusters-rg until the last test. */
  let intruder: ServicePrincipal;

  const group = (rg: string) => `/subscriptions/${sub}/resourceGroups/${rg}`;
  /** The clusters attached to team-ws's computes, by compute: two in clusters-rg, one in own-rg. */
  const attached = (): Record<string, [rg: string, cluster: string]> => ({
    'on-victim': ['clusters-rg', 'victim'],
    'on-spare': ['clusters-rg', 'spare'],
    'on-own': ['own-rg', 'own'],
  });

  async function allClusterObjects(): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [rg, cluster] of Object.values(attached())) out[cluster] = await clusterObjects(berth, rg, cluster);
    return out;
  }

  /** The objects of every kind the installer writes that carry Berth's managed-by label, read with the cluster's admin kubeconfig. */
  async function berthObjects(rg: string, cluster: string): Promise<string[]> {
    const api = kubeApi(await clusterCredential(berth.request, p.cluster(rg, cluster), 'admin'));
    const selector = `labelSelector=${encodeURIComponent('app.kubernetes.io/managed-by=berth')}`;
    const kinds = ['api/v1/namespaces', 'api/v1/services', 'api/v1/secrets', 'api/v1/configmaps', 'api/v1/serviceaccounts', 'apis/apps/v1/deployments'].concat(
      ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'].map((kind) => `apis/rbac.authorization.k8s.io/v1/${kind}`),
    );
    const found: string[] = [];
    for (const kind of kinds) {
      const res = await api('GET', `/${kind}?${selector}`);
      expect(res.status, res.text).toBe(200);
      for (const item of res.body.items as Array<{ metadata: { namespace?: string; name: string } }>)
        found.push(`${kind}/${item.metadata.namespace ?? ''}/${item.metadata.name}`);
    }
    return found;
  }

  /** The group, its workspace and computes, and the attached clusters, whole bodies as ARM shows them. */
  async function armState(): Promise<unknown> {
    const calls = [p.group('team-rg'), p.workspace('team-rg', 'team-ws'), p.computes('team-rg', 'team-ws'), p.clusters('clusters-rg'), p.clusters('own-rg')];
    const answers = await Promise.all(calls.map((path) => berth.request('GET', path)));
    for (const res of answers) expect(res.status, res.text).toBe(200);
    return answers.map((res) => res.body);
  }

  async function deleteGroup(rg: string, token: string): Promise<HttpResponse> {
    return berth.request('DELETE', p.group(rg), { token });
  }

  beforeAll(async () => {
    berth = await startTestBerth({ store });
    sub = berth.subscriptionId;
    p = paths(sub);
    await setUpWorkspaces(berth.request, sub, [
      ['team-rg', 'team-ws'],
      ['solo-rg', 'solo-ws'],
    ]);
    for (const rg of ['clusters-rg', 'own-rg']) expect((await berth.request('PUT', p.group(rg), { body: { location: 'westus' } })).status).toBe(201);
    await Promise.all(Object.values(attached()).map(([rg, name]) => makeCluster(berth.request, sub, rg, name, { count: 1, vmSize: 'Standard_D2_v2' })));
    // An admin, with rights everywhere, attached each cluster to a compute of the team's workspace.
    for (const [compute, [rg, cluster]] of Object.entries(attached())) {
      const res = await berth.request('PUT', p.compute('team-rg', 'team-ws', compute), { body: attachBody(p.clusterId(rg, cluster)) });
      expect(res.status, res.text).toBe(201);
      expect((await waitForOperation(berth, res.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    }
    intruder = await createPrincipal(berth, 'group-deleter');
    for (const rg of ['team-rg', 'own-rg', 'solo-rg']) await assign(berth, intruder, 'Contributor', group(rg));
  });
  afterAll(async () => {
    await berth?.close();
  });

  it("refuses a Contributor of the group deleting it while its computes' clusters in another group are out of reach; the message names those clusters, and nothing changes", async () => {
    const token = await tokenOf(berth, intruder);
    const before = { arm: await armState(), objects: await allClusterObjects() };
    expect(Object.keys(before.objects.victim)).toEqual(expect.arrayContaining(['deployments/azureml/azureml-fe', 'services/azureml/azureml-fe']));

    const res = await deleteGroup('team-rg', token);
    expect(res.status, res.text).toBe(403);
    expect(res.body.error.code).toBe('LinkedAuthorizationFailed');
    const { message } = res.body.error as { message: string };
    expect(message).toContain(`The client '${intruder.name}' with object id '${intruder.objectId}' has permission to perform action`);
    expect(message).toContain(`on scope '${group('team-rg')}'`);
    expect(message).toContain(`'${clusterActions.credentials},${clusterActions.credentials}'`);
    expect(message).toMatch(
      new RegExp(
        `linked scope\\(s\\) '(${p.clusterId('clusters-rg', 'victim')},${p.clusterId('clusters-rg', 'spare')}|${p.clusterId('clusters-rg', 'spare')},${p.clusterId('clusters-rg', 'victim')})'`,
      ),
    );
    // The cluster of own-rg, where the caller is Contributor, is not among the refused ones.
    expect(message).not.toContain(p.clusterId('own-rg', 'own'));
    expect(res.headers['azure-asyncoperation']).toBeUndefined();

    // The official client gets the same refusal.
    const client = new ResourceManagementClient(credential(token), sub, { endpoint: berth.url, tlsOptions: { ca: berth.ca } } as never);
    const refused = (await client.resourceGroups.beginDeleteAndWait('team-rg', { updateIntervalInMs: 50 }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { statusCode?: number; code?: string } | undefined;
    expect([refused?.statusCode, refused?.code]).toEqual([403, 'LinkedAuthorizationFailed']);

    // Still there and not Deleting; no operation ran on the clusters' objects.
    expect({ arm: await armState(), objects: await allClusterObjects() }).toEqual(before);
  });

  it('deletes a group whose computes have their clusters in the group itself for a Contributor of that group', async () => {
    const token = await tokenOf(berth, intruder);
    const create = { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' } } };
    const made = await berth.request('PUT', p.compute('solo-rg', 'solo-ws', 'made'), { token, body: create });
    expect(made.status, made.text).toBe(201);
    expect((await waitForOperation(berth, made.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    const clusterId = made.body.properties.resourceId as string;
    expect(clusterId.toLowerCase().startsWith(`${group('solo-rg')}/`.toLowerCase())).toBe(true);

    const res = await deleteGroup('solo-rg', token);
    expect(res.status, res.text).toBe(202);
    expect((await waitForOperation(berth, res.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    expect((await berth.request('GET', p.group('solo-rg'))).status).toBe(404);
    expect((await berth.request('GET', p.cluster('solo-rg', clusterId.split('/').pop()!))).status).toBe(404);
  });

  it("deletes the group once the caller is Contributor on the clusters' group too: Berth's objects leave every cluster, the clusters stay (R13)", async () => {
    const before = await allClusterObjects();
    for (const [rg, cluster] of Object.values(attached())) expect(await berthObjects(rg, cluster), cluster).not.toEqual([]);
    await assign(berth, intruder, 'Contributor', group('clusters-rg'));
    const res = await until('the new role to be seen', async () => {
      const answer = await deleteGroup('team-rg', await tokenOf(berth, intruder));
      return answer.status === 403 ? undefined : answer;
    });
    expect(res.status, res.text).toBe(202);
    expect((await waitForOperation(berth, res.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    expect((await berth.request('GET', p.group('team-rg'))).status).toBe(404);

    const after = await allClusterObjects();
    for (const [rg, cluster] of Object.values(attached())) {
      expect((await berth.request('GET', p.cluster(rg, cluster))).status, cluster).toBe(200);
      expect(await berthObjects(rg, cluster), cluster).toEqual([]);
      expect(
        Object.keys(after[cluster]).filter((key) => key.includes('azureml')),
        cluster,
      ).toEqual([]);
      // What was not Berth's (nor in its namespace) is as it was.
      const others = Object.fromEntries(Object.entries(before[cluster]).filter(([key]) => !key.includes('azureml')));
      expect(after[cluster], cluster).toMatchObject(others);
    }
  });
});
