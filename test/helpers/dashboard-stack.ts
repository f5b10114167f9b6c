/**
 * The stack every dashboard browser test runs against: the built dashboard checked, a headless
 * Chromium, and a real API + worker on a fresh Redis prefix of the test Redis.
 */
import { mkdirSync } from 'node:fs';
import { startApi } from '@runledger/api';
import {
  type Config,
  createLogger,
  createRedis,
  loadConfig,
  type TargetDefinition,
} from '@runledger/shared';
import { startWorker } from '@runledger/worker';
import type { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { ensureDashboardBuilt, launchChromium } from './browser.js';
import { deletePrefix, redisUrl, uniquePrefix } from './context.js';

/** What `startDashboardStack` started; `close()` stops it all and deletes the prefix's keys. */
export interface DashboardStack {
  browser: Browser;
  config: Config;
  redis: Redis;
  api: Awaited<ReturnType<typeof startApi>>;
  worker: Awaited<ReturnType<typeof startWorker>>;
  close(): Promise<void>;
}

/**
 * Starts the stack on prefix `uniquePrefix(label)`, with heartbeats every 500 ms and silent logs.
 * @param env more config (e.g. `WORKER_CONCURRENCY`).
 * @param targets the worker's registered targets (omitted: the built-ins only).
 * @throws when the dashboard build is missing or Chromium cannot be found.
 */
export async function startDashboardStack(
  label: string,
  env: Record<string, string> = {},
  targets?: TargetDefinition[],
): Promise<DashboardStack> {
  ensureDashboardBuilt();
  const logger = createLogger({ level: 'silent' });
  const browser = await launchChromium();
  const config = loadConfig({
    REDIS_URL: redisUrl(),
    RUNLEDGER_PREFIX: uniquePrefix(label),
    PORT: '0',
    WORKER_HEARTBEAT_MS: '500',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const redis = createRedis(config.REDIS_URL);
  const api = await startApi({ config, logger });
  const worker = await startWorker({ config, logger, ...(targets ? { targets } : {}) });
  return {
    browser,
    config,
    redis,
    api,
    worker,
    async close() {
      await browser.close();
      await worker.close(1000);
      await api.close();
      await deletePrefix(redis, config.RUNLEDGER_PREFIX);
      redis.disconnect();
    },
  };
}

/** On a failed test, a full-page screenshot at `test-results/web-<name>.png` (best effort). */
export async function screenshotOnFailure(
  state: string | undefined,
  page: Page | undefined,
  name: string,
): Promise<void> {
  if (state !== 'fail' || !page) return;
  mkdirSync('test-results', { recursive: true });
  const file = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80);
  await page.screenshot({ path: `test-results/web-${file}.png`, fullPage: true }).catch(() => {});
}
