import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';
import { runBerth } from '../../../test-support/process.js';
import { ensureStudioBuilt, launchChromium, openStudio, setUpWorkspace, signIn, signInLink } from './browser.js';

describe('Studio sign-in, served by berth up, in Chromium', () => {
  let berth: TestBerth;
  let browser: Browser;

  beforeAll(async () => {
    ensureStudioBuilt();
    berth = await startTestBerth();
    browser = await launchChromium();
    await setUpWorkspace(berth, 'ml-rg', 'ws1');
  });
  afterAll(async () => {
    await browser?.close();
    await berth?.close();
  });

  it('redirects / to /studio/ and serves the app with security headers', async () => {
    const root = await berth.request('GET', '/', { token: null });
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/studio/');
    const page = await berth.request('GET', '/studio/computes/x', { token: null });
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<div id="root">/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
  });

  it('signs in with the `berth studio` link, keeps the choice in the URL, and signs out', async () => {
    const link = await signInLink(berth);
    expect(link).toMatch(new RegExp(`^${berth.url}/studio/signin#code=[A-Za-z0-9_-]{43}$`));
    const { page, context, errors } = await openStudio(browser);
    await signIn(page, link);
    await expect.poll(() => new URL(page.url()).searchParams.get('workspace')).toBe('ws1');
    expect(new URL(page.url()).searchParams.get('group')).toBe('ml-rg');
    expect(new URL(page.url()).searchParams.get('subscription')).toBe(berth.subscriptionId);
    await page.getByText('No inference clusters yet: New → Create new').waitFor();
    expect(await page.getByLabel('Subscription').inputValue()).toBe(berth.subscriptionId);
    expect(await page.getByLabel('Resource group').inputValue()).toBe('ml-rg');
    expect(await page.getByLabel('Workspace').inputValue()).toBe('ws1');

    // The session is an HttpOnly, Secure, SameSite=Strict cookie that page scripts cannot read.
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'berth_session', httpOnly: true, secure: true, sameSite: 'Strict' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.evaluate(() => document.documentElement.outerHTML)).not.toContain(berth.token);

    // A workspace can be created from the top bar; the view switches to it.
    await page.getByRole('button', { name: 'New workspace' }).click();
    const create = page.getByRole('dialog', { name: 'New workspace' });
    await create.getByLabel('Workspace name').fill('ws2');
    await create.getByRole('button', { name: 'Create workspace' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('workspace'), { timeout: 15_000 }).toBe('ws2');
    await expect.poll(() => page.getByLabel('Workspace').inputValue()).toBe('ws2');
    await page.getByLabel('Workspace').selectOption('ws1');
    await expect.poll(() => new URL(page.url()).searchParams.get('workspace')).toBe('ws1');

    // A link opens the same view.
    const second = await context.newPage();
    await second.goto(page.url());
    await expect.poll(() => second.getByLabel('Workspace').inputValue()).toBe('ws1');
    await second.close();

    // The code is single use.
    const again = await openStudio(browser);
    await again.page.goto(link);
    await again.page.getByText(/invalid, was already used, or expired/).waitFor();
    await again.context.close();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').waitFor();
    const reuse = await berth.request('GET', '/berth/studio/session', { token: null, headers: { cookie: `berth_session=${cookies[0].value}` } });
    expect(reuse.status).toBe(401);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('signs in with a pasted token; a cookie write without the CSRF header is refused', async () => {
    const { page, context, errors } = await openStudio(browser);
    await page.goto(`${berth.url}/`);
    await page.getByLabel('Token').fill('berth_not-a-real-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/The token is invalid, expired or revoked/).waitFor();
    await page.getByLabel('Token').fill(berth.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inference clusters' }).waitFor();
    const [cookie] = await context.cookies();
    const sub = berth.subscriptionId;
    const path = `/subscriptions/${sub}/resourcegroups/csrf-rg?api-version=2021-04-01`;
    const forged = await berth.request('PUT', path, { token: null, headers: { cookie: `berth_session=${cookie.value}` }, body: { location: 'westus' } });
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe('CsrfProofMissing');
    const read = await berth.request('GET', `/subscriptions/${sub}/resourcegroups?api-version=2021-04-01`, {
      token: null,
      headers: { cookie: `berth_session=${cookie.value}` },
    });
    expect(read.status).toBe(200);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('refuses expired, reused and unknown codes as ARM errors, and never logs them in a GET', async () => {
    const bad = await berth.request('POST', '/berth/studio/session', { token: null, body: { code: 'A'.repeat(43) } });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('InvalidSignInCode');
    const malformed = await berth.request('POST', '/berth/studio/session', { token: null, body: { code: 'x', extra: 1 } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBeDefined();
    const anonymous = await berth.request('POST', '/berth/studio/codes', { token: null, body: {} });
    expect(anonymous.status).toBe(401);
    const help = await runBerth(['studio', '--help']);
    expect(help.stdout).toMatch(/--token/);
    expect(help.stdout).toMatch(/--open/);
  });
});
