import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ClientSecretCredential } from '@azure/identity';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { OperationsEngine } from '@berth/operations';
import { loadOrCreateCa, loadOrCreateServerCertificate } from '@berth/pki';
import { openStore } from '@berth/store';
import { buildApp } from '@berth/front-door';
import { startTestBerth, testStores, type HttpResponse, type TestBerth } from '../../../test-support/berth.js';
import { clusterBody, managedClusterPath, putManagedCluster, type ArmCall } from '../../../test-support/kube.js';
import { assign, createGroup, createPrincipal, tokenOf, type ServicePrincipal } from '../../../test-support/principals.js';

const POLL = { updateIntervalInMs: 50 };

/**
 * The polling URLs Berth hands out sit at subscription scope (`/subscriptions/{s}/providers/{ns}/locations/{l}/
 * operationStatuses/{id}`), but, as in ARM, whoever may read the resource an operation acts on may poll it: the
 * official SDKs' pollers work for a principal whose role is on one resource group only. Whoever may not read that
 * resource is refused exactly as for an id that does not exist.
 */
describe.each(testStores())('operation polling authorized by the operation’s resource, on %s', (store) => {
  let berth: TestBerth;
  let sub: string;
  let tenant: string;
  /** Contributor on team-rg only. */
  let contributor: ServicePrincipal;
  /** Contributor on other-rg: a role in the subscription, none in team-rg. */
  let outsider: ServicePrincipal;
  /** No role anywhere. */
  let stranger: ServicePrincipal;
  /** Reader on team-rg. */
  let groupReader: ServicePrincipal;
  /** Reader on the cluster `sdk-aks` only. */
  let clusterReader: ServicePrincipal;
  /** Polling URLs of the contributor's operations, by what they did. */
  const urls: Record<string, string> = {};

  const clusterId = (name: string) => `/subscriptions/${sub}/resourceGroups/team-rg/providers/Microsoft.ContainerService/managedClusters/${name}`;

  /** The official SDK's credential for `sp`: a client-credentials token from Berth's token service, as for Entra ID. */
  const identity = (sp: ServicePrincipal) =>
    new ClientSecretCredential(tenant, sp.appId, sp.password, {
      authorityHost: berth.url,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: berth.ca },
    } as never);
  const aksClient = (sp: ServicePrincipal) => new ContainerServiceClient(identity(sp), sub, { endpoint: berth.url, tlsOptions: { ca: berth.ca } } as never);
  const mlClient = (sp: ServicePrincipal) =>
    new AzureMachineLearningWorkspaces(identity(sp), sub, { endpoint: berth.url, tlsOptions: { ca: berth.ca } } as never);

  /** Records the polling headers of the first answer (the 201 or 202) of an SDK call under `name`. */
  const recording = (name: string) => ({
    ...POLL,
    onResponse: (raw: { status: number; headers: { get(n: string): string | undefined } }) => {
      if (urls[`${name} status`] || urls[`${name} result`]) return;
      const status = raw.headers.get('azure-asyncoperation');
      const result = raw.headers.get('location');
      if (status) urls[`${name} status`] = status;
      if (result && /\/operationResults\//.test(result)) urls[`${name} result`] = result;
    },
  });

  const get = async (url: string, sp: ServicePrincipal | 'admin'): Promise<HttpResponse> =>
    berth.request('GET', url, { token: sp === 'admin' ? berth.token : await tokenOf(berth, sp) });

  /** The polling URL `url` with its operation id replaced by `id`. */
  const withId = (url: string, id: string) => url.replace(/(operation(?:Statuses|Results)\/)[^?]+/, `$1${id}`);
  const idOf = (url: string) => /operation(?:Statuses|Results)\/([^?]+)/.exec(url)![1];

  beforeAll(async () => {
    berth = await startTestBerth({ store });
    sub = berth.subscriptionId;
    tenant = (await berth.request('GET', '/subscriptions?api-version=2020-01-01')).body.value[0].tenantId;
    for (const rg of ['team-rg', 'other-rg']) await createGroup(berth, rg);
    [contributor, outsider, stranger, groupReader, clusterReader] = await Promise.all(
      ['team-contributor', 'outsider', 'stranger', 'team-reader', 'cluster-reader'].map((name) => createPrincipal(berth, name)),
    );
    await assign(berth, contributor, 'Contributor', `/subscriptions/${sub}/resourceGroups/team-rg`);
    await assign(berth, outsider, 'Contributor', `/subscriptions/${sub}/resourceGroups/other-rg`);
    await assign(berth, groupReader, 'Reader', `/subscriptions/${sub}/resourceGroups/team-rg`);
  });
  afterAll(async () => {
    await berth?.close();
  });

  it('lets a Contributor of one group create and delete a cluster, a workspace and a compute with the official clients, which poll every operation', async () => {
    const aks = aksClient(contributor);
    const cluster = await aks.managedClusters.beginCreateOrUpdateAndWait(
      'team-rg',
      'sdk-aks',
      { location: 'westus', dnsPrefix: 'sdkaks', agentPoolProfiles: [{ name: 'nodepool1', count: 1, vmSize: 'Standard_D2_v2', mode: 'System' }] },
      recording('cluster create'),
    );
    expect([cluster.id, cluster.provisioningState]).toEqual([clusterId('sdk-aks'), 'Succeeded']);
    expect(urls['cluster create status']).toMatch(new RegExp(`/subscriptions/${sub}/providers/Microsoft.ContainerService/locations/westus/operationStatuses/`));
    await assign(berth, clusterReader, 'Reader', clusterId('sdk-aks'));

    const ml = mlClient(contributor);
    const ws = await ml.workspaces.beginCreateOrUpdateAndWait('team-rg', 'team-ws', { location: 'westus' }, recording('workspace create'));
    expect(ws.provisioningState).toBe('Succeeded');
    const compute = await ml.computeOperations.beginCreateOrUpdateAndWait(
      'team-rg',
      'team-ws',
      'team-aks',
      { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' } } },
      recording('compute create'),
    );
    expect(compute.properties?.provisioningState).toBe('Succeeded');
    expect(urls['compute create status']).toMatch(
      new RegExp(`/subscriptions/${sub}/providers/Microsoft.MachineLearningServices/locations/westus/operationStatuses/`),
    );

    // A throwaway cluster and compute, deleted the same way: the deletes are polled through their operation results.
    await aks.managedClusters.beginCreateOrUpdateAndWait(
      'team-rg',
      'gone-aks',
      { location: 'westus', dnsPrefix: 'goneaks', agentPoolProfiles: [{ name: 'nodepool1', count: 1, vmSize: 'Standard_D2_v2', mode: 'System' }] },
      POLL,
    );
    await aks.managedClusters.beginDeleteAndWait('team-rg', 'gone-aks', recording('cluster delete'));
    await ml.computeOperations.beginCreateOrUpdateAndWait(
      'team-rg',
      'team-ws',
      'gone-compute',
      { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1 } } },
      POLL,
    );
    await ml.computeOperations.beginDeleteAndWait('team-rg', 'team-ws', 'gone-compute', 'Delete', recording('compute delete'));
    expect(Object.keys(urls).filter((k) => k.endsWith(' result')).length, JSON.stringify(urls)).toBeGreaterThan(0);
    expect((await berth.request('GET', managedClusterPath(sub, 'team-rg', 'gone-aks'))).status).toBe(404);
    const gone = await berth.request(
      'GET',
      `/subscriptions/${sub}/resourceGroups/team-rg/providers/Microsoft.MachineLearningServices/workspaces/team-ws/computes/gone-compute?api-version=2022-10-01`,
    );
    expect(gone.status).toBe(404);
  });

  it('lets the test-support putManagedCluster helper poll as that Contributor', async () => {
    const token = await tokenOf(berth, contributor);
    const call: ArmCall = (method, path, o = {}) => berth.request(method, path, { ...o, token });
    const { put, operation } = await putManagedCluster(
      call,
      managedClusterPath(sub, 'team-rg', 'helper-aks'),
      clusterBody({ count: 1, vmSize: 'Standard_D2_v2' }),
    );
    expect(put.status).toBe(201);
    expect(operation.status).toBe('Succeeded');
  });

  it('refuses the operations of team-rg to principals that may not read it, as for an id that does not exist; they learn nothing and nothing changes', async () => {
    expect(Object.keys(urls).length).toBeGreaterThanOrEqual(5);
    const asAdmin = async () => Promise.all(Object.values(urls).map(async (url) => [url, (await get(url, 'admin')).text]));
    const before = await asAdmin();
    for (const [what, url] of Object.entries(urls)) {
      // The control: the admin and the Contributor that started it poll it.
      for (const who of ['admin', contributor] as const) {
        const ok = await get(url, who);
        expect([200, 204], `${what} as ${who === 'admin' ? who : who.name}: ${ok.text}`).toContain(ok.status);
      }
      const unknown = randomUUID();
      for (const sp of [outsider, stranger]) {
        const res = await get(url, sp);
        expect(res.status, `${what} as ${sp.name}: ${res.text}`).toBe(403);
        expect(res.body.error.code).toBe('AuthorizationFailed');
        expect(res.headers['retry-after']).toBeUndefined();
        expect(res.headers['location']).toBeUndefined();
        expect(res.text).not.toMatch(/team-rg|sdk-aks|gone-|team-ws|team-aks|Succeeded|InProgress|Microsoft\.ContainerService\/managedClusters/i);
        // An id that does not exist gets the very same answer, the ids aside.
        const missing = await get(withId(url, unknown), sp);
        expect(missing.status).toBe(403);
        expect(missing.text.replaceAll(unknown, 'ID')).toBe(res.text.replaceAll(idOf(url), 'ID'));
      }
      // Whoever may read the whole subscription still learns that an id does not exist, as before.
      const missing = await get(withId(url, unknown), 'admin');
      expect([missing.status, missing.body.error.code]).toEqual([404, 'OperationNotFound']);
    }
    expect(await asAdmin()).toEqual(before);
  });

  it('lets a Reader of the group poll every operation of it, and a Reader of one cluster only that cluster’s', async () => {
    for (const [what, url] of Object.entries(urls)) {
      const res = await get(url, groupReader);
      expect([200, 204], `${what} as Reader of team-rg: ${res.text}`).toContain(res.status);
      if (what.endsWith(' status')) expect(res.body.status).toBe('Succeeded');
    }
    const own = await get(urls['cluster create status'], clusterReader);
    expect([own.status, own.body.status], own.text).toEqual([200, 'Succeeded']);
    const other = await get(urls['compute create status'], clusterReader);
    expect([other.status, other.body.error.code], other.text).toEqual([403, 'AuthorizationFailed']);
    // A Reader of the group holds no role on the subscription: an unknown id is refused, as it was before.
    const unknown = await get(withId(urls['cluster create status'], randomUUID()), groupReader);
    expect([unknown.status, unknown.body.error.code]).toEqual([403, 'AuthorizationFailed']);
  });

  it('answers odd operation ids with a 4xx, never a 5xx', async () => {
    const url = urls['cluster create status'];
    for (const id of ['%00', 'a%00b', 'x'.repeat(5000), '%2e%2e', "'%20OR%201=1--", '%F0%9F%92%A5', '%C0%AF']) {
      for (const who of ['admin', contributor, stranger] as const) {
        const res = await get(withId(url, id), who);
        expect(res.status, `${id.slice(0, 20)}: ${res.text}`).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.body?.error?.code, res.text).toEqual(expect.any(String));
      }
    }
  });
});

