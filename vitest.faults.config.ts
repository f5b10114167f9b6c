/**
 * The fault suite (`npm run test:faults`): real API, worker and redis-server processes killed and
 * restarted (test/faults). Files run one after another (they load the 2 cores), with generous
 * timeouts; the accounting table is printed at the end (test/faults/report-setup.ts).
 */
import { defineConfig } from 'vitest/config';
import { sourceConditions } from './vitest.config.js';

export default defineConfig({
  ...sourceConditions,
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/faults/report-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    sequence: { concurrent: false },
  },
});
