// `npm run bench`: runs every benchmark and prints its figures as JSON.
// BENCH_DURATION (seconds per load) shortens runs; BENCH_ONLY=workspace-get,local-cloud,computes,frontend,workloads,studio picks some;
// BERTH_BIN=/path/to/other/checkout/packages/cli/bin/berth.js measures another build.
import { workspaceGet } from './workspace-get.js';
import { localCloud } from './local-cloud.js';
import { computes } from './computes.js';
import { frontend } from './frontend.js';
import { studio } from './studio.js';
import { workloads } from './workloads.js';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const only = process.env.BENCH_ONLY?.split(',');
const benchmarks = [
  ['workspace-get', () => workspaceGet({ duration })],
  ['local-cloud', () => localCloud({ duration })],
  ['computes', () => computes()],
  ['frontend', () => frontend({ duration: Math.min(duration, 8) })],
  ['workloads', () => workloads({ duration: Math.min(duration, 8) })],
  ['studio', () => studio()],
];
for (const [name, run] of benchmarks) {
  if (only && !only.includes(name)) continue;
  console.log(JSON.stringify(await run(), null, 2));
}
