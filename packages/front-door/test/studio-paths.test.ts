import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawHttps } from '../../../test-support/raw-http.js';
import { spawnBerthUp, type BerthProcess } from '../../../test-support/process.js';
import { ensureStudioBuilt } from '../../studio/test/browser.js';

/** Request targets that name nothing the Studio serves: traversal in every spelling, hidden files, odd bytes, a very long path. */
const NOT_SERVED = [
  '/studio/..%2f..%2fpackage.json',
  '/studio/..%2F..%2F..%2Fpackage.json',
  '/studio/%2e%2e/%2e%2e/package.json',
  '/studio/%2e%2e%2f%2e%2e%2fpackage.json',
  '/studio/../../package.json',
  '/studio/assets/../../../package.json',
  '/studio/..%5c..%5cpackage.json',
  '/studio/assets\\..\\..\\package.json',
  '/studio/%252e%252e%252f%252e%252e%252fpackage.json',
  '/studio/%252e%252e/package.json',
  '/studio/..',
  '/studio/.%2e/x',
  '/studio/.vite/manifest.json',
  '/studio//etc/passwd',
  '/studio/nope.js',
  '/studio/assets/nope.js',
  `/studio/${'a'.repeat(4000)}`,
  `/studio/assets/${'b/'.repeat(2000)}x.js`,
];

/** Malformed URLs: refused by the front door before any route, with its own 400. */
const MALFORMED = ['/studio/index.html%00', '/studio/%00../package.json', '/studio/%c0%ae%c0%ae/package.json'];

describe('the Studio answers 404 for every path it does not serve, without logging an error', () => {
  let berth: BerthProcess;
  let home: string;
  let ca: string;

  beforeAll(async () => {
    ensureStudioBuilt();
    home = await mkdtemp(join(tmpdir(), 'berth-studio-paths-'));
    berth = await spawnBerthUp(['--home', home, '--port', '0', '--log-level', 'info']);
    ca = await readFile(join(home, 'ca.pem'), 'utf8');
  });
  afterAll(async () => {
    berth?.child.kill('SIGKILL');
    await berth?.exited;
    await rm(home, { recursive: true, force: true });
  });

  const get = (target: string) => rawHttps(berth.url, ca, 'GET', target);

  it('serves its pages and the files of its build (the control)', async () => {
    for (const page of ['/studio/', '/studio/signin', '/studio/new', '/studio/computes/myaks']) {
      const res = await get(page);
      expect(res.status, page).toBe(200);
      expect(res.text).toContain('<div id="root">');
    }
    const index = await get('/studio/index.html');
    const script = /src="(\/studio\/assets\/[^"]+\.js)"/.exec(index.text)?.[1];
    expect(script).toBeDefined();
    const asset = await get(script!);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.text.length).toBeGreaterThan(1000);
  });

  const named = (target: string) => [target.length > 80 ? `${target.slice(0, 30)}… (${target.length} characters)` : target, target];

  it.each(NOT_SERVED.map(named))('404 for %s', async (_name, target) => {
    const res = await get(target);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NotFound');
    expect(res.body.error.message).toEqual(expect.any(String));
    expect(res.text).not.toContain('"workspaces"');
  });

  it.each(MALFORMED)('400 InvalidRequestUri for %s', async (target) => {
    const res = await get(target);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('InvalidRequestUri');
  });

  it('logged every one of those requests, none at error level', async () => {
    const marker = '/studio/assets/last-request.js';
    expect((await get(marker)).status).toBe(404);
    await expect.poll(() => berth.stderr().includes(marker)).toBe(true);
    const lines = berth
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; req?: { url?: string } });
    // The log holds the requests (so the check below can fail), and no line at error level or above.
    expect(lines.filter((l) => l.req?.url?.startsWith('/studio/')).length).toBeGreaterThan(NOT_SERVED.length);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