describe('the operation access rule', () => {
  async function build(routes: (app: FastifyInstance) => Promise<void>): Promise<FastifyInstance> {
    const home = await mkdtemp(join(tmpdir(), 'berth-access-'));
    const store = await openStore(join(home, 'berth.db'));
    try {
      const ca = await loadOrCreateCa(home);
      const cert = await loadOrCreateServerCertificate(home, ca, '127.0.0.1');
      const app = await buildApp({
        context: { db: store.db, engine: new OperationsEngine({ db: store.db }), publicUrl: 'https://127.0.0.1:1' },
        providers: [{ namespace: 'Contoso.Test', routes, operationHandlers: [] }],
        tls: { key: cert.keyPem, cert: cert.certPem },
      });
      await app.close();
      return app;
    } finally {
      await store.close();
      await rm(home, { recursive: true, force: true });
    }
  }

  it('is refused at start on a route with no :operationId to look the operation up by, and accepted with one', async () => {
    await expect(
      build(async (app) => {
        app.get('/subscriptions/:subscriptionId/providers/Contoso.Test/things', { config: { access: 'operation' } }, async () => ({}));
      }),
    ).rejects.toThrow(/declares 'operation' access but has no :operationId parameter/);
    await expect(
      build(async (app) => {
        app.get('/subscriptions/:subscriptionId/providers/Contoso.Test/ops/:operationId', { config: { access: 'operation' } }, async () => ({}));
      }),
    ).resolves.toBeDefined();
  });
});
