import { defineConfig } from 'vitest/config';

// Each test file provisions its own databases and Redis key prefix (test/support), so
// files run in parallel against the same servers.
export default defineConfig({
  test: {
    include: ['services/**/*.test.ts', 'apps/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'e2e/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
