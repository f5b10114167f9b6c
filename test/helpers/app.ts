/**
 * An API app (through `app.request()`, no port) over the test Redis on a fresh prefix, with an
 * optional in-process worker, and store-level reads tests share.
 */
import { createApp } from '@runledger/api';
import {
  type Config,
  createLogger,
  createRedis,
  loadConfig,
  type Result,
  type Run,
  RunQueues,
  RunStore,
} from '@runledger/shared';
import { type StartWorkerOptions, startWorker, type WorkerHandle } from '@runledger/worker';
import type { Redis } from 'ioredis';
import { deletePrefix, redisUrl, uniquePrefix, waitFor } from './context.js';

/** What `createAppHarness` started; `close()` stops the worker and removes every key of the prefix. */
export interface AppHarness {
  app: ReturnType<typeof createApp>;
  config: Config;
  redis: Redis;
  store: RunStore;
  queues: RunQueues;
  prefix: string;
  worker: WorkerHandle | null;
  close(): Promise<void>;
}

/**
 * Builds the app on a fresh prefix `rl-<label>-...` with `env` on top of the test Redis config;
 * with `worker`, also starts an in-process worker (its targets/scorers) on the same config.
 */
export async function createAppHarness(
  label: string,
  env: Record<string, string> = {},
  worker?: Pick<StartWorkerOptions, 'targets' | 'scorers'>,
): Promise<AppHarness> {
  const prefix = uniquePrefix(label);
  const config = loadConfig({
    REDIS_URL: redisUrl(),
    RUNLEDGER_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const logger = createLogger({ level: 'silent' });
  const redis = createRedis(config.REDIS_URL);
  const store = new RunStore(redis, { prefix });
  const queues = new RunQueues({ redisUrl: config.REDIS_URL, prefix });
  const app = createApp({
    config,
    store,
    queues,
    logger,
    openBlockingRedis: () => createRedis(config.REDIS_URL, 'blocking'),
  });
  const handle = worker ? await startWorker({ config, logger, ...worker }) : null;
  return {
    app,
    config,
    redis,
    store,
    queues,
    prefix,
    worker: handle,
    async close() {
      await handle?.close(1000);
      await queues.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/** Every result of `runId`, read from the store in item order. */
export async function storedResults(store: RunStore, runId: string): Promise<Result[]> {
  const out: Result[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listResults(runId, { limit: 1000, cursor: cursor ?? undefined });
    out.push(...page.results);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Polls the store until `runId` is terminal; returns the run. */
export const waitTerminal = (store: RunStore, runId: string): Promise<Run> =>
  waitFor(async () => {
    const run = await store.getRun(runId);
    return run && ['completed', 'failed', 'cancelled'].includes(run.status) ? run : null;
  }, `run ${runId} to finish`);
