import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshPostgresDatabase, startTestBerth, testStores, type TestBerth } from '../../../test-support/berth.js';
import { createGroup, createPrincipal, signIn, tokenOf, type ServicePrincipal } from '../../../test-support/principals.js';

const SUBSCRIPTIONS = '/subscriptions?api-version=2020-01-01';

/** Polls GET /subscriptions with `credential` every 50 ms until it answers 401; answers how long that took. */
async function refusedWithin(berth: TestBerth, headers: { token?: string; cookie?: string }, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const res = await berth.request('GET', headers.cookie ? '/berth/studio/session' : SUBSCRIPTIONS, {
      token: headers.token ?? null,
      ...(headers.cookie ? { headers: { cookie: headers.cookie } } : {}),
    });
    if (res.status === 401) {
      expect(res.body.error.code).toMatch(/^(InvalidAuthenticationToken|StudioSessionEnded)$/);
      return Date.now() - start;
    }
    expect(res.status, res.text).toBe(200);
    if (Date.now() - start > timeoutMs) throw new Error(`still accepted after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(testStores())('who manages a service principal without a role, on %s', (store) => {
  let berth: TestBerth;
  let sub: string;
  let rgOwner: ServicePrincipal;
  let rgOwnerToken: string;
  let subOwnerToken: string;

  beforeAll(async () => {
    berth = await startTestBerth({ store });
    sub = berth.subscriptionId;
    await createGroup(berth, 'rg-a');
    rgOwner = await createPrincipal(berth, 'rg-owner', { role: 'Owner', scope: `/subscriptions/${sub}/resourceGroups/rg-a` });
    rgOwnerToken = await tokenOf(berth, rgOwner);
    subOwnerToken = await tokenOf(berth, await createPrincipal(berth, 'sub-owner', { role: 'Owner', scope: `/subscriptions/${sub}` }));
  });
  afterAll(() => berth?.close());

  const listed = async (token?: string) =>
    ((await berth.request('GET', '/berth/servicePrincipals', token ? { token } : {})).body.value as Array<{ displayName: string }>).map((p) => p.displayName);
  const reset = (id: string, token?: string) =>
    berth.request('POST', `/berth/servicePrincipals/${id}/resetCredential`, { ...(token ? { token } : {}), body: {} });

  it("refuses an Owner of one resource group someone else's principal without a role, and changes nothing", async () => {
    const victim = await createPrincipal(berth, 'victim');
    const before = await berth.request('GET', '/berth/servicePrincipals');

    expect(await listed(rgOwnerToken)).not.toContain('victim');
    for (const res of [
      await reset(victim.appId, rgOwnerToken),
      await berth.request('DELETE', `/berth/servicePrincipals/${victim.appId}`, { token: rgOwnerToken }),
    ]) {
      expect(res.status, res.text).toBe(404);
      expect(res.body).toEqual({ error: { code: 'ServicePrincipalNotFound', message: expect.stringContaining('its creator or an Owner of a subscription') } });
      expect(res.text).not.toContain(victim.password);
    }
    // Nothing changed: the same principals, and the victim's secret still signs in.
    expect((await berth.request('GET', '/berth/servicePrincipals')).body).toEqual(before.body);
    expect((await signIn(berth, victim.appId, victim.password)).status).toBe(200);

    // Control: an Owner at the subscription manages it.
    expect(await listed(subOwnerToken)).toContain('victim');
    const taken = await reset(victim.appId, subOwnerToken);
    expect(taken.status, taken.text).toBe(200);
    expect((await signIn(berth, victim.appId, victim.password)).status).toBe(401);
    expect((await signIn(berth, victim.appId, taken.body.password)).status).toBe(200);
  });

  it('lets the creator manage the principal it made, and an Owner of a scope manage principals with a role only there', async () => {
    const mine = await createPrincipal(berth, 'made-by-rg-owner', { token: rgOwnerToken });
    expect(await listed(rgOwnerToken)).toContain('made-by-rg-owner');
    const renewed = await reset(mine.appId, rgOwnerToken);
    expect(renewed.status, renewed.text).toBe(200);
    expect((await signIn(berth, mine.appId, renewed.body.password)).status).toBe(200);

    const team = await createPrincipal(berth, 'rg-a-reader', { role: 'Reader', scope: `/subscriptions/${sub}/resourceGroups/rg-a` });
    expect((await reset(team.appId, rgOwnerToken)).status).toBe(200);

    expect((await berth.request('DELETE', `/berth/servicePrincipals/${mine.appId}`, { token: rgOwnerToken })).status).toBe(204);
    expect(await listed()).not.toContain('made-by-rg-owner');
  });

  it('leaves a principal whose creator is not recorded (made before) to the Owners of a subscription', async () => {
    const old = await createPrincipal(berth, 'from-before', { token: rgOwnerToken });
    expect((await reset(old.appId, rgOwnerToken)).status).toBe(200);
    // A row as Berth versions before creators were recorded left it.
    await berth.server.store.db.updateTable('service_principals').set({ created_by: null }).where('app_id', '=', old.appId).execute();

    const refused = await reset(old.appId, rgOwnerToken);
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('ServicePrincipalNotFound');
    expect(await listed(rgOwnerToken)).not.toContain('from-before');
    expect((await reset(old.appId, subOwnerToken)).status).toBe(200);
  });
});

describe.each(testStores())('deleting a service principal revokes the Berth tokens it minted, on %s', (store) => {
  let home: string;
  let db: { url: string; drop(): Promise<void> } | undefined;
  /** `a` takes the deletion; `b` (another berth up on the same store, on PostgreSQL) must refuse the tokens too. */
  let a: TestBerth;
  let b: TestBerth;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'berth-sp-tokens-'));
    db = store === 'postgres' ? await freshPostgresDatabase() : undefined;
    a = await startTestBerth({ home, storeUrl: db?.url });
    // One public URL, as behind one load balancer: the JWTs `a` issues name it as their issuer.
    b = db ? await startTestBerth({ home, storeUrl: db.url, publicUrl: a.url }) : a;
  });
  afterAll(async () => {
    if (b !== a) await b?.close();
    await a?.close();
    await db?.drop();
    await rm(home, { recursive: true, force: true });
  });

  it('refuses them, the tokens they minted and their Studio sessions within a second, and keeps every other token', async () => {
    const sub = a.subscriptionId;
    const minter = await createPrincipal(a, 'minter', { role: 'Owner', scope: `/subscriptions/${sub}` });
    const jwt = await tokenOf(a, minter);
    const mint = async (by: string, name: string, role: string) => {
      const res = await a.request('POST', '/berth/tokens', { token: by, body: { role, subscription: sub, name } });
      expect(res.status, res.text).toBe(201);
      return res.body.token as string;
    };
    const bySp = await mint(jwt, 'minted-by-sp', 'Owner');
    const byToken = await mint(bySp, 'minted-by-its-token', 'Reader');
    const bystander = await mint(a.token, 'bystander', 'Reader');
    const opened = await a.request('POST', '/berth/studio/session', { token: null, body: { token: bySp } });
    expect(opened.status, opened.text).toBe(201);
    const cookie = String(opened.headers['set-cookie']).split(';')[0];
    for (const token of [jwt, bySp, byToken, bystander]) expect((await b.request('GET', SUBSCRIPTIONS, { token })).status).toBe(200);
    expect((await b.request('GET', '/berth/studio/session', { token: null, headers: { cookie } })).status).toBe(200);

    // Refused: someone who does not manage the principal cannot delete it, and all its tokens still work.
    const reader = await createPrincipal(a, 'not-a-manager', { role: 'Reader', scope: `/subscriptions/${sub}` });
    const notManager = await a.request('DELETE', `/berth/servicePrincipals/${minter.appId}`, { token: await tokenOf(a, reader) });
    expect(notManager.status).toBe(404);
    expect(notManager.body.error.code).toBe('ServicePrincipalNotFound');
    for (const token of [jwt, bySp, byToken]) expect((await b.request('GET', SUBSCRIPTIONS, { token })).status).toBe(200);

    expect((await a.request('DELETE', `/berth/servicePrincipals/${minter.appId}`)).status).toBe(204);
    const waits = await Promise.all([...[jwt, bySp, byToken].map((token) => refusedWithin(b, { token }, 2000)), refusedWithin(b, { cookie }, 2000)]);
    for (const waited of waits) expect(waited).toBeLessThan(1000);
    expect((await b.request('GET', SUBSCRIPTIONS, { token: bystander })).status).toBe(200);
    const names = ((await b.request('GET', '/berth/tokens')).body.value as Array<{ name: string }>).map((t) => t.name);
    expect(names).toContain('bystander');
    expect(names).not.toContain('minted-by-sp');
    expect(names).not.toContain('minted-by-its-token');
    // A minted token cannot be used to mint more once its principal is gone.
    const after = await a.request('POST', '/berth/tokens', { token: bySp, body: { role: 'Reader', subscription: sub, name: 'too-late' } });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('InvalidAuthenticationToken');
  });
});
