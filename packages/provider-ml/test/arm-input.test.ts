import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBerth, waitForOperation, type TestBerth } from '../../../test-support/berth.js';
import { rawHttps } from '../../../test-support/raw-http.js';
import { clusterCredential, kubeconfigParts } from '../../../test-support/kube.js';
import { makeCluster, paths, setUpWorkspaces } from './compute-fixtures.js';

/** The whole state a refused request must leave alone: groups, workspaces, clusters. */
async function state(berth: TestBerth): Promise<unknown> {
  const sub = berth.subscriptionId;
  const groups = await berth.request('GET', `/subscriptions/${sub}/resourcegroups?api-version=2021-04-01`);
  const workspaces = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.MachineLearningServices/workspaces?api-version=2022-10-01`);
  const clusters = await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.ContainerService/managedClusters?api-version=2024-08-01`);
  return { groups: groups.body, workspaces: workspaces.body, clusters: clusters.body };
}

describe('ARM input rules and HTTP errors', () => {
  let berth: TestBerth;
  let sub: string;

  beforeAll(async () => {
    berth = await startTestBerth();
    sub = berth.subscriptionId;
    await setUpWorkspaces(berth.request, sub, [['rg', 'wsp']]);
  });
  afterAll(async () => {
    await berth?.close();
  });

  it('ignores read-only properties in a workspace PATCH or PUT', async () => {
    const path = paths(sub).workspace('rg', 'wsp');
    const before = (await berth.request('GET', path)).body;
    const readOnly = {
      provisioningState: 'Failed',
      workspaceId: 'forged',
      tenantId: 'forged',
      discoveryUrl: 'https://evil.example.com/discovery',
      mlFlowTrackingUri: 'forged',
    };
    const patched = await berth.request('PATCH', path, { body: { properties: { ...readOnly, description: 'patched' } } });
    expect(patched.status, patched.text).toBe(200);
    const put = await berth.request('PUT', path, { body: { location: 'westus', properties: { ...readOnly, friendlyName: 'put' } } });
    expect(put.status, put.text).toBe(200);
    const after = (await berth.request('GET', path)).body;
    for (const key of Object.keys(readOnly)) expect(after.properties[key], key).toEqual(before.properties[key]);
    expect(after.properties.description).toBe('patched');
    expect(after.properties.friendlyName).toBe('put');
  });

  it("refuses tags beyond ARM's limits with a 400 naming the limit, and changes nothing", async () => {
    const before = await state(berth);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v']));
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['51 tags', many, /more than 50/],
      ['a 513-character name', { ['n'.repeat(513)]: 'v' }, /The name 'n+…' in 'body.tags' must NOT have more than 512 characters/],
      ['a 257-character value', { long: 'v'.repeat(257) }, /'body.tags.long' must NOT have more than 256 characters/],
      ['a control character in a value', { bell: 'a\u0007b' }, /must match pattern/],
      ['a control character in a name', { 'a\nb': 'v' }, /must match pattern/],
    ];
    const targets = [
      ['PUT', `/subscriptions/${sub}/resourcegroups/tagged?api-version=2021-04-01`, (tags: object) => ({ location: 'westus', tags })],
      ['PATCH', `/subscriptions/${sub}/resourcegroups/rg?api-version=2021-04-01`, (tags: object) => ({ tags })],
      ['PATCH', paths(sub).workspace('rg', 'wsp'), (tags: object) => ({ tags })],
      [
        'PUT',
        paths(sub).cluster('rg', 'tagged'),
        (tags: object) => ({ location: 'westus', tags, properties: { agentPoolProfiles: [{ name: 'np', count: 1, vmSize: 'Standard_D2_v2' }] } }),
      ],
    ] as const;
    for (const [what, tags, message] of cases) {
      for (const [method, path, body] of targets) {
        const res = await berth.request(method, path, { body: body(tags) });
        expect(res.status, `${what} on ${method} ${path}: ${res.text}`).toBe(400);
        expect(res.body.error.code).toBe('InvalidRequestContent');
        expect(res.body.error.message).toMatch(message);
      }
    }
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, 'v'.repeat(256)]));
    expect(await state(berth)).toEqual(before);
    const ok = await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/tagged?api-version=2021-04-01`, { body: { location: 'westus', tags: fifty } });
    expect(ok.status, ok.text).toBe(201);
  });

  it('answers header, URL and content-type errors in the ARM error shape', async () => {
    const before = await state(berth);
    const group = `/subscriptions/${sub}/resourcegroups/rg?api-version=2021-04-01`;
    const bigHeader = await rawHttps(berth.url, berth.ca, 'GET', group, { token: berth.token, headers: { 'x-padding': 'p'.repeat(20_000) } });
    expect([bigHeader.status, bigHeader.body?.error?.code]).toEqual([431, 'RequestHeaderFieldsTooLarge']);
    const longUrl = await rawHttps(berth.url, berth.ca, 'GET', `${group}&pad=${'p'.repeat(9000)}`, { token: berth.token });
    expect([longUrl.status, longUrl.body?.error?.code]).toEqual([414, 'RequestUriTooLong']);
    const badEncoding = await rawHttps(berth.url, berth.ca, 'GET', `/subscriptions/${sub}/resourcegroups/%E0%A4%A?api-version=2021-04-01`, {
      token: berth.token,
    });
    expect([badEncoding.status, badEncoding.body?.error?.code]).toEqual([400, 'InvalidRequestUri']);
    const notHttp = await rawHttps(berth.url, berth.ca, 'GET', '/ spaces in target', { token: berth.token });
    expect([notHttp.status, notHttp.body?.error?.code]).toEqual([400, 'BadRequest']);
    for (const target of [
      `/subscriptions/${sub}/resourcegroups/a%00b?api-version=2021-04-01`,
      `/subscriptions/${sub}/resourcegroups?api-version=2021-04-01&$skipToken=%00`,
    ]) {
      const nul = await rawHttps(berth.url, berth.ca, 'GET', target, { token: berth.token });
      expect([nul.status, nul.body?.error?.code], target).toEqual([400, 'InvalidRequestUri']);
    }
    const nulBody = await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/nul?api-version=2021-04-01`, { rawBody: '{"location":"west\\u0000us"}' });
    expect([nulBody.status, nulBody.body?.error?.code]).toEqual([400, 'InvalidRequestContent']);
    const xml = await rawHttps(berth.url, berth.ca, 'PUT', `/subscriptions/${sub}/resourcegroups/xml?api-version=2021-04-01`, {
      token: berth.token,
      body: '<group/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect([xml.status, xml.body?.error?.code]).toEqual([415, 'UnsupportedMediaType']);
    expect(xml.body.error.message).toContain("'application/xml'");
    const deep = `{"location":"westus","properties":${'{"a":'.repeat(200)}1${'}'.repeat(200)}}`;
    for (const path of [
      `/subscriptions/${sub}/resourcegroups/deep?api-version=2021-04-01`,
      paths(sub).workspace('rg', 'deep'),
      paths(sub).compute('rg', 'wsp', 'deep'),
    ]) {
      const res = await berth.request('PUT', path, { rawBody: deep });
      expect([res.status, res.body?.error?.code], res.text).toEqual([400, 'InvalidRequestContent']);
      expect(res.body.error.message).toContain('nested deeper than 100 levels');
    }
    const shallowInString = await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/strings?api-version=2021-04-01`, {
      body: { location: 'westus', tags: { brackets: '['.repeat(200) } },
    });
    expect(shallowInString.status, shallowInString.text).toBe(201);
    const removed = await berth.request('DELETE', `/subscriptions/${sub}/resourcegroups/strings?api-version=2021-04-01`);
    expect(removed.status).toBe(202);
    expect((await waitForOperation(berth, (removed.headers['azure-asyncoperation'] ?? removed.headers.location) as string)).status).toBe('Succeeded');
    expect(await state(berth)).toEqual(before);
  });

  it("builds Azure-AsyncOperation, Location and kubeconfig URLs from Berth's address, never from the Host header", async () => {
    const host = { host: 'evil.example.com:443' };
    expect(
      (await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/tagged?api-version=2021-04-01`, { body: { location: 'westus' } })).status,
    ).toBeLessThan(300);
    const del = await rawHttps(berth.url, berth.ca, 'DELETE', `/subscriptions/${sub}/resourcegroups/tagged?api-version=2021-04-01`, {
      token: berth.token,
      headers: host,
    });
    expect(del.status, del.text).toBe(202);
    expect(del.headers['azure-asyncoperation'] ?? del.headers.location).toMatch(new RegExp(`^${berth.url}/`));
    if (del.headers.location) expect(del.headers.location).toMatch(new RegExp(`^${berth.url}/`));
    expect((await waitForOperation(berth, del.headers['azure-asyncoperation'] ?? del.headers.location)).status).toBe('Succeeded');

    const clusterPath = paths(sub).cluster('rg', 'links');
    await makeCluster(berth.request, sub, 'rg', 'links', { count: 1, vmSize: 'Standard_D2_v2' });
    const creds = await rawHttps(berth.url, berth.ca, 'POST', clusterPath.replace('?', '/listClusterAdminCredential?'), {
      token: berth.token,
      headers: host,
      body: '',
    });
    expect(creds.status, creds.text).toBe(200);
    const server = kubeconfigParts(Buffer.from(creds.body.kubeconfigs[0].value, 'base64').toString('utf8')).server;
    expect(server.startsWith(`${berth.url}/clusters/`)).toBe(true);
  });

  it('uses --public-url for every link it hands out', async () => {
    // A loopback address nothing listens on: a link followed by mistake fails here, on this machine.
    const publicUrl = 'https://127.0.0.9:9443';
    const behind = await startTestBerth({ publicUrl });
    try {
      const sub2 = behind.subscriptionId;
      expect((await behind.request('PUT', `/subscriptions/${sub2}/resourcegroups/rg?api-version=2021-04-01`, { body: { location: 'westus' } })).status).toBe(
        201,
      );
      const ws = await behind.request('PUT', paths(sub2).workspace('rg', 'wsp'), { body: { location: 'westus' } });
      expect(ws.status, ws.text).toBe(201);
      expect(ws.headers['azure-asyncoperation']).toMatch(/^https:\/\/127\.0\.0\.9:9443\/subscriptions\//);
      expect(ws.body.properties.discoveryUrl).toMatch(/^https:\/\/127\.0\.0\.9:9443\//);
      const cluster = await behind.request('PUT', paths(sub2).cluster('rg', 'pub'), {
        body: { location: 'westus', properties: { agentPoolProfiles: [{ name: 'np', count: 1, vmSize: 'Standard_D2_v2', mode: 'System' }] } },
      });
      expect(cluster.status, cluster.text).toBe(201);
      expect(cluster.headers['azure-asyncoperation']).toMatch(/^https:\/\/127\.0\.0\.9:9443\//);
      for (let state = ''; state !== 'Succeeded';) {
        await new Promise((r) => setTimeout(r, 50));
        state = (await behind.request('GET', paths(sub2).cluster('rg', 'pub'))).body.properties.provisioningState;
      }
      const kubeconfig = await clusterCredential(behind.request, paths(sub2).cluster('rg', 'pub'), 'admin');
      expect(kubeconfigParts(kubeconfig).server).toMatch(/^https:\/\/127\.0\.0\.9:9443\/clusters\//);
    } finally {
      await behind.close();
    }
  });
});
