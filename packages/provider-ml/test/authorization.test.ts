import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBerth, waitForOperation, type TestBerth } from '../../../test-support/berth.js';
import { rawHttps, type RawResponse } from '../../../test-support/raw-http.js';
import { makeCluster, paths, setUpWorkspaces } from './compute-fixtures.js';

/**
 * Every spelling of a URL is authorized on what the router matched: a Reader
 * cannot write, a token of another subscription cannot see or touch this one,
 * however the path is spelled.
 */
describe('authorization on the matched route, for every spelling of a URL', () => {
  let berth: TestBerth;
  let sub: string;
  let host: string;
  let readerToken: string;
  let otherOwnerToken: string;
  let operationPath: string;

  /** A request path (with query) of subscription `sub` for each guarded operation. */
  const operations = () => {
    const p = paths(sub);
    return {
      read: { method: 'GET', path: p.group('rg') },
      write: { method: 'PUT', path: p.group('NAME'), body: JSON.stringify({ location: 'westus' }) },
      listKeys: { method: 'POST', path: p.computeAction('rg', 'wsp', 'att', 'listKeys') },
      clusterAdminCredential: { method: 'POST', path: p.cluster('rg', 'mc').replace('?', '/listClusterAdminCredential?') },
      operationStatus: { method: 'GET', path: operationPath },
    };
  };

  const insertBeforeQuery = (path: string, suffix: string) => path.replace('?', `${suffix}?`);
  /** Spellings the router serves as the plain path: they must be authorized exactly like it. */
  const routed: Record<string, (path: string) => string> = {
    plain: (path) => path,
    'percent-encoded letter': (path) => path.replace('/subscriptions/', '/%73ubscriptions/'),
    'percent-encoded subscription id': (path) => path.replace(`/subscriptions/${sub}`, `/subscriptions/%${sub.charCodeAt(0).toString(16)}${sub.slice(1)}`),
    'mixed case': (path) =>
      path
        .replace('/subscriptions/', '/SubScriptions/')
        .replace(sub, sub.toUpperCase())
        .replace(/resourcegroups/i, 'RESOURCEGROUPS'),
    'absolute-form target': (path) => `https://${host}${path}`,
    'trailing slash': (path) => insertBeforeQuery(path, '/'),
  };
  /** Spellings that must be refused outright (a 4xx), whoever asks. */
  const refused: Record<string, (path: string) => string> = {
    'double encoding': (path) => path.replace('/subscriptions/', '/%2573ubscriptions/'),
    '; parameter on a segment': (path) => path.replace(`/subscriptions/${sub}`, `/subscriptions/${sub};x=1`),
    '; parameter on the literal': (path) => path.replace('/subscriptions/', '/subscriptions;x=1/'),
    'dot segments': (path) => path.replace(`/subscriptions/${sub}`, `/subscriptions/00000000-0000-0000-0000-000000000000/../${sub}`),
    'encoded dot segments': (path) => path.replace(`/subscriptions/${sub}`, `/subscriptions/x/%2e%2e/${sub}`),
    'duplicate slashes': (path) => path.replace(`/subscriptions/${sub}/`, `/subscriptions/${sub}//`),
    'leading double slash': (path) => `/${path}`,
  };

  async function send(token: string, op: { method: string; path: string; body?: string }, target: string): Promise<RawResponse> {
    return rawHttps(berth.url, berth.ca, op.method, target, { token, body: op.body ?? (op.method === 'GET' ? undefined : '') });
  }

  async function groupNames(): Promise<string[]> {
    const res = await berth.request('GET', `/subscriptions/${sub}/resourcegroups?api-version=2021-04-01`);
    expect(res.status).toBe(200);
    return (res.body.value as Array<{ name: string }>).map((g) => g.name).sort();
  }

  async function state(): Promise<unknown> {
    const p = paths(sub);
    const computes = await berth.request('GET', p.computes('rg', 'wsp'));
    const clusters = await berth.request('GET', p.clusters('rg'));
    return { groups: await groupNames(), computes: computes.body, clusters: clusters.body };
  }

  beforeAll(async () => {
    berth = await startTestBerth();
    sub = berth.subscriptionId;
    host = new URL(berth.url).host;
    const other = await berth.request('PUT', '/providers/Microsoft.Subscription/aliases/other?api-version=2021-10-01', {
      body: { properties: { displayName: 'other' } },
    });
    expect(other.status, other.text).toBe(201);
    const otherSub = other.body.properties.subscriptionId;
    const mint = async (role: string, subscription: string) => {
      const res = await berth.request('POST', '/berth/tokens', { body: { role, subscription } });
      expect(res.status, res.text).toBe(201);
      return res.body.token as string;
    };
    readerToken = await mint('Reader', sub);
    otherOwnerToken = await mint('Owner', otherSub);
    await setUpWorkspaces(berth.request, sub, [['rg', 'wsp']]);
    const clusterId = await makeCluster(berth.request, sub, 'rg', 'mc', { count: 1, vmSize: 'Standard_D2_v2' });
    const attach = await berth.request('PUT', paths(sub).compute('rg', 'wsp', 'att'), {
      body: { properties: { computeType: 'AKS', resourceId: clusterId, properties: { clusterPurpose: 'DevTest' } } },
    });
    expect(attach.status, attach.text).toBe(201);
    const statusUrl = attach.headers['azure-asyncoperation'] as string;
    expect((await waitForOperation(berth, statusUrl)).status).toBe('Succeeded');
    const url = new URL(statusUrl);
    operationPath = url.pathname + url.search;
  });
  afterAll(async () => {
    await berth?.close();
  });

  it('serves every routed spelling to a caller with the right role (so the refusals below are not a broken route)', async () => {
    for (const [spelling, spell] of Object.entries(routed)) {
      for (const [name, op] of Object.entries(operations())) {
        const target = spell(name === 'write' ? op.path.replace('NAME', `admin-${Object.keys(routed).indexOf(spelling)}`) : op.path);
        const res = await send(berth.token, op, target);
        expect(res.status, `${name} as admin, ${spelling}: ${target} -> ${res.text}`).toBeLessThan(300);
      }
      for (const name of ['read', 'operationStatus'] as const) {
        const op = operations()[name];
        const res = await send(readerToken, op, spell(op.path));
        expect(res.status, `${name} as Reader, ${spelling} -> ${res.text}`).toBe(200);
      }
    }
  });

  it("refuses a Reader's writes and secret-revealing actions, and another subscription's Owner everything, in every spelling; nothing changes", async () => {
    const before = await state();
    const cases: Array<{ who: string; token: string; ops: string[] }> = [
      { who: 'Reader', token: readerToken, ops: ['write', 'listKeys', 'clusterAdminCredential'] },
      { who: "another subscription's Owner", token: otherOwnerToken, ops: ['read', 'write', 'listKeys', 'clusterAdminCredential', 'operationStatus'] },
    ];
    for (const { who, token, ops } of cases) {
      for (const name of ops) {
        const op = operations()[name as keyof ReturnType<typeof operations>];
        const path = op.path.replace('NAME', 'intruder');
        for (const [spelling, spell] of Object.entries(routed)) {
          const res = await send(token, op, spell(path));
          expect(res.status, `${name} as ${who}, ${spelling} -> ${res.text}`).toBe(403);
          expect(res.body.error.code).toBe('AuthorizationFailed');
          expect(res.text).not.toMatch(/kubeconfig|clientCertificate|token:/i);
        }
        for (const [spelling, spell] of Object.entries(refused)) {
          const res = await send(token, op, spell(path));
          expect(res.status, `${name} as ${who}, ${spelling} -> ${res.text}`).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expect(res.body?.error?.code, res.text).toEqual(expect.any(String));
          expect(res.text).not.toMatch(/kubeconfig|clientCertificate|token:/i);
        }
      }
    }
    expect(await state()).toEqual(before);
    expect(await groupNames()).not.toContain('intruder');
  });

  it('refuses the odd spellings for the admin too', async () => {
    for (const [spelling, spell] of Object.entries(refused)) {
      for (const [name, op] of Object.entries(operations())) {
        const res = await send(berth.token, op, spell(op.path.replace('NAME', 'odd')));
        expect(res.status, `${name} as admin, ${spelling} -> ${res.text}`).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }
    }
    expect(await groupNames()).not.toContain('odd');
  });

  it('answers a token of another subscription the same whether or not the subscription exists (no existence oracle)', async () => {
    const existing = await send(otherOwnerToken, operations().read, paths(sub).group('rg'));
    const missing = await send(otherOwnerToken, operations().read, paths('11111111-2222-3333-4444-555555555555').group('rg'));
    expect([existing.status, existing.body.error.code]).toEqual([403, 'AuthorizationFailed']);
    expect([missing.status, missing.body.error.code]).toEqual([403, 'AuthorizationFailed']);
  });

  it('refuses unauthenticated calls on every route, matched or not', async () => {
    for (const op of Object.values(operations())) {
      for (const spell of [...Object.values(routed), ...Object.values(refused)]) {
        const res = await rawHttps(berth.url, berth.ca, op.method, spell(op.path.replace('NAME', 'anon')), { body: op.method === 'GET' ? undefined : '' });
        expect([400, 401], res.text).toContain(res.status);
      }
    }
    expect(await groupNames()).not.toContain('anon');
  });
});
