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
    // expect.poll waits for a page or a run to reach a state; vitest's default (1 s) is a
    // wall-clock window a busy 2-core machine can miss (a dashboard test polling for a page that
    // took longer to load failed once beside a CI run). A poll still fails when the state never
    // comes, 15 s later.
    expect: { poll: { timeout: 15_000 } },
  },
});
