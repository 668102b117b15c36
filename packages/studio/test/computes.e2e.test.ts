import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { noPublicIpPolicy, type TestBerth } from '../../../test-support/berth.js';
import { signedInStudio, testCertificates, type StudioPage } from './browser.js';

describe('Studio: create, scale and detach a compute in Chromium', () => {
  let berth: TestBerth;
  let browser: Browser;
  let studio: StudioPage;

  beforeAll(async () => {
    ({ berth, browser, studio } = await signedInStudio({ provisioningDelayMs: 300 }));
  });
  afterAll(async () => {
    await browser?.close();
    await berth?.close();
  });

  it('shows every live validation before submitting, with the rules the server uses', async () => {
    const { page } = studio;
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await page.getByRole('heading', { name: 'New inference cluster' }).waitFor();
    expect(await page.getByRole('radio', { name: 'Create new' }).isChecked()).toBe(true);
    const form = page.getByRole('form', { name: 'Create new' });

    // R1 as the user types.
    await form.getByLabel('Compute name').fill('9lives');
    await form.getByText(/it does not start with a letter/).waitFor();
    await form.getByLabel('Compute name').fill('my-aks-');
    await form.getByText(/it does not end with a letter or digit/).waitFor();
    await form.getByLabel('Compute name').fill('myaks');
    await expect.poll(() => form.getByText(/Compute names have 3 to 24/).count()).toBe(0);

    // R2: the vCPU arithmetic, live.
    await form.getByText('3 nodes x 4 vCPUs = 12 vCPUs; Production needs at least 12').waitFor();
    await form.getByLabel('Number of nodes').fill('2');
    await form.getByText('2 nodes x 4 vCPUs = 8 vCPUs; Production needs at least 12').waitFor();
    await form
      .getByText(/needs at least 12 vCPUs, and 2 nodes x 4 vCPUs \(Standard_D3_v2\) = 8/)
      .first()
      .waitFor();
    await form.getByLabel('Virtual machine size').fill('Standard_D8s_v3');
    await form.getByText('2 nodes x 8 vCPUs = 16 vCPUs; Production needs at least 12').waitFor();
    await form.getByText(/8 vCPUs, 32 GiB memory, 0 GPUs/).waitFor();

    // R9: TLS with an internal load balancer, refused with the reason.
    await form.getByLabel('Load balancer type').selectOption('InternalLoadBalancer');
    await form.getByLabel('Enable TLS').check();
    await form.getByLabel('Leaf domain label').fill('contoso');
    expect(await form.getByText(/TLS termination is not supported with an internal load balancer/).count()).toBeGreaterThan(0);

    // R8: certificate files checked as soon as they are chosen.
    await form.getByLabel('Upload my certificate').check();
    await form.getByLabel('Certificate (PEM)').setInputFiles({ name: 'cert.pem', mimeType: 'text/plain', buffer: Buffer.from('not a certificate') });
    await form.getByText(/The certificate is not a PEM X\.509 certificate/).waitFor();
    await form.getByLabel('Private key (PEM)').setInputFiles({
      name: 'key.pem',
      mimeType: 'text/plain',
      buffer: Buffer.from('-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n'),
    });
    await form.getByText(/protected by a passphrase/).waitFor();
    // Key match, expiry and the CNAME, checked in the page (WebCrypto) as soon as the files are chosen.
    const pems = await testCertificates();
    const file = (name: string, text: string) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });
    await form.getByLabel('Certificate (PEM)').setInputFiles(file('cert.pem', pems.cert));
    await form.getByLabel('Private key (PEM)').setInputFiles(file('key.pem', pems.otherKey));
    await form.getByText(/The private key does not match the certificate \(subject CN=www\.contoso\.com\)/).waitFor();
    await form.getByLabel('CNAME').fill('api.fabrikam.com');
    await form.getByText("The certificate does not cover 'api.fabrikam.com'; its names are: www.contoso.com.").waitFor();
    await form.getByLabel('Private key (PEM)').setInputFiles(file('key.pem', pems.key));
    await form.getByLabel('CNAME').fill('www.contoso.com');
    await expect.poll(() => form.getByText(/does not match the certificate|does not cover/).count()).toBe(0);
    await form.getByLabel('Certificate (PEM)').setInputFiles(file('cert.pem', pems.expiredCert));
    await form.getByText(/The certificate expired on \d{4}-\d\d-\d\dT/).waitFor();

    // Networking: the DNS service address must sit in the service range.
    await form.getByLabel('Network configuration').selectOption('Advanced');
    await form.getByLabel('Kubernetes service address range').fill('10.0.0.0/16');
    await form.getByLabel('Kubernetes DNS service IP address').fill('10.1.0.10');
    await expect.poll(() => form.locator('.field.invalid').count()).toBeGreaterThanOrEqual(4);

    // Submitting shows every problem at once and sends nothing.
    await form.getByRole('button', { name: 'Create' }).click();
    expect(
      (
        await berth.request(
          'GET',
          `/subscriptions/${berth.subscriptionId}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/computes?api-version=2022-10-01`,
        )
      ).body.value,
    ).toEqual([]);
    await form.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('heading', { name: 'Inference clusters' }).waitFor();
  });

  it('creates a Dev-test compute through the wizard and sees it reach Succeeded, with its steps', async () => {
    const { page } = studio;
    await page.getByRole('button', { name: 'New', exact: true }).click();
    const form = page.getByRole('form', { name: 'Create new' });
    await form.getByLabel('Compute name').fill('devaks');
    await form.getByLabel('Cluster purpose').selectOption({ label: 'Dev-test' });
    await form.getByText('3 nodes x 4 vCPUs = 12 vCPUs; Dev-test recommends at least 2').waitFor();
    await form.getByText('View as code').click();
    await form.getByText(/berth ml computetarget create aks -n devaks -w ws1 -g ml-rg -l westus -s Standard_D3_v2 -a 3 --cluster-purpose DevTest/).waitFor();
    await form.getByText(/client\.beginCreateCompute\(sub, group, workspace, "devaks"/).waitFor();
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'devaks' }).waitFor();
    await page.locator('.props .badge', { hasText: 'Succeeded' }).waitFor({ timeout: 30_000 });
    await page.getByText('Ready: Succeeded').waitFor();
    await page.getByText('Create: succeeded').waitFor();
    // The steps Berth went through, as the operation's status lists them, each done.
    const steps = await page.locator('.operation li').allInnerTexts();
    expect(steps.map((step) => step.split(': ')[0])).toEqual([
      'Create the Kubernetes cluster',
      'Wait for the cluster to be provisioned',
      'Get the cluster credentials',
      'Install the components (azureml-fe, TLS, load balancer)',
      'Wait for the front end to be ready',
      'Ready',
    ]);
    expect(steps.slice(0, -1).every((step) => /: done \S/.test(step))).toBe(true);
    await page.getByText('1 (ready)').waitFor();
    await page.getByRole('link', { name: 'Berth Studio' }).click();
    const row = page.getByRole('row', { name: /devaks/ });
    await row.getByText('Succeeded').waitFor();
    await row.getByText('Dev-test').waitFor();
    await row.getByText('Created').waitFor();
  });

  it('scales the created compute from 3 to 5 nodes, with the vCPU rule in the dialog', async () => {
    const { page } = studio;
    await page.getByRole('link', { name: 'devaks' }).click();
    await page.getByRole('button', { name: 'Scale' }).click();
    const dialog = page.getByRole('dialog', { name: 'Scale devaks' });
    await dialog.getByLabel('Number of nodes').fill('5');
    await dialog.getByText('5 nodes x 4 vCPUs = 20 vCPUs; Dev-test recommends at least 2').waitFor();
    await dialog.getByText('View as code').click();
    await dialog.getByText('berth ml computetarget scale -n devaks -w ws1 -g ml-rg --node-count 5').waitFor();
    await dialog.getByRole('button', { name: 'Scale' }).click();
    await page.locator('.props dd', { hasText: /^5$/ }).waitFor({ timeout: 30_000 });
    await page.locator('.props .badge', { hasText: 'Succeeded' }).waitFor({ timeout: 30_000 });
    await page.getByText('Scale: succeeded').waitFor();
    await page.locator('.operation li.ok', { hasText: 'Scale the node pool: done' }).waitFor();
    const compute = (
      await berth.request(
        'GET',
        `/subscriptions/${berth.subscriptionId}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/computes/devaks?api-version=2022-10-01`,
      )
    ).body;
    expect(compute.properties.properties.agentCount).toBe(5);
    // Download kubeconfig (a secret: Owner and Contributor only) saves the admin kubeconfig.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download kubeconfig' }).click()]);
    expect(download.suggestedFilename()).toBe('devaks.kubeconfig');
    const saved = await download.path();
    expect(readFileSync(saved, 'utf8')).toMatch(/^apiVersion: v1[\s\S]*clusters:/m);
  });

  it('Escape closes a dialog and returns focus; Detach says the cluster is kept, and detaches', async () => {
    const { page } = studio;
    await page.getByRole('button', { name: 'Detach' }).click();
    const dialog = page.getByRole('dialog', { name: 'Detach devaks?' });
    await dialog.getByText('The Kubernetes cluster itself is kept').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Detach');
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Detach' }).click();
    await page.getByText('No inference clusters yet: New → Create new').waitFor({ timeout: 30_000 });
    const clusters = await berth.request(
      'GET',
      `/subscriptions/${berth.subscriptionId}/providers/Microsoft.ContainerService/managedClusters?api-version=2024-08-01`,
    );
    expect(clusters.body.value.map((c: { name: string }) => c.name).some((n: string) => n.startsWith('devaks'))).toBe(true);
    expect(studio.errors).toEqual([]);
  });

  it('shows a server error with its reason: a policy that forbids public IPs fails the create', async () => {
    const { page } = studio;
    const sub = berth.subscriptionId;
    const policy = await berth.request('PUT', `/subscriptions/${sub}/providers/Microsoft.Authorization/policyAssignments/no-public-ip?api-version=2022-06-01`, {
      body: noPublicIpPolicy(),
    });
    expect(policy.status, policy.text).toBe(201);
    await page.getByRole('button', { name: 'New', exact: true }).click();
    const form = page.getByRole('form', { name: 'Create new' });
    await form.getByLabel('Compute name').fill('blocked');
    await form.getByLabel('Cluster purpose').selectOption({ label: 'Dev-test' });
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'blocked' }).waitFor();
    await page.locator('.props .badge', { hasText: 'Failed' }).waitFor({ timeout: 30_000 });
    await page.locator('.props .reason', { hasText: /publicIPAddresses/ }).waitFor();
    await page.locator('.operation li.failed', { hasText: /polic/i }).waitFor();
    await page.getByRole('link', { name: 'Berth Studio' }).click();
    const row = page.getByRole('row', { name: /blocked/ });
    await row.getByText('Failed').click();
    await row.getByText(/publicIPAddresses/).waitFor();

    // A request the server refuses: each problem next to its field (R5: the name is taken, with another spec).
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await form.getByLabel('Compute name').fill('taken');
    await form.getByLabel('Cluster purpose').selectOption({ label: 'Dev-test' });
    const put = await berth.request(
      'PUT',
      `/subscriptions/${sub}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/computes/taken?api-version=2022-10-01`,
      {
        body: { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1 } } },
      },
    );
    expect(put.status, put.text).toBeLessThan(300);
    await form.getByRole('button', { name: 'Create' }).click();
    await form
      .locator('.field', { has: page.getByLabel('Compute name') })
      .getByText(/A compute named 'taken' already exists in this workspace/)
      .waitFor();
    expect(studio.errors).toEqual([]);
  });
});

