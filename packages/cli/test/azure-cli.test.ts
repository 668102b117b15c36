import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azAvailable, azureCli } from '../../../test-support/azure-cli.js';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';
import { runBerth } from '../../../test-support/process.js';

if (!azAvailable) console.warn('Skipping the Azure CLI tests: /usr/bin/az is missing (Debian package azure-cli; .ci/run installs it).');

describe.skipIf(!azAvailable)('the real Azure CLI (az 2.45) against Berth', () => {
  let berth: TestBerth;
  let az: ReturnType<typeof azureCli>;
  let sp: { appId: string; password: string; tenant: string; displayName: string };

  beforeAll(async () => {
    berth = await startTestBerth({ provisioningDelayMs: 0 });
    az = azureCli(join(berth.home, 'ca.pem'));
    const created = await runBerth(
      ['ad', 'sp', 'create-for-rbac', '--name', 'az-cli-test', '--role', 'Contributor', '--scopes', `/subscriptions/${berth.subscriptionId}`],
      { BERTH_HOME: berth.home },
    );
    expect(created.code, created.stderr).toBe(0);
    sp = JSON.parse(created.stdout);
  }, 120_000);

  afterAll(async () => {
    az?.cleanup();
    await berth?.close();
  });

  it('registers Berth as a cloud from its metadata and signs in with a service principal', async () => {
    const register = await az.run(['cloud', 'register', '-n', 'Berth', '--endpoint-resource-manager', `${berth.url}/`]);
    expect(register.code, register.stderr).toBe(0);
    expect((await az.run(['cloud', 'set', '-n', 'Berth'])).code).toBe(0);
    const cloud = JSON.parse((await az.run(['cloud', 'show', '-n', 'Berth'])).stdout);
    expect(cloud.endpoints.activeDirectory).toBe(`${berth.url}/adfs`);
    expect(cloud.endpoints.resourceManager).toBe(`${berth.url}/`);

    const login = await az.run(['login', '--service-principal', '-u', sp.appId, '-p', sp.password, '--tenant', sp.tenant]);
    expect(login.code, login.stderr).toBe(0);
    const account = JSON.parse((await az.run(['account', 'show'])).stdout);
    expect(account).toMatchObject({ id: berth.subscriptionId, tenantId: sp.tenant, user: { name: sp.appId, type: 'servicePrincipal' } });

    const wrong = await az.run(['login', '--service-principal', '-u', sp.appId, '-p', 'not-the-secret', '--tenant', sp.tenant]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('The client id or client secret is not valid');
  }, 180_000);

  it("runs the article's commands: get-versions, show --query id, get-credentials, resource show, rest put and get", async () => {
    expect((await az.run(['group', 'create', '-n', 'myresourcegroup', '-l', 'westus'])).code).toBe(0);

    const table = await az.run(['aks', 'get-versions', '-l', 'westus', '-o', 'table']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/KubernetesVersion\s+Upgrades/);
    const defaultVersion = await az.run([
      'aks',
      'get-versions',
      '-l',
      'westus',
      '--query',
      'orchestrators[?default == `true`].orchestratorVersion',
      '-o',
      'table',
    ]);
    expect(defaultVersion.code, defaultVersion.stderr).toBe(0);
    expect(defaultVersion.stdout.trim().split('\n').at(-1)).toMatch(/^\d+\.\d+\.\d+$/);

    const clusterPath = `/subscriptions/${berth.subscriptionId}/resourceGroups/myresourcegroup/providers/Microsoft.ContainerService/managedClusters/myexistingcluster`;
    const put = await berth.request('PUT', `${clusterPath}?api-version=2024-08-01`, {
      body: { location: 'westus', properties: { agentPoolProfiles: [{ name: 'nodepool1', count: 3, vmSize: 'Standard_D3_v2', mode: 'System' }] } },
    });
    expect(put.status).toBe(201);
    for (let i = 0; i < 100; i++) {
      const got = await berth.request('GET', `${clusterPath}?api-version=2024-08-01`);
      if (got.body.properties.provisioningState === 'Succeeded') break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const id = await az.run(['aks', 'show', '-n', 'myexistingcluster', '-g', 'myresourcegroup', '--query', 'id', '-o', 'tsv']);
    expect(id.code, id.stderr).toBe(0);
    expect(id.stdout.trim()).toBe(clusterPath);

    const credentials = await az.run([
      'aks',
      'get-credentials',
      '-n',
      'myexistingcluster',
      '-g',
      'myresourcegroup',
      '--file',
      join(az.configDir, 'kubeconfig'),
    ]);
    expect(credentials.code, credentials.stderr).toBe(0);
    // Asynchronously: the Berth under test runs in this process and must keep answering.
    const nodes = await promisify(execFile)('kubectl', ['get', 'nodes', '--no-headers'], { env: az.env, timeout: 30_000 });
    expect(nodes.stdout.trim().split('\n')).toHaveLength(3);

    const ws = `/subscriptions/${berth.subscriptionId}/resourceGroups/myresourcegroup/providers/Microsoft.MachineLearningServices/workspaces/myworkspace`;
    expect((await az.run(['rest', '--method', 'put', '--url', `${ws}?api-version=2022-10-01`, '--body', '{"location":"westus"}'])).code).toBe(0);
    const compute = `${ws}/computes/myaks`;
    const attach = await az.run([
      'rest',
      '--method',
      'put',
      '--url',
      `${compute}?api-version=2022-10-01`,
      '--body',
      JSON.stringify({ location: 'westus', properties: { computeType: 'AKS', resourceId: clusterPath } }),
    ]);
    expect(attach.code, attach.stderr).toBe(0);
    expect(JSON.parse(attach.stdout).properties.computeType).toBe('AKS');
    const shown = await az.run(['rest', '--method', 'get', '--url', `${compute}?api-version=2022-10-01`]);
    expect(JSON.parse(shown.stdout).properties.resourceId).toBe(clusterPath);

    // The article's create with its defaults: 3 x Standard_D3_v2, production.
    const created = `${ws}/computes/mydefaultaks`;
    const createPut = await az.run([
      'rest',
      '--method',
      'put',
      '--url',
      `${created}?api-version=2022-10-01`,
      '--body',
      JSON.stringify({ location: 'westus', properties: { computeType: 'AKS' } }),
    ]);
    expect(createPut.code, createPut.stderr).toBe(0);
    const defaults = JSON.parse((await az.run(['rest', '--method', 'get', '--url', `${created}?api-version=2022-10-01`])).stdout);
    expect(defaults.properties.properties).toMatchObject({ agentCount: 3, agentVmSize: 'Standard_D3_v2', clusterPurpose: 'FastProd' });

    const resource = await az.run(['resource', 'show', '--ids', compute]);
    expect(resource.code, resource.stderr).toBe(0);
    expect(JSON.parse(resource.stdout).name).toBe('myaks');
  }, 300_000);
});
