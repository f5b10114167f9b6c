import { defineConfig } from 'vitest/config';

/**
 * What both suites (this one and vitest.faults.config.ts) resolve with: the workspace packages'
 * TypeScript sources (their `@runledger/source` export condition), never their built dist.
 */
export const sourceConditions = {
  resolve: { conditions: ['@runledger/source'] },
  ssr: { resolve: { conditions: ['@runledger/source'] } },
};

export default defineConfig({
  ...sourceConditions,
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/faults/**', '**/node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
