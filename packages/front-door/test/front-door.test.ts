import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceManagementClient } from '@azure/arm-resources';
import { credential, startTestBerth, testStores, waitForOperation, type TestBerth } from '../../../test-support/berth.js';

const RG_API = 'api-version=2021-04-01';
const ML_API = 'api-version=2022-10-01';

describe.each(testStores())('front door on %s', (store) => {
  let berth: TestBerth;
  let sub: string;

  beforeAll(async () => {
    berth = await startTestBerth({ store });
    sub = berth.subscriptionId;
  });
  afterAll(() => berth?.close());

  async function createToken(role: string, subscription?: string): Promise<string> {
    const res = await berth.request('POST', '/berth/tokens', { body: { role, subscription } });
    expect(res.status).toBe(201);
    return res.body.token;
  }

  it('answers /healthz without a token', async () => {
    const res = await berth.request('GET', '/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('puts x-ms-request-id on every response, errors included, and echoes the client request id', async () => {
    const ok = await berth.request('GET', `/subscriptions?api-version=2020-01-01`, { headers: { 'x-ms-client-request-id': 'abc-123' } });
    expect(ok.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.headers['x-ms-client-request-id']).toBe('abc-123');
    const failed = await berth.request('GET', `/subscriptions/${sub}/resourcegroups/nope?${RG_API}`);
    expect(failed.status).toBe(404);
    expect(failed.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(failed.body.error.code).toBe('ResourceGroupNotFound');
  });

  it('requires a bearer token and refuses a wrong one with 401 and WWW-Authenticate', async () => {
    const none = await berth.request('GET', `/subscriptions?api-version=2020-01-01`, { token: null });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.body.error.code).toBe('AuthenticationFailed');
    const wrong = await berth.request('GET', `/subscriptions?api-version=2020-01-01`, { token: 'berth_not-a-real-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(wrong.body.error.code).toBe('InvalidAuthenticationToken');
    const basic = await berth.request('GET', `/subscriptions?api-version=2020-01-01`, { token: null, headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(basic.status).toBe(401);
  });

  it('checks api-version: missing and unknown versions are 400s that say what is supported', async () => {
    const missing = await berth.request('GET', `/subscriptions/${sub}/resourcegroups`);
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('MissingApiVersionParameter');
    const old = await berth.request('GET', `/subscriptions/${sub}/resourcegroups?api-version=2015-01-01`);
    expect(old.status).toBe(400);
    expect(old.body.error.code).toBe('InvalidApiVersionParameter');
    expect(old.body.error.message).toContain('2021-04-01');
    const ml = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.MachineLearningServices/workspaces?api-version=2099-01-01`);
    expect(ml.status).toBe(400);
    expect(ml.body.error.code).toBe('InvalidApiVersionParameter');
    expect(ml.body.error.message).toContain('2022-10-01');
  });

  it('manages resource groups with the official @azure/arm-resources client', async () => {
    const client = new ResourceManagementClient(credential(berth.token), sub, { endpoint: berth.url, tlsOptions: { ca: berth.ca } } as never);
    const created = await client.resourceGroups.createOrUpdate('sdk-rg', { location: 'West US', tags: { team: 'ml' } });
    expect(created.name).toBe('sdk-rg');
    expect(created.location).toBe('westus');
    expect(created.properties?.provisioningState).toBe('Succeeded');
    expect((await client.resourceGroups.get('SDK-RG')).tags).toEqual({ team: 'ml' });
    expect((await client.resourceGroups.checkExistence('sdk-rg')).body).toBe(true);
    expect((await client.resourceGroups.checkExistence('no-such-rg')).body).toBe(false);
    const updated = await client.resourceGroups.update('sdk-rg', { tags: { team: 'platform' } });
    expect(updated.tags).toEqual({ team: 'platform' });
    const names: string[] = [];
    for await (const g of client.resourceGroups.list()) names.push(g.name!);
    expect(names).toContain('sdk-rg');
    await client.resourceGroups.beginDeleteAndWait('sdk-rg', { updateIntervalInMs: 50 });
    expect((await client.resourceGroups.checkExistence('sdk-rg')).body).toBe(false);
  });

  it('matches path segments case-insensitively, as ARM does', async () => {
    expect((await berth.request('PUT', `/subscriptions/${sub}/resourceGroups/CaseRg?${RG_API}`, { body: { location: 'westus' } })).status).toBe(201);
    const res = await berth.request('GET', `/SUBSCRIPTIONS/${sub}/RESOURCEGROUPS/casERG?${RG_API}`);
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('CaseRg');
  });

  it('pages lists with nextLink', async () => {
    for (const g of ['page-a', 'page-b', 'page-c']) {
      expect((await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/${g}?${RG_API}`, { body: { location: 'eastus' } })).status).toBe(201);
    }
    const seen: string[] = [];
    let next: string | undefined = `/subscriptions/${sub}/resourcegroups?${RG_API}&$top=2`;
    let pages = 0;
    while (next) {
      const res = await berth.request('GET', next);
      expect(res.status).toBe(200);
      expect(res.body.value.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.value.map((g: { name: string }) => g.name));
      next = res.body.nextLink;
      if (next) expect(next).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
      pages++;
    }
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('refuses writes from a Reader with 403 AuthorizationFailed and changes nothing', async () => {
    const reader = await createToken('Reader');
    const read = await berth.request('GET', `/subscriptions/${sub}/resourcegroups?${RG_API}`, { token: reader });
    expect(read.status).toBe(200);
    const write = await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/reader-rg?${RG_API}`, { token: reader, body: { location: 'westus' } });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('AuthorizationFailed');
    expect(write.body.error.message).toContain('Reader');
    expect((await berth.request('GET', `/subscriptions/${sub}/resourcegroups/reader-rg?${RG_API}`)).status).toBe(404);
    const mint = await berth.request('POST', '/berth/tokens', { token: reader, body: { role: 'Owner' } });
    expect(mint.status).toBe(403);
  });

  it('creates a second subscription with the alias API, and scopes tokens to one subscription', async () => {
    const alias = await berth.request('PUT', '/providers/Microsoft.Subscription/aliases/second?api-version=2021-10-01', {
      body: { properties: { displayName: 'Second', workload: 'DevTest' } },
    });
    expect(alias.status).toBe(201);
    const second = alias.body.properties.subscriptionId as string;
    expect(second).toMatch(/^[0-9a-f-]{36}$/);
    const again = await berth.request('PUT', '/providers/Microsoft.Subscription/aliases/second?api-version=2021-10-01', { body: { properties: {} } });
    expect(again.status).toBe(200);
    expect(again.body.properties.subscriptionId).toBe(second);
    expect((await berth.request('GET', `/subscriptions/${second}?api-version=2022-12-01`)).body.displayName).toBe('Second');

    const scoped = await createToken('Contributor', second);
    const list = await berth.request('GET', '/subscriptions?api-version=2020-01-01', { token: scoped });
    expect(list.body.value.map((s: { subscriptionId: string }) => s.subscriptionId)).toEqual([second]);
    expect((await berth.request('PUT', `/subscriptions/${second}/resourcegroups/mine?${RG_API}`, { token: scoped, body: { location: 'westus' } })).status).toBe(
      201,
    );
    const other = await berth.request('GET', `/subscriptions/${sub}/resourcegroups?${RG_API}`, { token: scoped });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('AuthorizationFailed');
    const aliasByScoped = await berth.request('PUT', '/providers/Microsoft.Subscription/aliases/third?api-version=2021-10-01', {
      token: scoped,
      body: { properties: {} },
    });
    expect(aliasByScoped.status).toBe(403);
  });

  it('answers 404 SubscriptionNotFound for an unknown subscription', async () => {
    const res = await berth.request('GET', `/subscriptions/00000000-0000-0000-0000-00000000dead/resourcegroups?${RG_API}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('SubscriptionNotFound');
  });

  describe('bad input gets an ARM error and changes nothing', () => {
    const path = () => `/subscriptions/${sub}/resourcegroups/bad-input-rg?${RG_API}`;
    async function expectNoGroup() {
      expect((await berth.request('GET', path())).status).toBe(404);
    }

    it('malformed JSON', async () => {
      const res = await berth.request('PUT', path(), { rawBody: '{"location": "westus",' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('InvalidRequestContent');
      await expectNoGroup();
    });

    it('a body of the wrong shape, every problem listed', async () => {
      const res = await berth.request('PUT', path(), { body: { location: 42, tags: { a: 1 } } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('InvalidRequestContent');
      expect(res.body.error.details.map((d: { target: string }) => d.target)).toEqual(expect.arrayContaining(['body.location', 'body.tags.a']));
      await expectNoGroup();
    });

    it('a group name that breaks the rules', async () => {
      const res = await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/ends-with-dot.?${RG_API}`, { body: { location: 'westus' } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('InvalidRequestContent');
    });

    it('a 2 MB body', async () => {
      const res = await berth.request('PUT', path(), { body: { location: 'westus', tags: { big: 'x'.repeat(2 * 1024 * 1024) } } });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('RequestEntityTooLarge');
      await expectNoGroup();
    });

    it('an unknown provider namespace or resource type', async () => {
      const ns = await berth.request('GET', `/subscriptions/${sub}/resourceGroups/x/providers/Microsoft.Nope/things/a?api-version=2022-10-01`);
      expect(ns.status).toBe(400);
      expect(ns.body.error.code).toBe('InvalidResourceNamespace');
      const type = await berth.request('PUT', `/subscriptions/${sub}/resourceGroups/x/providers/Microsoft.MachineLearningServices/gadgets/a?${ML_API}`, {
        body: {},
      });
      expect(type.status).toBe(400);
      expect(type.body.error.code).toBe('InvalidResourceType');
    });

    it('an unknown path', async () => {
      const res = await berth.request('GET', '/nothing/here');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NotFound');
    });
  });

  it('deletes a resource group and what is in it as a long-running operation', async () => {
    expect((await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/doomed?${RG_API}`, { body: { location: 'westus' } })).status).toBe(201);
    const ws = await berth.request('PUT', `/subscriptions/${sub}/resourceGroups/doomed/providers/Microsoft.MachineLearningServices/workspaces/ws1?${ML_API}`, {
      body: { location: 'westus' },
    });
    expect(ws.status).toBe(201);
    await waitForOperation(berth, ws.headers['azure-asyncoperation'] as string);
    const del = await berth.request('DELETE', `/subscriptions/${sub}/resourcegroups/doomed?${RG_API}`);
    expect(del.status).toBe(202);
    expect(del.headers['location']).toMatch(/^https:\/\//);
    expect(del.headers['retry-after']).toBe('1');
    const op = await waitForOperation(berth, del.headers['azure-asyncoperation'] as string);
    expect(op).toMatchObject({ status: 'Succeeded', name: expect.any(String), startTime: expect.any(String), endTime: expect.any(String) });
    const result = await berth.request('GET', del.headers['location'] as string);
    expect(result.status).toBe(204);
    expect((await berth.request('GET', `/subscriptions/${sub}/resourcegroups/doomed?${RG_API}`)).status).toBe(404);
    const gone = await berth.request('GET', `/subscriptions/${sub}/resourceGroups/doomed/providers/Microsoft.MachineLearningServices/workspaces/ws1?${ML_API}`);
    expect(gone.status).toBe(404);
    const list = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.MachineLearningServices/workspaces?${ML_API}`);
    expect(list.body.value.map((w: { name: string }) => w.name)).not.toContain('ws1');
  });
});
