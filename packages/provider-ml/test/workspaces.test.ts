import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureMachineLearningWorkspaces, type Workspace } from '@azure/arm-machinelearning';
import { credential, startTestBerth, testStores, waitForOperation, type TestBerth } from '../../../test-support/berth.js';

const ML_API = 'api-version=2022-10-01';

describe.each(testStores())('workspaces on %s', (store) => {
  let berth: TestBerth;
  let client: AzureMachineLearningWorkspaces;
  let sub: string;
  const wsPath = (rg: string, name: string, api = ML_API) =>
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${name}?${api}`;

  beforeAll(async () => {
    berth = await startTestBerth({ store });
    sub = berth.subscriptionId;
    client = new AzureMachineLearningWorkspaces(credential(berth.token), sub, { endpoint: berth.url, tlsOptions: { ca: berth.ca } } as never);
    for (const rg of ['ml-rg', 'empty-rg']) {
      expect((await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/${rg}?api-version=2021-04-01`, { body: { location: 'westus' } })).status).toBe(
        201,
      );
    }
  });
  afterAll(() => berth?.close());

  it('creates, gets, lists, updates and deletes a workspace with the official @azure/arm-machinelearning client', async () => {
    const poll = { updateIntervalInMs: 50 };
    const created: Workspace = await client.workspaces.beginCreateOrUpdateAndWait(
      'ml-rg',
      'myworkspace',
      { location: 'westus', identity: { type: 'SystemAssigned' }, friendlyName: 'My workspace', description: 'inference clusters', tags: { env: 'dev' } },
      poll,
    );
    expect(created.name).toBe('myworkspace');
    expect(created.id).toBe(`/subscriptions/${sub}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/myworkspace`);
    expect(created.provisioningState).toBe('Succeeded');
    expect(created.friendlyName).toBe('My workspace');
    expect(created.identity?.principalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.workspaceId).toMatch(/^[0-9a-f-]{36}$/);

    const got = await client.workspaces.get('ml-rg', 'MyWorkspace');
    expect(got.description).toBe('inference clusters');
    expect(got.tags).toEqual({ env: 'dev' });

    const inGroup: string[] = [];
    for await (const w of client.workspaces.listByResourceGroup('ml-rg')) inGroup.push(w.name!);
    expect(inGroup).toEqual(['myworkspace']);
    const inSub: string[] = [];
    for await (const w of client.workspaces.listBySubscription()) inSub.push(w.name!);
    expect(inSub).toContain('myworkspace');

    const updated = await client.workspaces.beginUpdateAndWait(
      'ml-rg',
      'myworkspace',
      { description: 'changed', friendlyName: 'Renamed', tags: { env: 'prod' } },
      poll,
    );
    expect(updated.description).toBe('changed');
    expect(updated.friendlyName).toBe('Renamed');
    expect((await client.workspaces.get('ml-rg', 'myworkspace')).tags).toEqual({ env: 'prod' });

    await client.workspaces.beginDeleteAndWait('ml-rg', 'myworkspace', poll);
    await expect(client.workspaces.get('ml-rg', 'myworkspace')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('answers the create with 201, Azure-AsyncOperation and Retry-After, then Succeeded', async () => {
    const res = await berth.request('PUT', wsPath('ml-rg', 'lro-ws'), { body: { location: 'eastus' } });
    expect(res.status).toBe(201);
    expect(res.body.properties.provisioningState).toBe('Creating');
    expect(res.headers['retry-after']).toBe('1');
    const status = res.headers['azure-asyncoperation'] as string;
    expect(status).toMatch(
      /^https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.+\/providers\/Microsoft\.MachineLearningServices\/locations\/eastus\/operationStatuses\//,
    );
    // Clients append the original query to poll URLs: extra parameters are accepted.
    const op = await waitForOperation(berth, `${status}&underlyingResourceAction=Detach`);
    expect(op.status).toBe('Succeeded');
    expect((await berth.request('GET', wsPath('ml-rg', 'lro-ws'))).body.properties.provisioningState).toBe('Succeeded');
  });

  it('accepts api-version 2021-04-01 too', async () => {
    const res = await berth.request(
      'GET',
      `/subscriptions/${sub}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces?api-version=2021-04-01`,
    );
    expect(res.status).toBe(200);
  });

  it('pages the workspace list with nextLink', async () => {
    for (const name of ['page-ws-1', 'page-ws-2', 'page-ws-3']) {
      expect((await berth.request('PUT', wsPath('empty-rg', name), { body: { location: 'westus' } })).status).toBe(201);
    }
    const first = await berth.request(
      'GET',
      `/subscriptions/${sub}/resourceGroups/empty-rg/providers/Microsoft.MachineLearningServices/workspaces?${ML_API}&$top=2`,
    );
    expect(first.body.value).toHaveLength(2);
    const second = await berth.request('GET', first.body.nextLink);
    expect(second.body.value.map((w: { name: string }) => w.name)).toEqual(['page-ws-3']);
    expect(second.body.nextLink).toBeUndefined();
  });

  describe('bad input gets an ARM error and changes nothing', () => {
    async function workspaceNames(rg: string): Promise<string[]> {
      const res = await berth.request('GET', `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces?${ML_API}`);
      return res.body.value.map((w: { name: string }) => w.name);
    }

    it.each([
      ['ab', 'has 2 characters'],
      ['a'.repeat(34), 'has 34 characters'],
      ['-starts-with-hyphen', 'does not start with a letter or digit'],
      ['has.dot', 'contains a character other than'],
      ['has space', 'contains a character other than'],
    ])('workspace name %j', async (name, why) => {
      const res = await berth.request('PUT', wsPath('ml-rg', encodeURIComponent(name)), { body: { location: 'westus' } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('InvalidResourceName');
      expect(res.body.error.message).toContain(why);
      expect(res.body.error.message).toContain('3 to 33 characters');
      expect(await workspaceNames('ml-rg')).not.toContain(name);
    });

    it('accepts the boundary names', async () => {
      for (const name of ['abc', `a_${'b'.repeat(31)}`]) {
        expect((await berth.request('PUT', wsPath('empty-rg', name), { body: { location: 'westus' } })).status).toBe(201);
      }
    });

    it('a workspace in a group that does not exist', async () => {
      const res = await berth.request('PUT', wsPath('no-such-rg', 'orphan'), { body: { location: 'westus' } });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('ResourceGroupNotFound');
      expect(res.body.error.message).toContain('no-such-rg');
    });

    it('a body of the wrong shape', async () => {
      const res = await berth.request('PUT', wsPath('ml-rg', 'shape-ws'), {
        body: { location: 'westus', properties: { hbiWorkspace: 'yes', publicNetworkAccess: 'Sometimes' } },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('InvalidRequestContent');
      expect(res.body.error.details.length).toBeGreaterThanOrEqual(2);
      expect(await workspaceNames('ml-rg')).not.toContain('shape-ws');
      const noLocation = await berth.request('PUT', wsPath('ml-rg', 'shape-ws'), { body: { properties: {} } });
      expect(noLocation.status).toBe(400);
      expect(noLocation.body.error.details[0].message).toContain('location');
    });

    it('malformed JSON', async () => {
      const res = await berth.request('PUT', wsPath('ml-rg', 'json-ws'), { rawBody: '{location: westus}' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('InvalidRequestContent');
      expect(await workspaceNames('ml-rg')).not.toContain('json-ws');
    });

    it('a PUT that moves an existing workspace to another location', async () => {
      await berth.request('PUT', wsPath('empty-rg', 'fixed-ws'), { body: { location: 'westus' } });
      const res = await berth.request('PUT', wsPath('empty-rg', 'fixed-ws'), { body: { location: 'northeurope' } });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('InvalidResourceLocation');
      expect((await berth.request('GET', wsPath('empty-rg', 'fixed-ws'))).body.location).toBe('westus');
    });

    it('a missing api-version on a workspace', async () => {
      const res = await berth.request('GET', `/subscriptions/${sub}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/x`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('MissingApiVersionParameter');
    });
  });

  it('updates an existing workspace with a second PUT', async () => {
    const first = await berth.request('PUT', wsPath('ml-rg', 'put-twice'), { body: { location: 'westus', properties: { description: 'one' } } });
    await waitForOperation(berth, first.headers['azure-asyncoperation'] as string);
    const res = await berth.request('PUT', wsPath('ml-rg', 'put-twice'), { body: { location: 'westus', properties: { description: 'two' } } });
    expect(res.status).toBe(200);
    const got = await berth.request('GET', wsPath('ml-rg', 'put-twice'));
    expect(got.body.properties.description).toBe('two');
  });
});
