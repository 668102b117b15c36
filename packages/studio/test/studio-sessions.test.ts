import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBerth, testStores, type TestBerth } from '../../../test-support/berth.js';

/** The Studio's sign-in through its REST routes, on every store: what several `berth up` sharing one must agree on. */
describe.each(testStores())('Studio sessions on %s', (store) => {
  let berth: TestBerth;
  beforeAll(async () => {
    berth = await startTestBerth({ store });
  });
  afterAll(async () => {
    await berth?.close();
  });

  const cookieOf = (setCookie: string | string[] | undefined) => /berth_session=([^;]+)/.exec(String(setCookie))?.[1] ?? '';
  const asSession = (cookie: string, headers: Record<string, string> = {}) => ({ token: null, headers: { cookie: `berth_session=${cookie}`, ...headers } });

  it('a one-time code opens one session only, even when two exchanges race', async () => {
    const code = await berth.request('POST', '/berth/studio/codes', { body: {} });
    expect(code.status, code.text).toBe(201);
    expect(code.headers['cache-control']).toBe('no-store');
    expect(Date.parse(code.body.expiresAt) - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    const [a, b] = await Promise.all([
      berth.request('POST', '/berth/studio/session', { token: null, body: { code: code.body.code } }),
      berth.request('POST', '/berth/studio/session', { token: null, body: { code: code.body.code } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 401]);
    const won = a.status === 201 ? a : b;
    expect(String(won.headers['set-cookie'])).toMatch(/^berth_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=\d+$/);
    expect(won.body).toMatchObject({ name: 'admin', roles: { '*': 'Owner' } });
    expect(won.text).not.toContain(berth.token);
  });

  it("carries the token's roles; revoking the token ends the session; signing out ends it at once", async () => {
    const sub = berth.subscriptionId;
    const minted = await berth.request('POST', '/berth/tokens', { body: { role: 'Contributor', subscription: sub, name: `contrib-${store}` } });
    expect(minted.status, minted.text).toBe(201);
    const opened = await berth.request('POST', '/berth/studio/session', { token: null, body: { token: minted.body.token } });
    expect(opened.status, opened.text).toBe(201);
    const cookie = cookieOf(opened.headers['set-cookie']);
    const csrf = opened.body.csrf as string;
    const group = `/subscriptions/${sub}/resourcegroups/studio-${store}?api-version=2021-04-01`;
    const write = await berth.request('PUT', group, { ...asSession(cookie, { 'x-berth-csrf': csrf }), body: { location: 'westus' } });
    expect(write.status, write.text).toBe(201);
    const wrongProof = await berth.request('PUT', group, { ...asSession(cookie, { 'x-berth-csrf': 'x'.repeat(43) }), body: { location: 'westus' } });
    expect(wrongProof.status).toBe(403);
    // A code made with the session is bound to the session's token.
    const code = await berth.request('POST', '/berth/studio/codes', { ...asSession(cookie, { 'x-berth-csrf': csrf }), body: {} });
    expect(code.status, code.text).toBe(201);
    const second = await berth.request('POST', '/berth/studio/session', { token: null, body: { code: code.body.code } });
    expect(second.body).toMatchObject({ name: `contrib-${store}`, roles: { [sub]: 'Contributor' } });

    expect((await berth.request('DELETE', `/berth/tokens/contrib-${store}`)).status).toBe(204);
    await new Promise((r) => setTimeout(r, 600));
    const afterRevoke = await berth.request('GET', '/berth/studio/session', asSession(cookie));
    expect(afterRevoke.status).toBe(401);
    expect(afterRevoke.body.error.code).toBe('StudioSessionEnded');

    const admin = await berth.request('POST', '/berth/studio/session', { token: null, body: { token: berth.token } });
    const adminCookie = cookieOf(admin.headers['set-cookie']);
    expect((await berth.request('GET', '/berth/studio/session', asSession(adminCookie))).status).toBe(200);
    const signOut = await berth.request('DELETE', '/berth/studio/session', asSession(adminCookie, { 'x-berth-csrf': admin.body.csrf }));
    expect(signOut.status).toBe(204);
    expect(String(signOut.headers['set-cookie'])).toMatch(/Max-Age=0/);
    expect((await berth.request('GET', '/berth/studio/session', asSession(adminCookie))).status).toBe(401);
  });

  it('a bearer caller has no Studio session to read', async () => {
    const mine = await berth.request('GET', '/berth/studio/session');
    expect(mine.status).toBe(404);
    expect(mine.body.error.code).toBe('NoStudioSession');
  });
});
