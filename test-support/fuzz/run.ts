import { formatReport, runFuzz } from './harness.js';

/**
 * `npm run fuzz`: 10,000 requests (FUZZ_REQUESTS), a random seed unless FUZZ_SEED replays one,
 * on SQLite or, with FUZZ_STORE=postgres and BERTH_TEST_PG, on PostgreSQL; exits 1 on any finding.
 */
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const requests = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const store = process.env.FUZZ_STORE === 'postgres' ? 'postgres' : 'sqlite';
console.log(`fuzzing with seed ${seed}, ${requests} requests, on ${store}`);
const report = await runFuzz({ seed, requests, store, log: (line) => console.log(line) });
console.log(formatReport(report));
process.exit(report.findings.length ? 1 : 0);
