import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestBerth } from '../../../test-support/berth.js';
import { clusterCredential, kubeApi, paths } from './compute-fixtures.js';

const AUTHZ = 'api-version=2022-04-01';
const ARM_SCOPE = 'https://management.core.windows.net//.default';

export interface ServicePrincipal {
  name: string;
  appId: string;
  objectId: string;
  password: string;
}

/** A new service principal, made by the admin, with no role yet. */
export async function createPrincipal(berth: TestBerth, name: string): Promise<ServicePrincipal> {
  const res = await berth.request('POST', '/berth/servicePrincipals', { body: { displayName: name } });
  expect(res.status, res.text).toBe(201);
  return { name, appId: res.body.appId, objectId: res.body.objectId, password: res.body.password };
}

/** A fresh ARM token of `sp` from Berth's token service, as `az login --service-principal` gets one. */
export async function tokenOf(berth: TestBerth, sp: ServicePrincipal): Promise<string> {
  const res = await berth.request('POST', '/adfs/oauth2/token', {
    token: null,
    rawBody: new URLSearchParams({ client_id: sp.appId, client_secret: sp.password, grant_type: 'client_credentials', scope: ARM_SCOPE }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  expect(res.status, res.text).toBe(200);
  return res.body.access_token;
}

/** Assigns `sp` a built-in role at `scope`, naming the role's definition as Berth lists it (whatever GUID it has). */
export async function assign(berth: TestBerth, sp: ServicePrincipal, role: string, scope: string): Promise<void> {
  const filter = encodeURIComponent(`roleName eq '${role}'`);
  const definitions = await berth.request(
    'GET',
    `/subscriptions/${berth.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions?${AUTHZ}&$filter=${filter}`,
  );
  expect(definitions.body.value, definitions.text).toHaveLength(1);
  const res = await berth.request('PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?${AUTHZ}`, {
    body: { properties: { roleDefinitionId: definitions.body.value[0].id, principalId: sp.objectId, principalType: 'ServicePrincipal' } },
  });
  expect(res.status, res.text).toBe(201);
}

/** Every namespace, Deployment, Service, ConfigMap and Secret of a cluster with its resourceVersion, read with the cluster's admin kubeconfig. */
export async function clusterObjects(berth: TestBerth, rg: string, cluster: string): Promise<Record<string, string>> {
  const api = kubeApi(await clusterCredential(berth.request, paths(berth.subscriptionId).cluster(rg, cluster), 'admin'));
  const out: Record<string, string> = {};
  for (const path of ['/api/v1/namespaces', '/apis/apps/v1/deployments', '/api/v1/services', '/api/v1/configmaps', '/api/v1/secrets']) {
    const res = await api('GET', path);
    expect(res.status, res.text).toBe(200);
    for (const item of res.body.items as Array<{ metadata: { namespace?: string; name: string; resourceVersion: string } }>) {
      out[`${path.split('/').pop()}/${item.metadata.namespace ?? ''}/${item.metadata.name}`] = item.metadata.resourceVersion;
    }
  }
  return out;
}
