// `npm run bench`: prints each benchmark's figures as JSON. Set BENCH_DURATION (seconds) to shorten runs.
import { workspaceGet } from './workspace-get.js';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const results = [await workspaceGet({ duration })];
for (const r of results) console.log(JSON.stringify(r, null, 2));
