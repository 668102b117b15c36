import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpsRequest } from '../../../test-support/berth.js';
import { pollOperation } from '../../../test-support/kube.js';
import { berthProcesses, runBerth, type BerthProcess } from '../../../test-support/process.js';

const { tempHome, up } = berthProcesses('berth-outbound-');

async function caller(p: BerthProcess, home: string) {
  const token = (await readFile(join(home, 'token'), 'utf8')).trim();
  const ca = await readFile(join(home, 'ca.pem'), 'utf8');
  return (method: string, path: string, options: { body?: unknown } = {}) =>
    httpsRequest(path.startsWith('https://') ? path : `${p.url}${path}`, ca, method, { token, body: options.body });
}

describe('berth up against another ContainerService API, signed in with @azure/identity', () => {
  it("calls it with a service principal's token from that cloud's token service, and reports that cloud's refusal", async () => {
    // "Azure" here is a second Berth: its token service, its ContainerService API.
    const azureHome = await tempHome();
    const azure = await up(['--home', azureHome, '--port', '0', '--provisioning-delay-ms', '0']);
    const created = await runBerth(['ad', 'sp', 'create-for-rbac', '--name', 'outbound'], { BERTH_HOME: azureHome });
    expect(created.code, created.stderr).toBe(0);
    const sp = JSON.parse(created.stdout) as { appId: string; password: string; tenant: string };

    const home = await tempHome();
    const berth = await up(['--home', home, '--port', '0', '--provisioning-delay-ms', '0', '--container-service-endpoint', azure.url], {
      AZURE_TENANT_ID: sp.tenant,
      AZURE_CLIENT_ID: sp.appId,
      AZURE_CLIENT_SECRET: sp.password,
      AZURE_AUTHORITY_HOST: azure.url,
      NODE_EXTRA_CA_CERTS: join(azureHome, 'ca.pem'),
    });
    const call = await caller(berth, home);
    const sub = (await call('GET', '/subscriptions?api-version=2020-01-01')).body.value[0].subscriptionId;
    expect((await call('PUT', `/subscriptions/${sub}/resourcegroups/rg?api-version=2021-04-01`, { body: { location: 'westus' } })).status).toBe(201);
    const ws = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/myworkspace`;
    const wsPut = await call('PUT', `${ws}?api-version=2022-10-01`, { body: { location: 'westus' } });
    expect(wsPut.status).toBe(201);
    expect((await pollOperation(call, wsPut.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');

    const put = await call('PUT', `${ws}/computes/myaks?api-version=2022-10-01`, { body: { location: 'westus', properties: { computeType: 'AKS' } } });
    expect(put.status).toBe(201);
    const operation = await pollOperation(call, put.headers['azure-asyncoperation'] as string, 60_000);
    // The other cloud authenticated the call as the service principal (no 401) and refused it on
    // authorization: the principal has no role on this Berth's subscription there.
    expect(operation.status).toBe('Failed');
    expect(operation.error.code).toBe('AuthorizationFailed');
    expect(operation.error.message).toContain('outbound');
    expect(operation.error.message).toContain(sub);
  }, 120_000);
});
