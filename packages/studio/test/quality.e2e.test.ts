import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';
import { ensureStudioBuilt, launchChromium, openStudio, seriousViolations, setUpWorkspace, signIn, signInLink } from './browser.js';

/** BERTH_UPDATE_SCREENSHOTS=1 writes docs/studio-*.png (the README's); otherwise they go to a temporary folder. */
const docs = fileURLToPath(new URL('../../../docs/', import.meta.url));

describe('Studio quality: accessibility (axe-core), 360 px to desktop, keyboard, locale, screenshots', () => {
  let berth: TestBerth;
  let browser: Browser;
  let shots: string;
  const sub = () => berth.subscriptionId;
  const computePath = (name: string) =>
    `/subscriptions/${sub()}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/computes/${name}?api-version=2022-10-01`;

  beforeAll(async () => {
    ensureStudioBuilt();
    berth = await startTestBerth();
    browser = await launchChromium();
    shots = process.env.BERTH_UPDATE_SCREENSHOTS ? docs : await mkdtemp(join(tmpdir(), 'studio-shots-'));
    await setUpWorkspace(berth, 'ml-rg', 'ws1');
    // prodaks's long leaf domain label makes its FQDN one word wider than a phone's screen.
    for (const [name, aks] of [
      ['prodaks', { agentCount: 3, agentVmSize: 'Standard_D3_v2', sslConfiguration: { status: 'Auto', leafDomainLabel: 'contosoinferenceprod' } }],
      ['devaks', { clusterPurpose: 'DevTest', agentCount: 2 }],
      ['gpuaks', { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_NC6', loadBalancerType: 'InternalLoadBalancer' }],
    ] as const) {
      const put = await berth.request('PUT', computePath(name), { body: { properties: { computeType: 'AKS', properties: aks } } });
      expect(put.status, put.text).toBe(201);
    }
    for (let i = 0; i < 300; i++) {
      const list = await berth.request('GET', computePath('').replace('/computes/?', '/computes?'));
      if (list.body.value.every((c: any) => c.properties.provisioningState !== 'Creating')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    await browser?.close();
    await berth?.close();
    if (!process.env.BERTH_UPDATE_SCREENSHOTS && shots) await rm(shots, { recursive: true, force: true });
  });

  async function axeClean(page: Page, what: string) {
    expect(await seriousViolations(page), what).toEqual([]);
  }

  it('has no serious or critical axe violation on any page, and takes the screenshots', async () => {
    const { page, context, errors } = await openStudio(browser, { width: 1280, height: 800, bypassCSP: true });
    await page.goto(`${berth.url}/studio/`);
    await page.getByLabel('Token').waitFor();
    await axeClean(page, 'sign-in page');
    await signIn(page, await signInLink(berth));
    await page
      .getByRole('row', { name: /gpuaks/ })
      .getByText('Succeeded')
      .waitFor({ timeout: 30_000 });
    await axeClean(page, 'list');
    await page.screenshot({ path: join(shots, 'studio-list.png') });

    await page.getByRole('button', { name: 'New', exact: true }).click();
    const form = page.getByRole('form', { name: 'Create new' });
    await form.getByLabel('Compute name').fill('my-aks');
    await form.getByLabel('Number of nodes').fill('2');
    await form.getByLabel('Enable TLS').check();
    await form.getByLabel('Leaf domain label').fill('contoso');
    await form.getByText('View as code').click();
    await axeClean(page, 'wizard, create new');
    await page.screenshot({ path: join(shots, 'studio-wizard.png'), fullPage: true });
    await page.getByRole('radio', { name: 'Use existing' }).check();
    await page.getByRole('form', { name: 'Use existing' }).getByRole('row').first().waitFor();
    await axeClean(page, 'wizard, use existing');

    await page.goto(`${berth.url}/studio/computes/prodaks?subscription=${sub()}&group=ml-rg&workspace=ws1`);
    await page.locator('.props .badge', { hasText: 'Succeeded' }).waitFor();
    await axeClean(page, 'details');
    await page.screenshot({ path: join(shots, 'studio-details.png'), fullPage: true });
    await page.getByRole('button', { name: 'Scale' }).click();
    await page.getByRole('dialog').waitFor();
    await axeClean(page, 'scale dialog');
    await page.keyboard.press('Escape');
    for (const file of ['studio-list.png', 'studio-wizard.png', 'studio-details.png']) expect((await stat(join(shots, file))).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('is usable at 360 px: nothing wider than the screen but the scrolling tables', async () => {
    const { page, context, errors } = await openStudio(browser, { width: 360, height: 740 });
    await signIn(page, await signInLink(berth));
    await page.getByRole('row', { name: /prodaks/ }).waitFor();
    // What sticks out, so a failure names the element rather than a number of pixels.
    const overflow = () =>
      page.evaluate(() => {
        const { scrollWidth, clientWidth } = document.documentElement;
        if (scrollWidth <= clientWidth) return [];
        const outside = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > clientWidth && !e.closest('.table-wrap'));
        return [
          `page ${scrollWidth} px wide on a ${clientWidth} px screen`,
          ...outside.map((e) => `<${e.tagName.toLowerCase()} class="${e.className}">${e.textContent?.slice(0, 60)}`),
        ];
      });
    await expect.poll(overflow).toEqual([]);
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await page.getByRole('form', { name: 'Create new' }).waitFor();
    await expect.poll(overflow).toEqual([]);
    await page.goto(`${berth.url}/studio/computes/prodaks?subscription=${sub()}&group=ml-rg&workspace=ws1`);
    await page.locator('.props .badge', { hasText: 'Succeeded' }).waitFor();
    await expect.poll(overflow).toEqual([]);
    await page.getByRole('button', { name: 'Scale' }).click();
    expect(await page.getByRole('dialog').evaluate((d) => d.getBoundingClientRect().width)).toBeLessThanOrEqual(360);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('works from the keyboard alone: Tab reaches New, Enter opens the wizard, dialogs keep focus and close on Escape', async () => {
    const { page, context, errors } = await openStudio(browser);
    await signIn(page, await signInLink(berth));
    await page.getByRole('row', { name: /prodaks/ }).waitFor();
    const focused = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText || document.activeElement?.getAttribute('id') || '');
    const order: string[] = [];
    for (let i = 0; i < 12 && !order.includes('New'); i++) {
      await page.keyboard.press('Tab');
      order.push((await focused()).trim());
    }
    expect(order[0]).toBe('Skip to content');
    expect(order).toContain('New');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'New inference cluster' }).waitFor();
    await page.goBack();
    await page.getByRole('link', { name: 'prodaks' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'prodaks' }).waitFor();
    await page.getByRole('button', { name: 'Scale' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Scale prodaks' });
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.closest('[role=dialog]') !== null)).toBe(true);
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.closest('[role=dialog]') !== null)).toBe(true);
    }
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await focused()).toBe('Scale');
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows times in the user's locale and time zone", async () => {
    const { page, context } = await openStudio(browser, { locale: 'de-DE', timezoneId: 'Europe/Berlin' });
    await signIn(page, await signInLink(berth));
    await page.getByRole('link', { name: 'prodaks' }).click();
    await page.locator('.props .badge', { hasText: 'Succeeded' }).waitFor();
    const created = (await berth.request('GET', computePath('prodaks'))).body.properties.createdOn as string;
    const expected = new Date(created).toLocaleString('de-DE', { timeZone: 'Europe/Berlin' });
    await page.locator('.props dd', { hasText: expected }).first().waitFor();
    await context.close();
  });
});
