import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { runBerth } from '../../../test-support/process.js';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';

const studioDir = fileURLToPath(new URL('..', import.meta.url));

/** The e2e tests drive the built Studio, as `berth up` serves it: built here when a lone test file runs before `npm run build`. */
export function ensureStudioBuilt(): void {
  if (existsSync(`${studioDir}dist/index.html`)) return;
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: studioDir, stdio: 'inherit' });
}

/** Debian's Chromium, headless; never a downloaded browser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface StudioPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far (failed requests the page handles, such as a 401 before sign-in, excepted). */
  errors: string[];
}

/** A fresh browser context (its own cookies) with Berth's self-signed certificate accepted, watching for console errors. */
export async function openStudio(
  browser: Browser,
  options: { width?: number; height?: number; locale?: string; timezoneId?: string; bypassCSP?: boolean } = {},
): Promise<StudioPage> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    // Only to inject axe-core, whose inline script the Studio's Content-Security-Policy refuses, as it should.
    bypassCSP: options.bypassCSP ?? false,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    locale: options.locale ?? 'en-US',
    timezoneId: options.timezoneId ?? 'UTC',
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // A browser logs every 4xx answer as a console error; those the Studio expects (no session yet, a refused form) are not bugs.
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|400|403|404|409)/.test(msg.text()))
      errors.push(msg.text());
  });
  return { context, page, errors };
}

/** `berth studio` (with `--token` when given): the sign-in link it prints. */
export async function signInLink(berth: TestBerth, token?: string): Promise<string> {
  const result = await runBerth(['studio', '--home', berth.home, ...(token ? ['--token', token] : [])]);
  if (result.code !== 0) throw new Error(`berth studio exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Signs the page in through a `berth studio` link and waits for the list. */
export async function signIn(page: Page, link: string): Promise<void> {
  await page.goto(link);
  await page.getByRole('heading', { name: 'Inference clusters' }).waitFor();
}

/** A test Berth with the workspace ml-rg/ws1, Debian's Chromium, and a page signed in with the admin's `berth studio` link. */
export async function signedInStudio(options: { provisioningDelayMs: number }): Promise<{ berth: TestBerth; browser: Browser; studio: StudioPage }> {
  ensureStudioBuilt();
  const berth = await startTestBerth(options);
  const browser = await launchChromium().catch(async (err) => {
    await berth.close();
    throw err;
  });
  await setUpWorkspace(berth, 'ml-rg', 'ws1');
  const studio = await openStudio(browser);
  await signIn(studio.page, await signInLink(berth));
  return { berth, browser, studio };
}

/** A resource group and a workspace, through the REST API. */
export async function setUpWorkspace(berth: TestBerth, group: string, workspace: string): Promise<void> {
  const sub = berth.subscriptionId;
  const rg = await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/${group}?api-version=2021-04-01`, { body: { location: 'westus' } });
  if (rg.status >= 300) throw new Error(rg.text);
  const ws = await berth.request(
    'PUT',
    `/subscriptions/${sub}/resourceGroups/${group}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}?api-version=2022-10-01`,
    {
      body: { location: 'westus' },
    },
  );
  if (ws.status >= 300) throw new Error(ws.text);
  for (let i = 0; i < 200; i++) {
    const got = await berth.request(
      'GET',
      `/subscriptions/${sub}/resourceGroups/${group}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}?api-version=2022-10-01`,
    );
    if (got.body?.properties?.provisioningState === 'Succeeded') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('workspace did not reach Succeeded');
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations of the page as it is now (WCAG 2.x A and AA rules and best practices). */
export async function seriousViolations(page: Page): Promise<Array<{ id: string; impact: string; help: string; nodes: string[] }>> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: any[] }> } }).axe;
    return axe.run(document, { resultTypes: ['violations'] });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n: { target: string[] }) => n.target.join(' ')) }));
}

/** PEM certificates and keys for the TLS checks: a valid one for www.contoso.com with its key, an expired one, and an unrelated key. */
export async function testCertificates(): Promise<{ cert: string; key: string; expiredCert: string; otherKey: string }> {
  const { webcrypto } = await import('node:crypto');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const pem = (der: ArrayBuffer) =>
    `-----BEGIN PRIVATE KEY-----\n${Buffer.from(der)
      .toString('base64')
      .replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  const make = async (notBefore: Date, notAfter: Date) => {
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=www.contoso.com',
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: alg,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'www.contoso.com' }])],
    });
    return { cert: cert.toString('pem'), key: pem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
  };
  const day = 86_400_000;
  const valid = await make(new Date(Date.now() - day), new Date(Date.now() + 365 * day));
  const expired = await make(new Date(Date.now() - 20 * day), new Date(Date.now() - 10 * day));
  const other = await make(new Date(Date.now() - day), new Date(Date.now() + 365 * day));
  return { cert: valid.cert, key: valid.key, expiredCert: expired.cert, otherKey: other.key };
}
