import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';
import { ensureStudioBuilt, launchChromium, openStudio, setUpWorkspace, signIn, signInLink } from './browser.js';

describe("Studio: a Reader's session sees everything and changes nothing", () => {
  let berth: TestBerth;
  let browser: Browser;
  let readerToken: string;

  beforeAll(async () => {
    ensureStudioBuilt();
    berth = await startTestBerth();
    browser = await launchChromium();
    await setUpWorkspace(berth, 'ml-rg', 'ws1');
    const sub = berth.subscriptionId;
    const put = await berth.request(
      'PUT',
      `/subscriptions/${sub}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/computes/myaks?api-version=2022-10-01`,
      { body: { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest' } } } },
    );
    expect(put.status, put.text).toBe(201);
    const token = await berth.request('POST', '/berth/tokens', { body: { role: 'Reader', subscription: sub, name: 'audit' } });
    expect(token.status, token.text).toBe(201);
    readerToken = token.body.token;
  });
  afterAll(async () => {
    await browser?.close();
    await berth?.close();
  });

  it('signs in with `berth studio --token`; every write control is disabled with a tooltip saying why', async () => {
    const { page, context, errors } = await openStudio(browser);
    await signIn(page, await signInLink(berth, readerToken));
    await page.getByText('audit (Reader)').waitFor();
    const why = /Your role here is Reader: creating, changing and removing computes needs Contributor or Owner/;
    const expectDisabled = async (name: string) => {
      const button = page.getByRole('button', { name, exact: true });
      expect(await button.isDisabled(), name).toBe(true);
      expect(await button.locator('..').getAttribute('title'), name).toMatch(why);
    };
    await page.getByRole('row', { name: /myaks/ }).waitFor();
    await expectDisabled('New');
    await expectDisabled('New workspace');
    await page.getByRole('link', { name: 'myaks' }).click();
    await page.locator('.props .badge', { hasText: 'Succeeded' }).waitFor({ timeout: 30_000 });
    for (const name of ['Scale', 'Update', 'Detach', 'Delete', 'Download kubeconfig']) await expectDisabled(name);
    // Reading works: the details are all there.
    await page.getByText('Dev-test').waitFor();
    // The wizard, reached by its URL, cannot submit either.
    await page.goto(page.url().replace(/\/computes\/myaks/, '/new'));
    await page.getByRole('form', { name: 'Create new' }).waitFor();
    await expectDisabled('Create');
    // And the API itself refuses a Reader's session write, CSRF proof or not.
    const session = await page.evaluate(async () => (await fetch('/berth/studio/session')).json());
    const write = await page.evaluate(async (csrf: string) => {
      const res = await fetch(
        location.pathname.replace(/\/studio\/new$/, '') +
          `/subscriptions/${new URLSearchParams(location.search).get('subscription')}/resourcegroups/x?api-version=2021-04-01`,
        {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'x-berth-csrf': csrf },
          body: JSON.stringify({ location: 'westus' }),
        },
      );
      return { status: res.status, body: await res.json() };
    }, session.csrf as string);
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('AuthorizationFailed');
    expect(errors.filter((e) => !/403/.test(e))).toEqual([]);
    await context.close();
  });
});
