import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { startTestBerth, testStores, type HttpResponse, type TestBerth } from '../../../test-support/berth.js';
import { createGroup, createPrincipal, putRoleAssignment, tokenOf } from '../../../test-support/principals.js';

const AUTHZ = 'api-version=2022-04-01';
const RG_API = 'api-version=2021-04-01';
const ML_API = 'api-version=2022-10-01';
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';

describe.each(testStores())('ARM role assignments on %s', (store) => {
  let berth: TestBerth;
  let sub: string;

  beforeAll(async () => {
    berth = await startTestBerth({ store });
    sub = berth.subscriptionId;
    for (const rg of ['rg-a', 'rg-b']) await createGroup(berth, rg);
  });
  afterAll(() => berth?.close());

  const rgScope = (rg: string) => `/subscriptions/${sub}/resourceGroups/${rg}`;
  const wsPath = (rg: string, ws: string) => `${rgScope(rg)}/providers/Microsoft.MachineLearningServices/workspaces/${ws}`;
  const assignmentPath = (scope: string, name: string) => `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?${AUTHZ}`;
  const definitionId = (guid: string) => `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

  const assign = (scope: string, principalId: string, guid: string, token?: string, name?: string): Promise<HttpResponse> =>
    putRoleAssignment(berth, scope, principalId, definitionId(guid), { token, name });

  const count = async () => (await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments?${AUTHZ}`)).body.value.length;

  it('lists the built-in role definitions with their real GUIDs, and filters by role name', async () => {
    const all = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions?${AUTHZ}`);
    expect(all.status, all.text).toBe(200);
    expect(all.body.value.map((d: { name: string }) => d.name).sort()).toEqual([OWNER, READER, CONTRIBUTOR].sort());
    const filtered = await berth.request(
      'GET',
      `${rgScope('rg-a')}/providers/Microsoft.Authorization/roleDefinitions?${AUTHZ}&$filter=${encodeURIComponent("roleName eq 'Contributor'")}`,
    );
    expect(filtered.body.value).toEqual([
      {
        id: `${rgScope('rg-a')}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
        name: CONTRIBUTOR,
        type: 'Microsoft.Authorization/roleDefinitions',
        properties: expect.objectContaining({ roleName: 'Contributor', type: 'BuiltInRole', assignableScopes: ['/'], permissions: [expect.any(Object)] }),
      },
    ]);
    const one = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${READER}?${AUTHZ}`);
    expect(one.body.properties.roleName).toBe('Reader');
    expect((await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}?${AUTHZ}`)).status).toBe(404);
  });

  it('lets a Contributor on one resource group write there, and nowhere else', async () => {
    const sp = await createPrincipal(berth, 'rg-contributor');
    const made = await assign(rgScope('rg-a'), sp.objectId, CONTRIBUTOR);
    expect(made.status, made.text).toBe(201);
    expect(made.body).toMatchObject({
      type: 'Microsoft.Authorization/roleAssignments',
      properties: { scope: rgScope('rg-a'), principalId: sp.objectId, principalType: 'ServicePrincipal', roleDefinitionId: definitionId(CONTRIBUTOR) },
    });
    const token = await tokenOf(berth, sp);
    const ws = await berth.request('PUT', `${wsPath('rg-a', 'ws1')}?${ML_API}`, { token, body: { location: 'westus' } });
    expect(ws.status, ws.text).toBe(201);
    expect((await berth.request('GET', `${wsPath('rg-a', 'ws1')}?${ML_API}`, { token })).status).toBe(200);
    // Any spelling of the group is the same scope.
    expect(
      (
        await berth.request('GET', `/subscriptions/${sub.toUpperCase()}/RESOURCEGROUPS/RG-A/providers/Microsoft.MachineLearningServices/workspaces?${ML_API}`, {
          token,
        })
      ).status,
    ).toBe(200);

    for (const [method, path] of [
      ['PUT', `${wsPath('rg-b', 'ws1')}?${ML_API}`],
      ['GET', `${wsPath('rg-b', 'ws1')}?${ML_API}`],
      ['GET', `${wsPath('rg-b', 'missing')}?${ML_API}`],
      ['PUT', `/subscriptions/${sub}/resourcegroups/new-rg?${RG_API}`],
      ['GET', `/subscriptions/${sub}/resourcegroups?${RG_API}`],
      ['DELETE', `/subscriptions/${sub}/resourcegroups/rg-b?${RG_API}`],
    ] as const) {
      const res = await berth.request(method, path, { token, ...(method === 'PUT' ? { body: { location: 'westus' } } : {}) });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(403);
      expect(res.body.error.code).toBe('AuthorizationFailed');
    }
    // A Contributor cannot assign roles, even at its own scope.
    const other = await createPrincipal(berth, 'victim');
    const escalate = await assign(rgScope('rg-a'), other.objectId, OWNER, token);
    expect(escalate.status).toBe(403);
    expect(escalate.body.error.code).toBe('AuthorizationFailed');
    expect((await berth.request('DELETE', assignmentPath(rgScope('rg-a'), made.body.name), { token })).status).toBe(403);
    expect((await berth.request('GET', assignmentPath(rgScope('rg-a'), made.body.name), { token })).status).toBe(200);
  });

  it('keeps a Reader from secret-revealing actions and writes', async () => {
    const sp = await createPrincipal(berth, 'ws-reader');
    expect((await berth.request('PUT', `${wsPath('rg-a', 'ws2')}?${ML_API}`, { body: { location: 'westus' } })).status).toBe(201);
    expect((await assign(wsPath('rg-a', 'ws2'), sp.objectId, READER)).status).toBe(201);
    const token = await tokenOf(berth, sp);
    expect((await berth.request('GET', `${wsPath('rg-a', 'ws2')}?${ML_API}`, { token })).status).toBe(200);
    expect((await berth.request('GET', `${wsPath('rg-a', 'ws2')}/computes?${ML_API}`, { token })).status).toBe(200);
    const keys = await berth.request('POST', `${wsPath('rg-a', 'ws2')}/computes/c1/listKeys?${ML_API}`, { token });
    expect(keys.status).toBe(403);
    expect(keys.body.error.code).toBe('AuthorizationFailed');
    expect((await berth.request('PATCH', `${wsPath('rg-a', 'ws2')}?${ML_API}`, { token, body: { tags: { a: 'b' } } })).status).toBe(403);
    // The workspace next door is out of scope, even to read.
    expect((await berth.request('GET', `${wsPath('rg-a', 'ws1')}?${ML_API}`, { token })).status).toBe(403);
  });

  it('lets an Owner of a group assign roles there but not above; a deleted assignment is refused within a second', async () => {
    const owner = await createPrincipal(berth, 'rg-owner');
    expect((await assign(rgScope('rg-b'), owner.objectId, OWNER)).status).toBe(201);
    const ownerToken = await tokenOf(berth, owner);
    const worker = await createPrincipal(berth, 'worker');
    const made = await assign(rgScope('rg-b'), worker.objectId, CONTRIBUTOR, ownerToken);
    expect(made.status, made.text).toBe(201);
    expect(made.body.properties.createdBy).toBe(owner.objectId);
    expect((await assign(`/subscriptions/${sub}`, worker.objectId, READER, ownerToken)).status).toBe(403);
    expect((await assign(rgScope('rg-a'), worker.objectId, READER, ownerToken)).status).toBe(403);
    // The same principal, role and scope under another name.
    const again = await assign(rgScope('rg-b'), worker.objectId, CONTRIBUTOR, ownerToken);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('RoleAssignmentExists');

    const token = await tokenOf(berth, worker);
    expect((await berth.request('PUT', `${wsPath('rg-b', 'ws-b')}?${ML_API}`, { token, body: { location: 'westus' } })).status).toBe(201);
    const listed = await berth.request(
      'GET',
      `${rgScope('rg-b')}/providers/Microsoft.Authorization/roleAssignments?${AUTHZ}&$filter=${encodeURIComponent(`principalId eq '${worker.objectId}'`)}`,
      {
        token,
      },
    );
    expect(listed.body.value.map((a: { name: string }) => a.name)).toEqual([made.body.name]);

    const deleted = await berth.request('DELETE', assignmentPath(rgScope('rg-b'), made.body.name), { token: ownerToken });
    expect(deleted.status).toBe(200);
    expect(deleted.body.name).toBe(made.body.name);
    expect((await berth.request('DELETE', assignmentPath(rgScope('rg-b'), made.body.name), { token: ownerToken })).status).toBe(204);
    const deadline = Date.now() + 1000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await berth.request('GET', `${wsPath('rg-b', 'ws-b')}?${ML_API}`, { token })).status;
      if (status === 403) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(403);
  });

  it('refuses bad input with ARM errors and changes nothing', async () => {
    const sp = await createPrincipal(berth, 'bad-input');
    const before = await count();
    const unknownRole = await assign(rgScope('rg-a'), sp.objectId, randomUUID());
    expect([unknownRole.status, unknownRole.body.error.code]).toEqual([400, 'InvalidRoleDefinitionId']);
    const unknownPrincipal = await assign(rgScope('rg-a'), randomUUID(), READER);
    expect([unknownPrincipal.status, unknownPrincipal.body.error.code]).toEqual([400, 'PrincipalNotFound']);
    const notGuid = await assign(rgScope('rg-a'), sp.objectId, READER, undefined, 'not-a-guid');
    expect(notGuid.status).toBe(400);
    const missingGroup = await assign(rgScope('nope'), sp.objectId, READER);
    expect([missingGroup.status, missingGroup.body.error.code]).toEqual([404, 'ResourceGroupNotFound']);
    const missingResource = await assign(wsPath('rg-a', 'nope'), sp.objectId, READER);
    expect([missingResource.status, missingResource.body.error.code]).toEqual([404, 'ResourceNotFound']);
    const malformed = await assign(`${rgScope('rg-a')}/providers/Microsoft.MachineLearningServices/workspaces/a%2Fb`, sp.objectId, READER);
    expect(malformed.status).toBe(400);
    const badFilter = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments?${AUTHZ}&$filter=nonsense`);
    expect(badFilter.status).toBe(400);
    expect(await count()).toBe(before);
  });

  it('serves @azure/arm-authorization unmodified: create, get, list and delete', async () => {
    const admin = await createPrincipal(berth, 'sdk-owner');
    expect((await assign(`/subscriptions/${sub}`, admin.objectId, OWNER)).status).toBe(201);
    const target = await createPrincipal(berth, 'sdk-target');
    const identity = new ClientSecretCredential('adfs', admin.appId, admin.password, {
      authorityHost: berth.url,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: berth.ca },
    } as never);
    const client = new AuthorizationManagementClient(identity, sub, { endpoint: berth.url, tlsOptions: { ca: berth.ca } } as never);
    const scope = rgScope('rg-a');
    const definitions = [];
    for await (const d of client.roleDefinitions.list(scope, { filter: "roleName eq 'Reader'" })) definitions.push(d);
    expect(definitions.map((d) => d.name)).toEqual([READER]);
    const name = randomUUID();
    const created = await client.roleAssignments.create(scope, name, {
      roleDefinitionId: definitions[0].id!,
      principalId: target.objectId,
      principalType: 'ServicePrincipal',
    });
    expect(created).toMatchObject({ name, scope, principalId: target.objectId, principalType: 'ServicePrincipal' });
    expect(created.createdOn).toBeInstanceOf(Date);
    expect((await client.roleAssignments.get(scope, name)).id).toBe(created.id);
    expect((await client.roleAssignments.getById(created.id!)).name).toBe(name);
    const forScope = [];
    for await (const a of client.roleAssignments.listForScope(scope, { filter: `principalId eq '${target.objectId}'` })) forScope.push(a);
    expect(forScope.map((a) => a.name)).toEqual([name]);
    const forGroup = [];
    for await (const a of client.roleAssignments.listForResourceGroup('rg-a')) forGroup.push(a.name);
    expect(forGroup).toContain(name);
    const forSubscription = [];
    for await (const a of client.roleAssignments.listForSubscription()) forSubscription.push(a.name);
    expect(forSubscription).toContain(name);
    const removed = await client.roleAssignments.delete(scope, name);
    expect(removed.name).toBe(name);
    await expect(client.roleAssignments.get(scope, name)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('lets create-for-rbac assign roles at resource group and resource scopes', async () => {
    const res = await berth.request('POST', '/berth/servicePrincipals', {
      body: { displayName: 'scoped', role: 'Contributor', scopes: [rgScope('rg-a'), wsPath('rg-a', 'ws1')] },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.roles).toEqual({ [rgScope('rg-a').toLowerCase()]: 'Contributor', [wsPath('rg-a', 'ws1').toLowerCase()]: 'Contributor' });
    const listed = await berth.request(
      'GET',
      `${rgScope('rg-a')}/providers/Microsoft.Authorization/roleAssignments?${AUTHZ}&$filter=${encodeURIComponent(`principalId eq '${res.body.objectId}'`)}`,
    );
    expect(listed.body.value).toHaveLength(2);
    const token = await tokenOf(berth, res.body);
    expect((await berth.request('GET', `${wsPath('rg-a', 'ws1')}?${ML_API}`, { token })).status).toBe(200);
    expect((await berth.request('GET', `${wsPath('rg-b', 'ws-b')}?${ML_API}`, { token })).status).toBe(403);
    // Deleting the principal takes its assignments with it.
    expect((await berth.request('DELETE', `/berth/servicePrincipals/${res.body.appId}`)).status).toBe(204);
    const after = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments?${AUTHZ}`);
    expect(after.body.value.filter((a: { properties: { principalId: string } }) => a.properties.principalId === res.body.objectId)).toEqual([]);
  });
});
