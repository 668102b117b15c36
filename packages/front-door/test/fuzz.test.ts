import { expect, it } from 'vitest';
import { formatReport, runFuzz } from '../../../test-support/fuzz/harness.js';

// A short, seeded run of the fuzzer (`npm run fuzz` runs 10,000 requests); FUZZ_SEED replays another seed.
it('answers 1,000 fuzzed ARM and Kubernetes API requests with no 5xx, well-shaped refusals and no change after a refusal', async () => {
  const report = await runFuzz({ seed: Number(process.env.FUZZ_SEED ?? 20_240_611), requests: 1000 });
  expect(report.findings, formatReport(report)).toEqual([]);
  expect(report.requests).toBe(1000);
}, 180_000);
