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
  type Run,
  type TargetDefinition,
} from '@runledger/shared';
import { startWorker } from '@runledger/worker';
import type { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { createApiHttp } from './api-http.js';
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

/** The JSON request function of `createApiHttp` (test/helpers/api-http.ts). */
type Http = ReturnType<typeof createApiHttp>['http'];

/**
 * Submits (`POST /v1/runs` through `http`) a run of the registered target `target` over `items`
 * (dataset items: `id`, `input`, optional `expectedOutput`), scored by exact_match with one
 * attempt per item; `extra` adds or overrides spec fields (`name`, `dataset`, ...).
 * @returns the run as the API answered it; fails the test (with the API's answer) unless 201.
 */
export async function submitExactMatchRun(
  http: Http,
  target: string,
  items: { id: string; input: unknown; expectedOutput?: unknown }[],
  extra: Record<string, unknown> = {},
): Promise<Run> {
  const res = await http<Run>('POST', '/v1/runs', {
    target: { name: target },
    dataset: { items },
    scorers: [{ name: 'exact_match' }],
    execution: { maxAttempts: 1 },
    ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}
