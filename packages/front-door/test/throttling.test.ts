import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Agent, request as undiciRequest } from 'undici';
import { addressKey } from '@berth/front-door';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';
import { ARM_SCOPE, createPrincipal } from '../../../test-support/principals.js';

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: any;
}

/** A POST from another loopback address (every 127.0.0.0/8 address reaches Berth on 127.0.0.1), so each case has its own client address. */
async function postFrom(berth: TestBerth, from: string, path: string, payload: { form?: Record<string, string>; json?: unknown }): Promise<Answer> {
  const dispatcher = new Agent({ localAddress: from, connect: { ca: berth.ca } });
  try {
    const res = await undiciRequest(new URL(path, berth.url), {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': payload.form ? 'application/x-www-form-urlencoded' : 'application/json' },
      body: payload.form ? new URLSearchParams(payload.form).toString() : JSON.stringify(payload.json),
    });
    const retryAfter = res.headers['retry-after'];
    return { status: res.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined, body: await res.body.json() };
  } finally {
    await dispatcher.close();
  }
}

const signIn = (berth: TestBerth, from: string, appId: string, secret: string, path = '/adfs/oauth2/token') =>
  postFrom(berth, from, path, { form: { client_id: appId, client_secret: secret, grant_type: 'client_credentials', scope: ARM_SCOPE } });

function expectThrottled(res: Answer, shape: 'oauth' | 'arm', maxWaitS: number): void {
  expect(res.status).toBe(429);
  expect(Number(res.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(res.retryAfter)).toBeLessThanOrEqual(maxWaitS);
  if (shape === 'oauth') expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/Too many failed sign-ins/) });
  else expect(res.body).toEqual({ error: { code: 'TooManyRequests', message: expect.stringMatching(/Too many failed sign-ins/) } });
}

describe('failed sign-ins are throttled per client id and per address', () => {
  let berth: TestBerth;

  // Small limits, so each case takes a few requests: 3 failures a minute per client id, 5 per address.
  beforeAll(async () => {
    berth = await startTestBerth({ limits: { failedSignInsPerClient: 3, failedSignInsPerAddress: 5 } });
  });
  afterAll(() => berth?.close());

  it('holds a client id after its failures, on both token endpoints and from any address, in OAuth’s shape', async () => {
    const target = await createPrincipal(berth, 'target', { role: 'Reader' });
    const bystander = await createPrincipal(berth, 'bystander', { role: 'Reader' });
    const before = (await berth.request('GET', '/berth/servicePrincipals')).body;
    for (let i = 0; i < 3; i++) {
      const wrong = await signIn(berth, '127.0.0.2', target.appId, `wrong-${i}`);
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_client');
    }
    // 3 a minute: one more try in at most 20 s. Even the right secret waits, so a guesser cannot tell a hit.
    expectThrottled(await signIn(berth, '127.0.0.2', target.appId, 'wrong-again'), 'oauth', 20);
    expectThrottled(await signIn(berth, '127.0.0.3', target.appId, target.password), 'oauth', 20);
    expectThrottled(await signIn(berth, '127.0.0.3', target.appId, target.password, `/${target.tenant}/oauth2/v2.0/token`), 'oauth', 20);
    // Controls: another client from the same address signs in, and nothing changed.
    const other = await signIn(berth, '127.0.0.2', bystander.appId, bystander.password);
    expect(other.status).toBe(200);
    expect(other.body.access_token).toEqual(expect.any(String));
    expect((await berth.request('GET', '/berth/servicePrincipals')).body).toEqual(before);
  });

  it('holds an address after its failures, whatever client ids it names, at the token endpoints and the Studio sign-in', async () => {
    const sp = await createPrincipal(berth, 'from-a-busy-address', { role: 'Reader' });
    for (let i = 0; i < 5; i++) expect((await signIn(berth, '127.0.0.4', randomUUID(), 'guess')).status).toBe(401);
    expectThrottled(await signIn(berth, '127.0.0.4', sp.appId, sp.password), 'oauth', 12);
    expectThrottled(await postFrom(berth, '127.0.0.4', '/berth/studio/session', { json: { token: berth.token } }), 'arm', 12);
    // Control: the same client from another address.
    expect((await signIn(berth, '127.0.0.5', sp.appId, sp.password)).status).toBe(200);
  });

  it('holds an address after failed Studio sign-ins (bad codes), in ARM’s shape', async () => {
    for (let i = 0; i < 5; i++) {
      const bad = await postFrom(berth, '127.0.0.6', '/berth/studio/session', { json: { code: `not-a-code-${randomUUID()}` } });
      expect(bad.status).toBe(401);
      expect(bad.body.error.code).toBe('InvalidSignInCode');
    }
    expectThrottled(await postFrom(berth, '127.0.0.6', '/berth/studio/session', { json: { token: berth.token } }), 'arm', 12);
    // Control: the same token from another address opens a session.
    expect((await postFrom(berth, '127.0.0.7', '/berth/studio/session', { json: { token: berth.token } })).status).toBe(201);
  });
});

describe('the default limits', () => {
  let berth: TestBerth;
  beforeAll(async () => {
    berth = await startTestBerth();
  });
  afterAll(() => berth?.close());

  it('never hold a client that knows its secret, even one that mistyped it a few times', async () => {
    const sp = await createPrincipal(berth, 'busy-client', { role: 'Reader' });
    for (let i = 0; i < 5; i++) expect((await signIn(berth, '127.0.0.8', sp.appId, 'mistyped')).status).toBe(401);
    for (let i = 0; i < 100; i++) expect((await signIn(berth, '127.0.0.8', sp.appId, sp.password)).status).toBe(200);
    // A success starts the client afresh: ten more mistakes are still answered 401, the eleventh 429.
    for (let i = 0; i < 10; i++) expect((await signIn(berth, '127.0.0.9', sp.appId, 'mistyped')).status).toBe(401);
    expectThrottled(await signIn(berth, '127.0.0.9', sp.appId, 'mistyped'), 'oauth', 6);
  });

  it('count an IPv6 client by its /64', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('127.0.0.1')).toBe('127.0.0.1');
    expect(addressKey('::ffff:127.0.0.1')).toBe('::ffff:127.0.0.1');
  });
});
