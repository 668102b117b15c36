// GET of one workspace through the full stack (HTTPS, auth, store) with 10,000 workspaces stored,
// against a bare Fastify HTTPS server answering the same bytes (and, for scale, a tiny constant).
// Both servers run as child processes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, pool, startBerth, startChild, summary } from './lib.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Berth / bare rounds; the median ratio is reported. */
const ROUNDS = 3;

export async function workspaceGet({ workspaces = 10_000, duration = 10 } = {}) {
  const berth = await startBerth();
  try {
    const sub = (await berth.call('GET', '/subscriptions?api-version=2020-01-01')).body.value[0].subscriptionId;
    await berth.call('PUT', `/subscriptions/${sub}/resourcegroups/bench?api-version=2021-04-01`, { location: 'westus' });
    const base = `/subscriptions/${sub}/resourceGroups/bench/providers/Microsoft.MachineLearningServices/workspaces`;
    const seedStart = Date.now();
    const names = Array.from({ length: workspaces }, (_, i) => `ws-${String(i).padStart(5, '0')}`);
    await pool(names, 32, async (name) => {
      const res = await berth.call('PUT', `${base}/${name}?api-version=2022-10-01`, { location: 'westus' });
      if (res.status !== 201) throw new Error(`seeding ${name}: ${res.status}`);
    });
    const seedMs = Date.now() - seedStart;
    // Seeding outruns the operations engine: until every create has finished, GETs would share the
    // server with thousands of operation steps. The read path is measured once they are done.
    const drainStart = Date.now();
    await pool(names, 32, async (name) => {
      while ((await berth.call('GET', `${base}/${name}?api-version=2022-10-01`)).body.properties.provisioningState !== 'Succeeded') await sleep(50);
    });
    const drainMs = Date.now() - drainStart;
    const target = `${berth.url}${base}/ws-05000?api-version=2022-10-01`;
    const check = await berth.call('GET', `${base}/ws-05000?api-version=2022-10-01`);
    if (check.status !== 200) throw new Error(`GET answered ${check.status}`);

    const bodyFile = join(berth.home, 'bench-body.json');
    writeFileSync(bodyFile, JSON.stringify(check.body));

    const baselineOf = async (args) => {
      const bare = await startChild([new URL('./bare-server.js', import.meta.url).pathname, berth.home, ...args], /ready (\d+)/);
      try {
        return summary(await load(`https://127.0.0.1:${bare.match[1]}/constant`, { ca: berth.ca, duration }));
      } finally {
        bare.child.kill();
      }
    };
    // Rounds alternate Berth and the bare server, so a slow spell of the machine weighs on both.
    const rounds = [];
    for (let i = 0; i < ROUNDS; i++) {
      const full = summary(await load(target, { token: berth.token, ca: berth.ca, duration }));
      const sameBody = await baselineOf([bodyFile]);
      rounds.push({ berth: full, bareFastifySameBody: sameBody, ratio: +(full.requestsPerSecond / sameBody.requestsPerSecond).toFixed(2) });
    }
    const middle = [...rounds].sort((x, y) => x.ratio - y.ratio)[ROUNDS >> 1];
    const tinyBody = await baselineOf([]);
    return {
      name: 'workspace GET vs bare Fastify HTTPS',
      workspacesStored: workspaces,
      seedPutsPerSecond: Math.round((workspaces * 1000) / seedMs),
      waitForCreatesAfterSeedingMs: drainMs,
      responseBytes: Buffer.byteLength(JSON.stringify(check.body)),
      rounds,
      medianRound: middle,
      ratioSameBody: middle.ratio,
      bareFastifyTinyBody: tinyBody,
      ratioTinyBody: +(middle.berth.requestsPerSecond / tinyBody.requestsPerSecond).toFixed(2),
      targets: 'ratio >= 0.5, p99 <= 10 ms',
    };
  } finally {
    await berth.stop();
  }
}
