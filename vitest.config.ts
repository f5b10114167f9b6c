import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@runledger/source'] },
  ssr: { resolve: { conditions: ['@runledger/source'] } },
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
