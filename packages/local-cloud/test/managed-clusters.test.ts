import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerServiceClient, type ManagedCluster } from '@azure/arm-containerservice';
import { credential, startTestBerth, testStores, waitForOperation, type TestBerth } from '../../../test-support/berth.js';
import { clusterBody, clusterCredential, kubeApi, kubeconfigParts, managedClusterPath, putManagedCluster } from '../../../test-support/kube.js';

const RG_API = 'api-version=2021-04-01';
const POLICY_API = 'api-version=2022-06-01';
const NOT_ALLOWED_RESOURCE_TYPES = '/providers/Microsoft.Authorization/policyDefinitions/6c112d4e-5bc7-47ae-a041-ea2d9dccd749';

describe.each(testStores())('managed clusters on %s', (store) => {
  let berth: TestBerth;
  let client: ContainerServiceClient;
  let sub: string;
  const poll = { updateIntervalInMs: 50 };
  const path = (rg: string, name: string, api?: string) => managedClusterPath(sub, rg, name, api);
  const call: Parameters<typeof putManagedCluster>[0] = (method, p, o) => berth.request(method, p, o);

  beforeAll(async () => {
    berth = await startTestBerth({ store, provisioningDelayMs: 0 });
    sub = berth.subscriptionId;
    client = new ContainerServiceClient(credential(berth.token), sub, { endpoint: berth.url, tlsOptions: { ca: berth.ca } } as never);
    for (const rg of ['aks-rg', 'bad-rg', 'policy-rg']) {
      expect((await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/${rg}?${RG_API}`, { body: { location: 'westus' } })).status).toBe(201);
    }
  });
  afterAll(() => berth?.close());

  it('creates, scales, lists, hands out credentials for and deletes a cluster with the official @azure/arm-containerservice client', async () => {
    const created: ManagedCluster = await client.managedClusters.beginCreateOrUpdateAndWait(
      'aks-rg',
      'sdk-aks',
      {
        location: 'westus',
        dnsPrefix: 'sdkaks',
        tags: { team: 'ml' },
        agentPoolProfiles: [{ name: 'nodepool1', count: 3, vmSize: 'Standard_D3_v2', mode: 'System' }],
      },
      poll,
    );
    expect(created.id).toBe(`/subscriptions/${sub}/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/sdk-aks`);
    expect(created.provisioningState).toBe('Succeeded');
    expect(created.kubernetesVersion).toBe('1.32.6');
    expect(created.agentPoolProfiles).toMatchObject([{ name: 'nodepool1', count: 3, vmSize: 'Standard_D3_v2', provisioningState: 'Succeeded' }]);
    expect(created.fqdn).toMatch(/^sdkaks-[0-9a-f]{8}\.hcp\.westus\.azmk8s\.io$/);
    expect(created.tags).toEqual({ team: 'ml' });

    const versions = await client.managedClusters.listKubernetesVersions('westus');
    const minors = versions.values!.map((v) => v.version);
    expect(minors).toEqual(expect.arrayContaining(['1.31', '1.32', '1.33', '1.34']));
    expect(versions.values!.filter((v) => v.isDefault).map((v) => v.version)).toEqual(['1.32']);
    expect(versions.values!.find((v) => v.version === '1.32')!.patchVersions!['1.32.6'].upgrades).toEqual(expect.arrayContaining(['1.33.3']));

    // Credentials: the same API endpoint and CA, a different token per role.
    const admin = kubeconfigParts(
      Buffer.from((await client.managedClusters.listClusterAdminCredentials('aks-rg', 'sdk-aks')).kubeconfigs![0].value!).toString('utf8'),
    );
    const user = kubeconfigParts(
      Buffer.from((await client.managedClusters.listClusterUserCredentials('aks-rg', 'sdk-aks')).kubeconfigs![0].value!).toString('utf8'),
    );
    expect(admin.server).toMatch(new RegExp(`^${berth.url}/clusters/[0-9a-f]{32}$`));
    expect(user.server).toBe(admin.server);
    expect(admin.ca).toBe(berth.ca);
    expect(user.ca).toBe(berth.ca);
    expect(admin.user).toBe('clusterAdmin_aks-rg_sdk-aks');
    expect(user.user).toBe('clusterUser_aks-rg_sdk-aks');
    expect(admin.token).not.toBe(user.token);
    expect(admin.token).not.toBe(berth.token);

    const adminYaml = Buffer.from((await client.managedClusters.listClusterAdminCredentials('aks-rg', 'sdk-aks')).kubeconfigs![0].value!).toString('utf8');
    const kube = kubeApi(adminYaml);
    const nodesBefore = await kube('GET', '/api/v1/nodes');
    expect(nodesBefore.status).toBe(200);
    expect(nodesBefore.body.items).toHaveLength(3);

    const scaled = await client.managedClusters.beginCreateOrUpdateAndWait(
      'aks-rg',
      'sdk-aks',
      { ...created, agentPoolProfiles: [{ ...created.agentPoolProfiles![0], count: 4 }] },
      poll,
    );
    expect(scaled.provisioningState).toBe('Succeeded');
    expect(scaled.agentPoolProfiles![0].count).toBe(4);
    expect(scaled.dnsPrefix).toBe('sdkaks');
    const nodesAfter = await kube('GET', '/api/v1/nodes');
    expect(nodesAfter.body.items).toHaveLength(4);
    expect(nodesAfter.body.items.every((n: any) => n.metadata.labels['node.kubernetes.io/instance-type'] === 'Standard_D3_v2')).toBe(true);
    expect((await client.managedClusters.get('aks-rg', 'SDK-AKS')).agentPoolProfiles![0].count).toBe(4);

    const inGroup: string[] = [];
    for await (const c of client.managedClusters.listByResourceGroup('aks-rg')) inGroup.push(c.name!);
    expect(inGroup).toEqual(['sdk-aks']);
    const inSub: string[] = [];
    for await (const c of client.managedClusters.list()) inSub.push(c.name!);
    expect(inSub).toContain('sdk-aks');

    await client.managedClusters.beginDeleteAndWait('aks-rg', 'sdk-aks', poll);
    await expect(client.managedClusters.get('aks-rg', 'sdk-aks')).rejects.toMatchObject({ statusCode: 404 });
    const gone = await kube('GET', '/api/v1/nodes');
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
    const afterDelete: string[] = [];
    for await (const c of client.managedClusters.listByResourceGroup('aks-rg')) afterDelete.push(c.name!);
    expect(afterDelete).toEqual([]);
  });

  it('deleting a resource group deletes its clusters and their Kubernetes APIs', async () => {
    expect((await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/doomed-rg?${RG_API}`, { body: { location: 'westus' } })).status).toBe(201);
    const clusterPath = path('doomed-rg', 'doomed-aks');
    expect((await putManagedCluster(call, clusterPath, clusterBody({ count: 1 }))).operation.status).toBe('Succeeded');
    const kube = kubeApi(await clusterCredential(call, clusterPath, 'admin'));
    expect((await kube('GET', '/api/v1/nodes')).body.items).toHaveLength(1);
    const del = await berth.request('DELETE', `/subscriptions/${sub}/resourcegroups/doomed-rg?${RG_API}`);
    expect(del.status).toBe(202);
    expect((await waitForOperation(berth, del.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    expect(
      (await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.ContainerService/managedClusters?api-version=2024-08-01`)).body.value.map(
        (c: any) => c.name,
      ),
    ).not.toContain('doomed-aks');
    const gone = await kube('GET', '/api/v1/nodes');
    expect(gone.status).toBe(404);
    expect(gone.body.kind).toBe('Status');
  });

  it('lists Kubernetes versions in the old "List Orchestrators" shape: one default, previews flagged, no LTS-only versions', async () => {
    const res = await berth.request(
      'GET',
      `/subscriptions/${sub}/providers/Microsoft.ContainerService/locations/westus/orchestrators?api-version=2019-08-01&resource-type=managedClusters`,
    );
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('Microsoft.ContainerService/locations/orchestrators');
    const orchestrators: any[] = res.body.properties.orchestrators;
    expect(orchestrators.length).toBeGreaterThan(5);
    for (const o of orchestrators) {
      expect(o.orchestratorType).toBe('Kubernetes');
      expect(o.orchestratorVersion).toMatch(/^1\.\d+\.\d+$/);
      expect(Array.isArray(o.upgrades)).toBe(true);
    }
    expect(orchestrators.filter((o) => o.default === true).map((o) => o.orchestratorVersion)).toEqual(['1.32.6']);
    const versions = orchestrators.map((o) => o.orchestratorVersion);
    expect(versions).toEqual(expect.arrayContaining(['1.31.10', '1.32.6', '1.33.3', '1.34.1']));
    expect(versions.some((v) => /^1\.(28|29|30)\./.test(v))).toBe(false);
    const preview = orchestrators.filter((o) => o.isPreview === true).map((o) => o.orchestratorVersion);
    expect(preview.length).toBeGreaterThan(0);
    expect(preview.every((v) => v.startsWith('1.34.'))).toBe(true);
    const upgrades = orchestrators.find((o) => o.orchestratorVersion === '1.33.3').upgrades;
    expect(upgrades).toEqual(expect.arrayContaining([expect.objectContaining({ orchestratorVersion: '1.34.1', isPreview: true })]));
    // JMESPath of the article: orchestrators[?default == `true`].orchestratorVersion
    expect(orchestrators.find((o) => o.orchestratorVersion === '1.31.10').default).toBeUndefined();
  });

  it('lists Kubernetes versions in the kubernetesVersions shape, with patch versions and support plans', async () => {
    const res = await berth.request(
      'GET',
      `/subscriptions/${sub}/providers/Microsoft.ContainerService/locations/West%20US/kubernetesVersions?api-version=2024-08-01`,
    );
    expect(res.status).toBe(200);
    const values: any[] = res.body.values;
    expect(values.map((v) => v.version)).toEqual(['1.28', '1.29', '1.30', '1.31', '1.32', '1.33', '1.34']);
    expect(values.filter((v) => v.isDefault).map((v) => v.version)).toEqual(['1.32']);
    expect(values.filter((v) => v.isPreview).map((v) => v.version)).toEqual(['1.34']);
    const v132 = values.find((v) => v.version === '1.32');
    expect(v132.capabilities.supportPlan).toEqual(['KubernetesOfficial', 'AKSLongTermSupport']);
    expect(Object.keys(v132.patchVersions)).toEqual(expect.arrayContaining(['1.32.4', '1.32.5', '1.32.6']));
    expect(v132.patchVersions['1.32.5'].upgrades).toEqual(expect.arrayContaining(['1.32.6', '1.33.1']));
    expect(values.find((v) => v.version === '1.29').capabilities.supportPlan).toEqual(['AKSLongTermSupport']);
  });

  it('refuses an unknown location with a 400 that lists the known ones', async () => {
    for (const route of ['orchestrators?api-version=2019-08-01&resource-type=managedClusters', 'kubernetesVersions?api-version=2024-08-01']) {
      const res = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.ContainerService/locations/atlantis/${route}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('LocationNotAvailableForResourceType');
      expect(res.body.error.message).toContain("'atlantis'");
      expect(res.body.error.message).toMatch(/westus.*eastus|eastus.*westus/);
    }
    const create = await berth.request('PUT', path('bad-rg', 'nowhere'), { body: clusterBody({ location: 'atlantis' }) });
    expect(create.status).toBe(400);
    expect(create.body.error.code).toBe('LocationNotAvailableForResourceType');
    expect((await berth.request('GET', path('bad-rg', 'nowhere'))).status).toBe(404);
  });

  /** PUTs a cluster that must be refused, and checks that nothing was created. */
  async function refused(name: string, body: unknown, expected: { code: string; target?: string; message?: RegExp }) {
    const res = await berth.request('PUT', path('bad-rg', name), { body });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe(expected.code);
    if (expected.message) expect(res.body.error.message).toMatch(expected.message);
    if (expected.target)
      expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ code: expected.code, target: expected.target })]));
    expect(res.headers['azure-asyncoperation']).toBeUndefined();
    const get = await berth.request('GET', path('bad-rg', name));
    expect(get.status).toBe(404);
    expect(get.body.error.code).toBe('ResourceNotFound');
    return res.body.error;
  }

  it('refuses bad agent pools, versions and DNS prefixes with clear ARM errors, creating nothing', async () => {
    await refused('bad-size', clusterBody({ vmSize: 'Standard_Nope_v9' }), {
      code: 'InvalidVMSize',
      target: 'properties.agentPoolProfiles[0].vmSize',
      message: /Standard_Nope_v9.*Standard_D3_v2/,
    });
    await refused('zero-nodes', clusterBody({ count: 0 }), {
      code: 'InvalidParameter',
      target: 'properties.agentPoolProfiles[0].count',
      message: /count 0.*1 to 1000/,
    });
    await refused('many-nodes', clusterBody({ count: 1001 }), {
      code: 'InvalidParameter',
      target: 'properties.agentPoolProfiles[0].count',
      message: /count 1001.*1 to 1000/,
    });
    const version = await refused('old-version', clusterBody({ properties: { kubernetesVersion: '1.20.7' } }), {
      code: 'K8sVersionNotSupported',
      target: 'properties.kubernetesVersion',
    });
    expect(version.message).toContain('1.20.7');
    for (const v of ['1.31.10', '1.32.6', '1.33.3', '1.34.1']) expect(version.message).toContain(v);
    await refused('bad-dns', clusterBody({ properties: { dnsPrefix: '-not_valid-' } }), {
      code: 'InvalidDnsPrefix',
      target: 'properties.dnsPrefix',
      message: /-not_valid-/,
    });

    const list = await berth.request(
      'GET',
      `/subscriptions/${sub}/resourceGroups/bad-rg/providers/Microsoft.ContainerService/managedClusters?api-version=2024-08-01`,
    );
    expect(list.status).toBe(200);
    expect(list.body.value).toEqual([]);
  });

  it('offers LTS-only versions only with the Premium tier and the AKSLongTermSupport plan', async () => {
    await refused('lts-free', clusterBody({ properties: { kubernetesVersion: '1.29.15' } }), {
      code: 'K8sVersionNotSupported',
      message: /1\.29\.15.*Premium.*AKSLongTermSupport/,
    });
    await refused('lts-tier-only', clusterBody({ sku: { name: 'Base', tier: 'Premium' }, properties: { kubernetesVersion: '1.29.15' } }), {
      code: 'K8sVersionNotSupported',
    });
    await refused('lts-plan-only', clusterBody({ properties: { kubernetesVersion: '1.29.15', supportPlan: 'AKSLongTermSupport' } }), {
      code: 'InvalidParameter',
      target: 'properties.supportPlan',
    });

    const { put, operation } = await putManagedCluster(
      call,
      path('aks-rg', 'lts-aks'),
      clusterBody({ count: 1, sku: { name: 'Base', tier: 'Premium' }, properties: { kubernetesVersion: '1.29.15', supportPlan: 'AKSLongTermSupport' } }),
    );
    expect(put.status).toBe(201);
    expect(operation.status).toBe('Succeeded');
    const got = await berth.request('GET', path('aks-rg', 'lts-aks'));
    expect(got.body.sku).toEqual({ name: 'Base', tier: 'Premium' });
    expect(got.body.properties).toMatchObject({ kubernetesVersion: '1.29.15', supportPlan: 'AKSLongTermSupport', provisioningState: 'Succeeded' });
  });

  it('refuses network profiles that break the AKS rules, creating nothing', async () => {
    const network = (networkProfile: Record<string, unknown>) => clusterBody({ properties: { networkProfile } });
    await refused('cidr-syntax', network({ serviceCidr: '10.0.0.0/33', dnsServiceIP: '10.0.0.10' }), {
      code: 'InvalidParameter',
      target: 'properties.networkProfile.serviceCidr',
      message: /10\.0\.0\.0\/33/,
    });
    await refused('cidr-base', network({ serviceCidr: '10.0.5.0/16', dnsServiceIP: '10.0.0.10' }), {
      code: 'InvalidParameter',
      target: 'properties.networkProfile.serviceCidr',
    });
    await refused('cidr-overlap', network({ serviceCidr: '10.224.128.0/20', dnsServiceIP: '10.224.128.10' }), {
      code: 'ServiceCidrOverlapExistingSubnetsCidr',
      target: 'properties.networkProfile.serviceCidr',
      message: /10\.224\.0\.0\/16/,
    });
    await refused('dns-outside', network({ serviceCidr: '10.2.0.0/16', dnsServiceIP: '10.3.0.10' }), {
      code: 'InvalidDNSServiceIP',
      target: 'properties.networkProfile.dnsServiceIP',
      message: /10\.3\.0\.10.*10\.2\.0\.0\/16/,
    });
    await refused('dns-first', network({ serviceCidr: '10.2.0.0/16', dnsServiceIP: '10.2.0.1' }), {
      code: 'InvalidDNSServiceIP',
      target: 'properties.networkProfile.dnsServiceIP',
      message: /10\.2\.0\.1\b/,
    });
    await refused('bridge-subnet', network({ dockerBridgeCidr: '10.224.0.1/16' }), {
      code: 'InvalidParameter',
      target: 'properties.networkProfile.dockerBridgeCidr',
      message: /overlaps the cluster's subnet/,
    });
    await refused('bridge-service', network({ dockerBridgeCidr: '10.0.0.1/16' }), {
      code: 'InvalidParameter',
      target: 'properties.networkProfile.dockerBridgeCidr',
      message: /overlaps serviceCidr/,
    });
    await refused(
      'ranges-basic',
      clusterBody({ properties: { networkProfile: { loadBalancerSku: 'basic' }, apiServerAccessProfile: { authorizedIPRanges: ['198.51.100.0/24'] } } }),
      {
        code: 'InvalidParameter',
        target: 'properties.apiServerAccessProfile.authorizedIPRanges',
        message: /Standard load balancer/,
      },
    );
    // The same ranges with the standard load balancer are fine.
    const ok = await berth.request('PUT', path('aks-rg', 'ranges-std'), {
      body: clusterBody({
        count: 1,
        properties: { networkProfile: { loadBalancerSku: 'standard' }, apiServerAccessProfile: { authorizedIPRanges: ['198.51.100.0/24'] } },
      }),
    });
    expect(ok.status).toBe(201);
    expect((await waitForOperation(berth, ok.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
  });

  it('reports every broken rule of one request in one 400 with details[]', async () => {
    const body = clusterBody({
      vmSize: 'Standard_Nope_v9',
      count: 0,
      properties: { dnsPrefix: '_x_', networkProfile: { serviceCidr: '10.224.0.0/16', dnsServiceIP: '192.168.0.10' } },
    });
    const error = await refused('many-problems', body, { code: 'InvalidParameter' });
    const targets = error.details.map((d: { target: string }) => d.target);
    expect(targets).toEqual(
      expect.arrayContaining([
        'properties.agentPoolProfiles[0].vmSize',
        'properties.agentPoolProfiles[0].count',
        'properties.dnsPrefix',
        'properties.networkProfile.serviceCidr',
        'properties.networkProfile.dnsServiceIP',
      ]),
    );
    for (const d of error.details) expect(d.message.length).toBeGreaterThan(10);
    expect(error.message).toMatch(/breaks \d+ rules/);
  });

  it('refuses a VM size change on update and leaves the cluster as it was', async () => {
    const clusterPath = path('aks-rg', 'fixed-size');
    expect((await putManagedCluster(call, clusterPath, clusterBody({ count: 2 }))).operation.status).toBe('Succeeded');
    const before = (await berth.request('GET', clusterPath)).body;
    const res = await berth.request('PUT', clusterPath, { body: clusterBody({ count: 3, vmSize: 'Standard_D4_v2' }) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('PropertyChangeNotAllowed');
    expect(res.body.error.message).toMatch(/vmSize.*Standard_D3_v2.*Standard_D4_v2/);
    const after = (await berth.request('GET', clusterPath)).body;
    expect(after).toEqual(before);
    expect(after.properties.agentPoolProfiles[0]).toMatchObject({ count: 2, vmSize: 'Standard_D3_v2' });
    expect(after.properties.provisioningState).toBe('Succeeded');
  });

  it('fails a create with RequestDisallowedByPolicy when a policy assignment forbids public IPs', async () => {
    const assignment = `/subscriptions/${sub}/providers/Microsoft.Authorization/policyAssignments/no-public-ip?${POLICY_API}`;
    const put = await berth.request('PUT', assignment, {
      body: {
        properties: {
          displayName: 'No public IPs',
          policyDefinitionId: NOT_ALLOWED_RESOURCE_TYPES,
          parameters: { listOfResourceTypesNotAllowed: { value: ['Microsoft.Network/publicIPAddresses'] } },
        },
      },
    });
    expect(put.status).toBe(201);
    try {
      const create = await berth.request('PUT', path('policy-rg', 'denied'), { body: clusterBody() });
      expect(create.status).toBe(201);
      const op = await waitForOperation(berth, create.headers['azure-asyncoperation'] as string);
      expect(op.status).toBe('Failed');
      expect(op.error.code).toBe('RequestDisallowedByPolicy');
      expect(op.error.message).toContain('no-public-ip');
      expect(op.error.message).toContain('Microsoft.Network/publicIPAddresses');
      const cluster = await berth.request('GET', path('policy-rg', 'denied'));
      expect(cluster.status).toBe(200);
      expect(cluster.body.properties.provisioningState).toBe('Failed');
      // A failed cluster has no API server to hand out credentials for.
      const creds = await berth.request('POST', `${path('policy-rg', 'denied').split('?')[0]}/listClusterUserCredential?api-version=2024-08-01`);
      expect(creds.status).toBe(409);
      // Retrying the create while the assignment stands fails the same way.
      const retry = await berth.request('PUT', path('policy-rg', 'denied'), { body: clusterBody() });
      expect(retry.status).toBe(200);
      const retried = await waitForOperation(berth, retry.headers['azure-asyncoperation'] as string);
      expect(retried.status).toBe('Failed');
      expect(retried.error.code).toBe('RequestDisallowedByPolicy');
      expect((await berth.request('GET', path('policy-rg', 'denied'))).body.properties.provisioningState).toBe('Failed');
      // The SDK reports the failure as the operation's error.
      await expect(
        client.managedClusters.beginCreateOrUpdateAndWait(
          'policy-rg',
          'denied-sdk',
          { location: 'westus', agentPoolProfiles: [{ name: 'nodepool1', count: 1, vmSize: 'Standard_D3_v2', mode: 'System' }] },
          poll,
        ),
      ).rejects.toThrow(/RequestDisallowedByPolicy/);
    } finally {
      expect((await berth.request('DELETE', assignment)).status).toBe(200);
    }
    // Without the assignment the retry goes through, and so does a new create.
    const again = await berth.request('PUT', path('policy-rg', 'denied'), { body: clusterBody() });
    expect(again.status).toBe(200);
    expect((await waitForOperation(berth, again.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    expect((await berth.request('GET', path('policy-rg', 'denied'))).body.properties.provisioningState).toBe('Succeeded');
    const fresh = await berth.request('PUT', path('policy-rg', 'allowed'), { body: clusterBody({ count: 1 }) });
    expect(fresh.status).toBe(201);
    expect((await waitForOperation(berth, fresh.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
  });
});
