import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';
import { clusterBody, managedClusterPath, putManagedCluster } from '../../../test-support/kube.js';
import { runBerth } from '../../../test-support/process.js';
import { ensureStudioBuilt, launchChromium, openStudio, setUpWorkspace, signIn, signInLink, type StudioPage } from './browser.js';

describe('Studio: attach an existing cluster, switch it to an internal load balancer, detach it', () => {
  let berth: TestBerth;
  let browser: Browser;
  let studio: StudioPage;

  beforeAll(async () => {
    ensureStudioBuilt();
    berth = await startTestBerth({ provisioningDelayMs: 200 });
    browser = await launchChromium();
    await setUpWorkspace(berth, 'ml-rg', 'ws1');
    await setUpWorkspace(berth, 'other-rg', 'ws2');
    const sub = berth.subscriptionId;
    const cluster = (name: string, o: Parameters<typeof clusterBody>[0] = {}) =>
      putManagedCluster(berth.request, managedClusterPath(sub, 'clusters-rg', name), clusterBody(o));
    await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/clusters-rg?api-version=2021-04-01`, { body: { location: 'westus' } });
    await Promise.all([
      cluster('good'),
      cluster('small', { count: 1 }),
      cluster('fenced', {
        properties: { apiServerAccessProfile: { authorizedIPRanges: ['203.0.113.0/24'] }, networkProfile: { loadBalancerSku: 'standard' } },
      }),
      cluster('lts', { sku: { name: 'Base', tier: 'Premium' }, properties: { kubernetesVersion: '1.28', supportPlan: 'AKSLongTermSupport' } }),
      cluster('held'),
    ]);
    const held = await berth.request(
      'PUT',
      `/subscriptions/${sub}/resourceGroups/other-rg/providers/Microsoft.MachineLearningServices/workspaces/ws2/computes/holder?api-version=2022-10-01`,
      {
        body: {
          properties: {
            computeType: 'AKS',
            resourceId: `/subscriptions/${sub}/resourceGroups/clusters-rg/providers/Microsoft.ContainerService/managedClusters/held`,
          },
        },
      },
    );
    expect(held.status, held.text).toBeLessThan(300);
    studio = await openStudio(browser);
    await signIn(studio.page, await signInLink(berth));
  });
  afterAll(async () => {
    await browser?.close();
    await berth?.close();
  });

  it("lists the subscription's clusters, each marked when it cannot be attached and why", async () => {
    const { page } = studio;
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await page.getByRole('radio', { name: 'Use existing' }).check();
    const form = page.getByRole('form', { name: 'Use existing' });
    const row = (name: string) => form.getByRole('row', { name: new RegExp(`^Attach ${name} `) });
    await row('good').getByText('3 x Standard_D3_v2 = 12 vCPUs').waitFor();
    await row('good').getByRole('cell', { name: 'Yes' }).waitFor();
    await row('small')
      .getByText(/4 vCPUs: too few for Production/)
      .waitFor();
    await row('fenced')
      .getByText(/authorized IP ranges \(203\.0\.113\.0\/24\) exclude Berth/)
      .waitFor();
    await row('lts')
      .getByText(/Kubernetes 1\.28\.\d+ is not supported for attaching; supported: 1\.\d+/)
      .waitFor();
    await row('held')
      .getByText(/already attached as holder \(workspace ws2\)/)
      .waitFor();
    expect(await row('held').getByRole('radio').isDisabled()).toBe(true);
    // Dev-test lifts the vCPU rule, and only it.
    await form.getByLabel('Cluster purpose').selectOption({ label: 'Dev-test' });
    await row('small').getByRole('cell', { name: 'Yes' }).waitFor();
    expect(await row('fenced').getByRole('radio').isDisabled()).toBe(true);
    await form.getByLabel('Cluster purpose').selectOption({ label: 'Production' });
  });

  it('attaches the good cluster from the list', async () => {
    const { page } = studio;
    const form = page.getByRole('form', { name: 'Use existing' });
    await form.getByRole('radio', { name: 'Attach good' }).check();
    await form.getByLabel('Compute name').fill('attachedaks');
    await form.getByText('View as code').click();
    await form
      .getByText(/berth ml computetarget attach aks -n attachedaks -w ws1 -g ml-rg -i \/subscriptions\/.*\/managedClusters\/good --cluster-purpose FastProd/)
      .waitFor();
    await form.getByRole('button', { name: 'Attach' }).click();
    await page.getByRole('heading', { name: 'attachedaks' }).waitFor();
    await page.locator('.props .badge', { hasText: 'Succeeded' }).waitFor({ timeout: 30_000 });
    await page.getByText('Attached (detaching keeps the cluster)').waitFor();
    // An attached compute has no Delete, only Detach.
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
  });

  it('switches it to an internal load balancer through Update (TLS with it refused before sending)', async () => {
    const { page } = studio;
    await page.getByRole('button', { name: 'Update' }).click();
    const dialog = page.getByRole('dialog', { name: 'Update attachedaks' });
    await dialog.getByLabel('Load balancer type').selectOption('InternalLoadBalancer');
    await dialog.getByLabel('Load balancer subnet').fill('ilb-subnet');
    // R9 in the dialog: TLS with an internal load balancer is refused with the reason, before sending.
    await dialog.getByLabel('TLS', { exact: true }).selectOption({ label: 'Certificate issued by Berth' });
    await dialog.getByLabel('Leaf domain label').fill('contoso');
    await dialog
      .getByText(/TLS termination is not supported with an internal load balancer/)
      .first()
      .waitFor();
    await dialog.getByLabel('TLS', { exact: true }).selectOption('keep');
    await expect.poll(() => dialog.getByText(/TLS termination is not supported/).count()).toBe(0);
    await dialog.getByText('View as code').click();
    await dialog
      .getByText('berth ml computetarget update aks -n attachedaks -w ws1 -g ml-rg --load-balancer-type InternalLoadBalancer --load-balancer-subnet ilb-subnet')
      .waitFor();
    await dialog.getByRole('button', { name: 'Update' }).click();
    await page.locator('.props dd', { hasText: 'Internal (subnet ilb-subnet)' }).waitFor({ timeout: 30_000 });
    await page.locator('.props .badge', { hasText: 'Succeeded' }).waitFor({ timeout: 30_000 });
    const compute = (
      await berth.request(
        'GET',
        `/subscriptions/${berth.subscriptionId}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/computes/attachedaks?api-version=2022-10-01`,
      )
    ).body;
    expect(compute.properties.properties.loadBalancerType).toBe('InternalLoadBalancer');
  });

  it('detaches it: the compute goes, the cluster stays (berth aks list)', async () => {
    const { page } = studio;
    await page.getByRole('button', { name: 'Detach' }).click();
    const dialog = page.getByRole('dialog', { name: 'Detach attachedaks?' });
    await dialog.getByText(/The Kubernetes cluster itself is kept/).waitFor();
    await dialog.getByRole('button', { name: 'Detach' }).click();
    await page.getByText('No inference clusters yet: New → Create new').waitFor({ timeout: 30_000 });
    const listed = await runBerth(['aks', 'list', '--home', berth.home, '-g', 'clusters-rg', '--query', '[].name', '-o', 'tsv']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.split(/\s+/)).toContain('good');
    expect(studio.errors).toEqual([]);
  });

  it("marks every cluster for a session that may not act on it, with the reason (the admin's list above, where 'good' can be attached, is the control)", async () => {
    const made = await berth.request('POST', '/berth/tokens', { body: { role: 'Reader', subscription: berth.subscriptionId, name: 'cluster-reader' } });
    expect(made.status, made.text).toBe(201);
    const reader = await openStudio(browser);
    await signIn(reader.page, await signInLink(berth, made.body.token));
    const scope = new URLSearchParams({ subscription: berth.subscriptionId, group: 'ml-rg', workspace: 'ws1' });
    await reader.page.goto(`${berth.url}/studio/new?${scope}`);
    await reader.page.getByRole('radio', { name: 'Use existing' }).check();
    const form = reader.page.getByRole('form', { name: 'Use existing' });
    const row = (name: string) => form.getByRole('row', { name: new RegExp(`^Attach ${name} `) });
    await form.getByLabel('Cluster purpose').selectOption({ label: 'Dev-test' });
    for (const name of ['good', 'small']) {
      await row(name)
        .getByText(/You need Contributor on this cluster's resource group \(clusters-rg\) or on the cluster to attach it/)
        .waitFor();
      expect(await row(name).getByRole('radio').isDisabled(), name).toBe(true);
    }
    expect(reader.errors).toEqual([]);
    await reader.context.close();
  });
});
