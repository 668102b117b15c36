import { formatReport, runFuzz } from './harness.js';

/** `npm run fuzz`: 10,000 requests (FUZZ_REQUESTS), a random seed unless FUZZ_SEED replays one; exits 1 on any finding. */
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const requests = Number(process.env.FUZZ_REQUESTS ?? 10_000);
console.log(`fuzzing with seed ${seed}, ${requests} requests`);
const report = await runFuzz({ seed, requests, log: (line) => console.log(line) });
console.log(formatReport(report));
process.exit(report.findings.length ? 1 : 0);
