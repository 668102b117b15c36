import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSubscription } from '@berth/store';
import { startTestBerth, testStores, type TestBerth } from '../../../test-support/berth.js';
import { managedClusterPath, putManagedCluster } from '../../../test-support/kube.js';
import { rawHttps } from '../../../test-support/raw-http.js';

describe.each(testStores())('cloud metadata, providers, tenants and locations on %s', (store) => {
  let berth: TestBerth;
  let sub: string;
  let base: string;
  /** A second subscription, in another tenant. */
  const otherTenant = '11111111-2222-3333-4444-555555555555';
  const otherSub = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

  beforeAll(async () => {
    berth = await startTestBerth({ store });
    sub = berth.subscriptionId;
    base = berth.url.replace(/\/$/, '');
    await insertSubscription(berth.server.store.db, {
      subscription_id: otherSub,
      display_name: 'other',
      state: 'Enabled',
      tenant_id: otherTenant,
      alias: null,
      created_at: new Date().toISOString(),
    });
  });
  afterAll(() => berth?.close());

  async function createToken(role: string, subscription?: string): Promise<string> {
    const res = await berth.request('POST', '/berth/tokens', { body: { role, subscription } });
    expect(res.status).toBe(201);
    return res.body.token;
  }

  describe('GET /metadata/endpoints', () => {
    it('answers the 2015-01-01 object form without a token: ADFS login endpoint, audiences, graph', async () => {
      const res = await berth.request('GET', '/metadata/endpoints?api-version=2015-01-01', { token: null });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        galleryEndpoint: expect.stringMatching(/^https:\/\//),
        graphEndpoint: `${base}/graph/`,
        portalEndpoint: `${base}/`,
        authentication: { loginEndpoint: `${base}/adfs`, audiences: ['https://management.core.windows.net/', `${base}/`] },
      });
    });

    it('answers the 2019-05-01 array form (ARM_CLOUD_METADATA_URL) with every key the Azure CLI reads', async () => {
      const res = await berth.request('GET', '/metadata/endpoints?api-version=2019-05-01', { token: null });
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
      expect(res.body).toHaveLength(1);
      const [cloud] = res.body;
      expect(cloud).toMatchObject({
        name: 'Berth',
        resourceManager: `${base}/`,
        authentication: {
          loginEndpoint: `${base}/adfs`,
          audiences: ['https://management.core.windows.net/', `${base}/`],
          tenant: 'adfs',
          identityProvider: 'ADFS',
        },
      });
      // Older CLIs index these without a fallback.
      for (const key of ['gallery', 'graph', 'graphAudience', 'portal', 'sqlManagement', 'batch', 'media', 'vmImageAliasDoc', 'activeDirectoryDataLake']) {
        expect(typeof cloud[key], key).toBe('string');
      }
      for (const key of [
        'storage',
        'keyVaultDns',
        'acrLoginServer',
        'sqlServerHostname',
        'azureDataLakeStoreFileSystem',
        'azureDataLakeAnalyticsCatalogAndJob',
      ]) {
        expect(typeof cloud.suffixes[key], key).toBe('string');
      }
    });

    it('routes a doubled leading slash (the CLI with a trailing slash on its ARM endpoint), and only the leading ones collapse', async () => {
      const res = await rawHttps(berth.url, berth.ca, 'GET', '//metadata/endpoints?api-version=2015-01-01');
      expect(res.status).toBe(200);
      expect(res.body.authentication.loginEndpoint).toBe(`${base}/adfs`);
      const tripled = await rawHttps(berth.url, berth.ca, 'GET', '///metadata/endpoints?api-version=2019-05-01');
      expect(tripled.status).toBe(200);
      expect(tripled.body[0].name).toBe('Berth');
      const inner = await rawHttps(berth.url, berth.ca, 'GET', '/metadata//endpoints?api-version=2015-01-01', { token: berth.token });
      expect(inner.status).toBe(404);
      // ARM paths keep refusing a doubled leading slash, as every odd spelling (see provider-ml's authorization tests).
      const arm = await rawHttps(berth.url, berth.ca, 'GET', `//subscriptions/${sub}?api-version=2019-11-01`, { token: berth.token });
      expect(arm.status).toBe(404);
    });

    it('refuses a missing or unknown api-version with an ARM 400 that lists the supported ones', async () => {
      const missing = await berth.request('GET', '/metadata/endpoints', { token: null });
      expect(missing.status).toBe(400);
      expect(missing.body.error.code).toBe('MissingApiVersionParameter');
      for (const version of ['2018-01-01', 'garbage', '2015-01-01-preview']) {
        const bad = await berth.request('GET', `/metadata/endpoints?api-version=${version}`, { token: null });
        expect(bad.status, version).toBe(400);
        expect(bad.body.error.code).toBe('InvalidApiVersionParameter');
        expect(bad.body.error.message).toContain('2015-01-01');
        expect(bad.body.error.message).toContain('2019-05-01');
      }
      const twice = await berth.request('GET', '/metadata/endpoints?api-version=2015-01-01&api-version=2019-05-01', { token: null });
      expect(twice.status).toBe(400);
    });
  });

  describe('providers', () => {
    const namespaces = ['Microsoft.MachineLearningServices', 'Microsoft.ContainerService', 'Microsoft.Resources', 'Microsoft.Authorization'];

    /** A route of each listed type, to check each listed api-version is really served. */
    const probes: Record<string, (s: string) => string> = {
      'Microsoft.MachineLearningServices/workspaces': (s) => `/subscriptions/${s}/providers/Microsoft.MachineLearningServices/workspaces`,
      'Microsoft.MachineLearningServices/workspaces/computes': (s) =>
        `/subscriptions/${s}/resourceGroups/nope/providers/Microsoft.MachineLearningServices/workspaces/nope/computes`,
      'Microsoft.ContainerService/managedClusters': (s) => `/subscriptions/${s}/providers/Microsoft.ContainerService/managedClusters`,
      'Microsoft.ContainerService/locations/orchestrators': (s) => `/subscriptions/${s}/providers/Microsoft.ContainerService/locations/westus/orchestrators`,
      'Microsoft.ContainerService/locations/kubernetesVersions': (s) =>
        `/subscriptions/${s}/providers/Microsoft.ContainerService/locations/westus/kubernetesVersions`,
      'Microsoft.Authorization/policyAssignments': (s) => `/subscriptions/${s}/providers/Microsoft.Authorization/policyAssignments`,
      'Microsoft.Resources/resourceGroups': (s) => `/subscriptions/${s}/resourcegroups`,
      'Microsoft.Resources/subscriptions/resourceGroups': (s) => `/subscriptions/${s}/resourcegroups`,
      'Microsoft.Resources/subscriptions': () => '/subscriptions',
      'Microsoft.Resources/tenants': () => '/tenants',
      'Microsoft.Resources/subscriptions/locations': (s) => `/subscriptions/${s}/locations`,
      'Microsoft.Resources/providers': (s) => `/subscriptions/${s}/providers`,
      'Microsoft.Resources/subscriptions/providers': (s) => `/subscriptions/${s}/providers/Microsoft.Resources`,
    };

    it('describes each namespace: registered, with its resource types in the catalog regions', async () => {
      const ml = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.MachineLearningServices?api-version=2021-04-01`);
      expect(ml.status).toBe(200);
      expect(ml.body).toMatchObject({
        id: `/subscriptions/${sub}/providers/Microsoft.MachineLearningServices`,
        namespace: 'Microsoft.MachineLearningServices',
        registrationState: 'Registered',
      });
      const types = Object.fromEntries(ml.body.resourceTypes.map((t: any) => [t.resourceType, t]));
      expect(Object.keys(types)).toEqual(expect.arrayContaining(['workspaces', 'workspaces/computes', 'locations/operationStatuses']));
      expect(types.workspaces.locations).toEqual(expect.arrayContaining(['West US', 'East US']));
      expect(types.workspaces.apiVersions).toEqual(['2022-10-01', '2022-05-01', '2021-04-01']);

      const aks = await berth.request('GET', `/subscriptions/${sub}/providers/microsoft.containerservice?api-version=2021-04-01`);
      expect(aks.status).toBe(200);
      expect(aks.body.namespace).toBe('Microsoft.ContainerService');
      const clusters = aks.body.resourceTypes.find((t: any) => t.resourceType === 'managedClusters');
      expect(clusters.apiVersions[0]).toBe('2026-04-01');
      expect(clusters.apiVersions).toContain('2022-11-01');
      expect(aks.body.resourceTypes.map((t: any) => t.resourceType)).toEqual(
        expect.arrayContaining(['locations/orchestrators', 'locations/kubernetesVersions']),
      );

      const rm = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.Resources?api-version=2021-04-01`);
      expect(rm.body.resourceTypes.map((t: any) => t.resourceType)).toContain('resourceGroups');
      const authz = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.Authorization?api-version=2021-04-01`);
      const policies = authz.body.resourceTypes.find((t: any) => t.resourceType === 'policyAssignments');
      expect(policies.locations).toEqual([]);

      const list = await berth.request('GET', `/subscriptions/${sub}/providers?api-version=2021-04-01`);
      expect(list.status).toBe(200);
      expect(list.body.value.map((p: any) => p.namespace)).toEqual(expect.arrayContaining(namespaces));
    });

    it('lists only api-versions Berth serves, newest first', async () => {
      const list = await berth.request('GET', `/subscriptions/${sub}/providers?api-version=2021-04-01`);
      for (const provider of list.body.value) {
        for (const type of provider.resourceTypes) {
          const versions: string[] = type.apiVersions;
          expect(versions.length, `${provider.namespace}/${type.resourceType}`).toBeGreaterThan(0);
          expect(versions, `${provider.namespace}/${type.resourceType}`).toEqual([...versions].sort().reverse());
          const probe = probes[`${provider.namespace}/${type.resourceType}`];
          // Operation status routes answer any api-version.
          if (!probe) {
            expect(type.resourceType).toMatch(/^locations\/operation(Statuses|Results)$/);
            continue;
          }
          for (const version of versions) {
            const res = await berth.request('GET', `${probe(sub)}?api-version=${version}`);
            expect(res.status, `${provider.namespace}/${type.resourceType} at ${version}: ${res.text}`).toBeLessThan(500);
            expect(res.body?.error?.code, `${provider.namespace}/${type.resourceType} at ${version}`).not.toBe('InvalidApiVersionParameter');
          }
        }
      }
    });

    it('answers an unknown namespace with 404 InvalidResourceNamespace, and needs a role on the subscription', async () => {
      const unknown = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.Nope?api-version=2021-04-01`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toEqual({ code: 'InvalidResourceNamespace', message: "The resource namespace 'Microsoft.Nope' is invalid." });
      const noToken = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.ContainerService?api-version=2021-04-01`, { token: null });
      expect(noToken.status).toBe(401);
      const other = await createToken('Reader', otherSub);
      const forbidden = await berth.request('GET', `/subscriptions/${sub}/providers?api-version=2021-04-01`, { token: other });
      expect(forbidden.status).toBe(403);
      const bad = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.ContainerService?api-version=2015-01-01`);
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('InvalidApiVersionParameter');
    });
  });

  it('lists only the tenants of the subscriptions the caller has a role on', async () => {
    const subs = await berth.request('GET', '/subscriptions?api-version=2019-11-01');
    const ownTenant = subs.body.value.find((s: any) => s.subscriptionId === sub).tenantId;

    const all = await berth.request('GET', '/tenants?api-version=2019-11-01');
    expect(all.status).toBe(200);
    expect(all.body.value.map((t: any) => t.tenantId).sort()).toEqual([ownTenant, otherTenant].sort());
    expect(all.body.value[0]).toMatchObject({ id: `/tenants/${all.body.value[0].tenantId}`, displayName: 'Berth', tenantCategory: 'Home' });
    expect(typeof all.body.value[0].defaultDomain).toBe('string');
    expect(all.body.value[0].domains).toContain(all.body.value[0].defaultDomain);

    const reader = await createToken('Reader', sub);
    const mine = await berth.request('GET', '/tenants?api-version=2019-11-01', { token: reader });
    expect(mine.status).toBe(200);
    expect(mine.body.value.map((t: any) => t.tenantId)).toEqual([ownTenant]);
    const elsewhere = await createToken('Reader', otherSub);
    expect((await berth.request('GET', '/tenants?api-version=2019-11-01', { token: elsewhere })).body.value.map((t: any) => t.tenantId)).toEqual([otherTenant]);

    expect((await berth.request('GET', '/tenants?api-version=2019-11-01', { token: null })).status).toBe(401);
    expect((await berth.request('GET', '/tenants')).body.error.code).toBe('MissingApiVersionParameter');
  });

  it('lists the subscription locations from the catalog', async () => {
    const res = await berth.request('GET', `/subscriptions/${sub}/locations?api-version=2022-12-01`);
    expect(res.status).toBe(200);
    const westus = res.body.value.find((l: any) => l.name === 'westus');
    expect(westus).toMatchObject({
      id: `/subscriptions/${sub}/locations/westus`,
      name: 'westus',
      displayName: 'West US',
      regionalDisplayName: expect.any(String),
      metadata: { regionType: 'Physical', pairedRegion: [{ name: 'eastus', id: `/subscriptions/${sub}/locations/eastus` }] },
    });
  });

  it('accepts the api-versions the Azure CLI 2.45 sends: subscriptions at 2019-11-01, orchestrators at 2019-04-01', async () => {
    const subs = await berth.request('GET', '/subscriptions?api-version=2019-11-01');
    expect(subs.status).toBe(200);
    expect(subs.body.value.map((s: any) => s.subscriptionId)).toContain(sub);
    expect((await berth.request('GET', `/subscriptions/${sub}?api-version=2019-11-01`)).status).toBe(200);
    const tooOld = await berth.request('GET', '/subscriptions?api-version=2015-01-01');
    expect(tooOld.status).toBe(400);
    expect(tooOld.body.error.code).toBe('InvalidApiVersionParameter');

    const orchestrators = await berth.request(
      'GET',
      `/subscriptions/${sub}/providers/Microsoft.ContainerService/locations/westus/orchestrators?api-version=2019-04-01&resource-type=managedClusters`,
    );
    expect(orchestrators.status).toBe(200);
    expect(orchestrators.body.properties.orchestrators.length).toBeGreaterThan(0);
    expect(orchestrators.body.properties.orchestrators.some((o: any) => o.default === true)).toBe(true);
  });

  it('creates and shows a managed cluster at 2022-11-01 (what az aks sends) with servicePrincipalProfile.clientId "msi"', async () => {
    const rg = `/subscriptions/${sub}/resourcegroups/cli245?api-version=2021-04-01`;
    expect((await berth.request('PUT', rg, { body: { location: 'westus' } })).status).toBeLessThan(300);
    const path = managedClusterPath(sub, 'cli245', 'aks1', 'api-version=2022-11-01');
    // Roughly what `az aks create` 2.45 sends.
    const { operation } = await putManagedCluster(berth.request, path, {
      location: 'westus',
      identity: { type: 'SystemAssigned' },
      properties: {
        dnsPrefix: 'aks1-cli245-abc123',
        agentPoolProfiles: [
          {
            count: 1,
            vmSize: 'Standard_DS2_v2',
            osType: 'Linux',
            enableAutoScaling: false,
            type: 'VirtualMachineScaleSets',
            mode: 'System',
            upgradeSettings: {},
            enableNodePublicIP: false,
            scaleSetPriority: 'Regular',
            scaleSetEvictionPolicy: 'Delete',
            spotMaxPrice: -1,
            nodeTaints: [],
            enableEncryptionAtHost: false,
            enableUltraSSD: false,
            enableFIPS: false,
            name: 'nodepool1',
          },
        ],
        linuxProfile: { adminUsername: 'azureuser', ssh: { publicKeys: [{ keyData: 'ssh-rsa AAAAB3Nza test' }] } },
        addonProfiles: {},
        enableRBAC: true,
        networkProfile: {
          networkPlugin: 'kubenet',
          podCidr: '10.244.0.0/16',
          serviceCidr: '10.0.0.0/16',
          dnsServiceIP: '10.0.0.10',
          dockerBridgeCidr: '172.17.0.1/16',
          outboundType: 'loadBalancer',
          loadBalancerSku: 'standard',
        },
        disableLocalAccounts: false,
        storageProfile: {},
      },
    });
    expect(operation.status).toBe('Succeeded');
    const show = await berth.request('GET', path);
    expect(show.status).toBe(200);
    expect(show.body.properties.servicePrincipalProfile).toEqual({ clientId: 'msi' });
    expect(show.body.id).toMatch(/\/managedClusters\/aks1$/i);
    const bad = await berth.request('GET', managedClusterPath(sub, 'cli245', 'aks1', 'api-version=2022-11-02'));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('InvalidApiVersionParameter');
  });
});
