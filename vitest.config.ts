import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more parallel files only add contention with the servers they start.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
