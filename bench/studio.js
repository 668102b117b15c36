// The Studio, measured in Debian's Chromium (/usr/bin/chromium, headless) against a `berth up` child:
// (a) the initial JavaScript and CSS the page loads, gzipped (target: JS <= 250 KB);
// (b) time from navigation to the inference-cluster list rendered with 500 computes (target <= 500 ms),
//     median of 7 loads after one warm-up, read in the page (performance.now() when the 500th row appears):
//     first with the list served from the page's network layer (500 copies of one real compute: the Studio's
//     own cost), then with Berth's own list of 500 real computes (the whole path a user waits for).
// Its `berth up` simulates pods (--no-run-workloads): 500 front ends as processes would measure the machine.
/* global window, document, MutationObserver, performance -- the functions given to addInitScript and waitForFunction run in the page */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { armOf, berthBin, ML_API, pool, startBerth } from './lib.js';

const COMPUTES = Number(process.env.BENCH_STUDIO_COMPUTES ?? 500);
const dist = fileURLToPath(new URL('../packages/studio/dist/', import.meta.url));
const DEVTEST = { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' };

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
  const berth = await startBerth(['--no-run-workloads']);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const arm = await armOf(berth);
    const sub = arm.subscriptionId;
    const computes = `${arm.workspacePath}/computes`;
    const create = async (name) => {
      await arm.compute(name, { properties: DEVTEST });
      return (await berth.call('GET', `${arm.computePath(name)}?${ML_API}`)).body;
    };
    const nameOf = (i) => `aks-${String(i).padStart(3, '0')}`;
    const real = await create(nameOf(0));
    const copies = JSON.stringify({
      value: Array.from({ length: COMPUTES }, (_, i) => ({ ...real, name: nameOf(i), id: real.id.replace(/aks-000$/, nameOf(i)) })),
    });

    const signIn = spawnSync(process.execPath, [berthBin, 'studio', '--home', berth.home], { encoding: 'utf8' });
    const link = signIn.stdout.trim();
    if (!link) throw new Error(`berth studio: ${signIn.stderr}`);
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    // Records, in the page, when the list first holds every compute.
    await context.addInitScript((count) => {
      new MutationObserver((_, observer) => {
        if (document.querySelectorAll('tbody tr').length >= count) {
          window.__listRenderedAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    }, COMPUTES);
    const listUrl = `${berth.url}/studio/?subscription=${sub}&group=bench&workspace=bench-ws`;
    const page = await context.newPage();
    const rendered = () => page.waitForFunction(() => window.__listRenderedAt !== undefined, undefined, { timeout: 60_000 });
    /** Navigation to 500 rows, over 7 loads after a warm-up. */
    const navigationToRendered = async () => {
      const times = [];
      for (let i = 0; i < 8; i++) {
        await page.goto(listUrl);
        await rendered();
        if (i > 0) times.push(await page.evaluate(() => window.__listRenderedAt));
      }
      return { median: Math.round(median(times)), min: Math.round(Math.min(...times)), max: Math.round(Math.max(...times)) };
    };

    const copiesRoute = /\/workspaces\/bench-ws\/computes\?/;
    await context.route(copiesRoute, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: copies }));
    await page.goto(link);
    await rendered();
    const servedByThePage = await navigationToRendered();
    await context.unroute(copiesRoute);

    await pool(
      Array.from({ length: COMPUTES - 1 }, (_, i) => nameOf(i + 1)),
      16,
      create,
    );
    // Berth's list alone, every page of it (ARM pages follow nextLink), as the Studio reads it.
    const listTimes = [];
    for (let i = 0; i < 8; i++) {
      const start = performance.now();
      let listed = 0;
      for (let path = `${computes}?${ML_API}`; path;) {
        const chunk = (await berth.call('GET', path)).body;
        listed += chunk.value.length;
        path = chunk.nextLink?.slice(berth.url.length);
      }
      if (i > 0) listTimes.push(performance.now() - start);
      if (listed !== COMPUTES) throw new Error(`the list holds ${listed} computes`);
    }
    const servedByBerth = await navigationToRendered();
    await context.close();
    return {
      benchmark: 'studio',
      initialAssets: { ...assets, targetJsGzipKB: 250 },
      listWith500Computes: {
        computes: COMPUTES,
        navigationToRenderedMs: { listServedByThePage: servedByThePage, listServedByBerth: servedByBerth },
        berthListGetMs: Math.round(median(listTimes)),
        targetMs: 500,
      },
    };
  } finally {
    await browser.close();
    await berth.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await studio(), null, 2));
