// The Studio, measured in Debian's Chromium (/usr/bin/chromium, headless) against a `berth up` child:
// (a) the initial JavaScript and CSS the page loads, gzipped (target: JS <= 250 KB);
// (b) time from navigation to the inference-cluster list rendered with 500 computes (target <= 500 ms),
//     median of 7 loads after one warm-up, read in the page (performance.now() when the 500th row appears);
//     the 500 are copies of one real compute (see below).
/* global window, document, MutationObserver, performance -- the functions given to addInitScript and waitForFunction run in the page */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { berthBin, startBerth } from './lib.js';

const ML_API = 'api-version=2022-10-01';
const COMPUTES = Number(process.env.BENCH_STUDIO_COMPUTES ?? 500);
const dist = fileURLToPath(new URL('../packages/studio/dist/', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The scripts and stylesheets index.html loads, each gzipped. */
function initialAssets() {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/studio\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  const sizes = files.map((f) => ({
    file: f,
    bytes: readFileSync(join(dist, f)).length,
    gzipBytes: gzipSync(readFileSync(join(dist, f)), { level: 9 }).length,
  }));
  const kb = (n) => Math.round((n / 1024) * 10) / 10;
  const js = sizes.filter((s) => s.file.endsWith('.js'));
  const css = sizes.filter((s) => s.file.endsWith('.css'));
  return {
    jsKB: kb(js.reduce((n, s) => n + s.bytes, 0)),
    jsGzipKB: kb(js.reduce((n, s) => n + s.gzipBytes, 0)),
    cssGzipKB: kb(css.reduce((n, s) => n + s.gzipBytes, 0)),
  };
}

export async function studio() {
  const assets = initialAssets();
  const berth = await startBerth();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const sub = (await berth.call('GET', '/subscriptions?api-version=2020-01-01')).body.value[0].subscriptionId;
    await berth.call('PUT', `/subscriptions/${sub}/resourcegroups/bench?api-version=2021-04-01`, { location: 'westus' });
    const ws = `/subscriptions/${sub}/resourceGroups/bench/providers/Microsoft.MachineLearningServices/workspaces/bench-ws`;
    await berth.call('PUT', `${ws}?${ML_API}`, { location: 'westus' });
    while ((await berth.call('GET', `${ws}?${ML_API}`)).body.properties.provisioningState !== 'Succeeded') await sleep(20);
    // One real compute, created and provisioned by Berth; the list the page reads holds 500 copies of it
    // (served from the page's network layer): provisioning 500 clusters in the local cloud takes minutes
    // on two cores and loads the server while the page is measured. So this measures the Studio (load,
    // session, pickers, list, render), not Berth's own time to list 500 computes.
    const created = await berth.call('PUT', `${ws}/computes/aks-000?${ML_API}`, {
      properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' } },
    });
    if (created.status !== 201) throw new Error(`compute: ${created.status} ${JSON.stringify(created.body)}`);
    let real;
    do {
      await sleep(50);
      real = (await berth.call('GET', `${ws}/computes/aks-000?${ML_API}`)).body;
    } while (real.properties.provisioningState === 'Creating');
    const listBody = JSON.stringify({
      value: Array.from({ length: COMPUTES }, (_, i) => {
        const name = `aks-${String(i).padStart(3, '0')}`;
        return { ...real, name, id: real.id.replace(/aks-000$/, name) };
      }),
    });
    const signIn = spawnSync(process.execPath, [berthBin, 'studio', '--home', berth.home], { encoding: 'utf8' });
    const link = signIn.stdout.trim();
    if (!link) throw new Error(`berth studio: ${signIn.stderr}`);
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    await context.route(/\/workspaces\/bench-ws\/computes\?/, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: listBody }));
    // Records, in the page, when the list first holds every compute.
    await context.addInitScript((count) => {
      new MutationObserver((_, observer) => {
        if (document.querySelectorAll('tbody tr').length >= count) {
          window.__listRenderedAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    }, COMPUTES);
    const page = await context.newPage();
    await page.goto(link);
    await page.waitForFunction(() => window.__listRenderedAt !== undefined, undefined, { timeout: 60_000 });
    const listUrl = `${berth.url}/studio/?subscription=${sub}&group=bench&workspace=bench-ws`;
    const times = [];
    for (let i = 0; i < 8; i++) {
      await page.goto(listUrl);
      await page.waitForFunction(() => window.__listRenderedAt !== undefined, undefined, { timeout: 60_000 });
      if (i > 0) times.push(await page.evaluate(() => window.__listRenderedAt));
    }
    await context.close();
    return {
      benchmark: 'studio',
      initialAssets: { ...assets, targetJsGzipKB: 250 },
      listWith500Computes: {
        computes: COMPUTES,
        navigationToRenderedMs: { median: Math.round(median(times)), min: Math.round(Math.min(...times)), max: Math.round(Math.max(...times)) },
        targetMs: 500,
      },
    };
  } finally {
    await browser.close();
    await berth.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await studio(), null, 2));