describe('Studio: an operation started elsewhere', () => {
  let berth: TestBerth;
  let browser: Browser;
  let studio: StudioPage;

  beforeAll(async () => {
    // Provisioning that takes 3 s: the page opens while the operation runs.
    ({ berth, browser, studio } = await signedInStudio({ provisioningDelayMs: 3_000 }));
  });
  afterAll(async () => {
    await browser?.close();
    await berth?.close();
  });

  it('shows its steps as they happen, then its outcome', async () => {
    const { page } = studio;
    const put = await berth.request(
      'PUT',
      `/subscriptions/${berth.subscriptionId}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/computes/apiaks?api-version=2022-10-01`,
      { body: { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' } } } },
    );
    expect(put.status, put.text).toBe(201);
    await page.goto(`${berth.url}/studio/computes/apiaks?subscription=${berth.subscriptionId}&group=ml-rg&workspace=ws1`);
    await page.getByText('Create: in progress').waitFor();
    await page.locator('.operation li', { hasText: 'Wait for the cluster to be provisioned: in progress' }).waitFor();
    await page.locator('.operation li.ok', { hasText: 'Create the Kubernetes cluster: done' }).waitFor();
    await page.getByText('Ready: Succeeded').waitFor({ timeout: 30_000 });
    await page.locator('.operation li.ok', { hasText: 'Wait for the front end to be ready: done' }).waitFor();
    expect(studio.errors).toEqual([]);
  });
});
