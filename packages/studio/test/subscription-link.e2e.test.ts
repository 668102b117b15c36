import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';
import { ensureStudioBuilt, launchChromium, openStudio, setUpWorkspace, signIn, signInLink } from './browser.js';

/** The paths (decoded) of every request the page makes from now on. */
function requestsOf(page: Page): string[] {
  const paths: string[] = [];
  page.on('request', (r) => paths.push(decodeURIComponent(new URL(r.url()).pathname)));
  return paths;
}

describe('Studio: the subscription comes from the session’s /subscriptions, never from the link alone', () => {
  let berth: TestBerth;
  let browser: Browser;
  /** A real subscription the session's token has no role in. */
  let other: string;
  let token: string;

  beforeAll(async () => {
    ensureStudioBuilt();
    berth = await startTestBerth();
    browser = await launchChromium();
    await setUpWorkspace(berth, 'ml-rg', 'ws1');
    const alias = await berth.request('PUT', '/providers/Microsoft.Subscription/aliases/other?api-version=2021-10-01', {
      body: { properties: { displayName: 'Other', workload: 'Production' } },
    });
    expect(alias.status, alias.text).toBe(201);
    other = alias.body.properties.subscriptionId;
    const created = await berth.request('POST', '/berth/tokens', { body: { role: 'Contributor', subscription: berth.subscriptionId, name: 'one-sub' } });
    expect(created.status, created.text).toBe(201);
    token = created.body.token;
  });
  afterAll(async () => {
    await browser?.close();
    await berth?.close();
  });

  it('a link to a subscription of the list opens it (the control)', async () => {
    const { page, context, errors } = await openStudio(browser);
    await signIn(page, await signInLink(berth, token));
    const paths = requestsOf(page);
    await page.goto(`${berth.url}/studio/?subscription=${berth.subscriptionId}&group=ml-rg&workspace=ws1`);
    await page.getByText('No inference clusters yet: New → Create new').waitFor();
    expect(await page.getByLabel('Subscription').inputValue()).toBe(berth.subscriptionId);
    expect(paths.some((p) => p.startsWith(`/subscriptions/${berth.subscriptionId}/`))).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  /** Each link's subscription, and what a request about it would hold (unencoded, the path's dot segments would climb to /providers/x). */
  const links = () =>
    [
      ['a real subscription the session has no role in', () => [other, other]],
      ['a subscription that does not exist', () => ['00000000-1111-2222-3333-444444444444', '00000000-1111']],
      ['a path in place of a subscription id', () => [`${berth.subscriptionId}/resourcegroups/ml-rg/../../../../providers/x`, '/providers/x']],
    ] as const;

  it.each(links())('a link naming %s says so and sends no request about it', async (_what, link) => {
    const [subscription, mark] = link();
    const { page, context, errors } = await openStudio(browser);
    await signIn(page, await signInLink(berth, token));
    const paths = requestsOf(page);
    for (const target of [
      `/studio/?subscription=${encodeURIComponent(subscription)}&group=ml-rg&workspace=ws1`,
      `/studio/computes/myaks?subscription=${encodeURIComponent(subscription)}&group=ml-rg&workspace=ws1`,
      `/studio/new?subscription=${encodeURIComponent(subscription)}&group=ml-rg&workspace=ws1`,
    ]) {
      await page.goto(`${berth.url}${target}`);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toBe(
        `This link names the subscription '${subscription}', which is not one of the subscriptions you can see. Choose one of yours above; nothing was read or changed in '${subscription}'.`,
      );
      // The link stays as it was (nothing silently picked in its place), and nothing asked Berth about it.
      expect(new URL(page.url()).searchParams.get('subscription')).toBe(subscription);
      expect(await page.getByLabel('Subscription').inputValue()).toBe('');
    }
    expect(paths).toContain('/subscriptions');
    expect(paths.filter((p) => p.includes(mark))).toEqual([]);

    // Choosing a subscription of the list goes on from there.
    await page.getByLabel('Subscription').selectOption(berth.subscriptionId);
    await expect.poll(() => page.getByLabel('Workspace').inputValue()).toBe('ws1');
    await page.getByText('No inference clusters yet: New → Create new').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});
