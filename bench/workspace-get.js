// GET of one workspace through the full stack (HTTPS, auth, store) with 10,000 workspaces stored,
// against a bare Fastify HTTPS server answering a constant. Both servers run as child processes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, pool, startBerth, startChild, summary } from './lib.js';

export async function workspaceGet({ workspaces = 10_000, duration = 10 } = {}) {
  const berth = await startBerth();
  try {
    const sub = (await berth.call('GET', '/subscriptions?api-version=2020-01-01')).body.value[0].subscriptionId;
    await berth.call('PUT', `/subscriptions/${sub}/resourcegroups/bench?api-version=2021-04-01`, { location: 'westus' });
    const base = `/subscriptions/${sub}/resourceGroups/bench/providers/Microsoft.MachineLearningServices/workspaces`;
    const seedStart = Date.now();
    await pool(Array.from({ length: workspaces }, (_, i) => `ws-${String(i).padStart(5, '0')}`), 32, async (name) => {
      const res = await berth.call('PUT', `${base}/${name}?api-version=2022-10-01`, { location: 'westus' });
      if (res.status !== 201) throw new Error(`seeding ${name}: ${res.status}`);
    });
    const seedMs = Date.now() - seedStart;
    const target = `${berth.url}${base}/ws-05000?api-version=2022-10-01`;
    const check = await berth.call('GET', `${base}/ws-05000?api-version=2022-10-01`);
    if (check.status !== 200) throw new Error(`GET answered ${check.status}`);

    const bodyFile = join(berth.home, 'bench-body.json');
    writeFileSync(bodyFile, JSON.stringify(check.body));

    const full = summary(await load(target, { token: berth.token, ca: berth.ca, duration }));
    const baselineOf = async (args) => {
      const bare = await startChild([new URL('./bare-server.js', import.meta.url).pathname, berth.home, ...args], /ready (\d+)/);
      try {
        return summary(await load(`https://127.0.0.1:${bare.match[1]}/constant`, { ca: berth.ca, duration }));
      } finally {
        bare.child.kill();
      }
    };
    const sameBody = await baselineOf([bodyFile]);
    const tinyBody = await baselineOf([]);
    return {
      name: 'workspace GET vs bare Fastify HTTPS',
      workspacesStored: workspaces,
      seedPutsPerSecond: Math.round((workspaces * 1000) / seedMs),
      berth: full,
      responseBytes: Buffer.byteLength(JSON.stringify(check.body)),
      bareFastifySameBody: sameBody,
      ratioSameBody: +(full.requestsPerSecond / sameBody.requestsPerSecond).toFixed(2),
      bareFastifyTinyBody: tinyBody,
      ratioTinyBody: +(full.requestsPerSecond / tinyBody.requestsPerSecond).toFixed(2),
      targets: 'ratio >= 0.5, p99 < 10 ms',
    };
  } finally {
    await berth.stop();
  }
}
