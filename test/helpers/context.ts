/**
 * Per-test-file context: a unique key prefix on the shared test Redis, a store, and cleanup.
 */
import { type Config, createRedis, loadConfig, RunQueues, RunStore } from '@runledger/shared';
import type { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, inject } from 'vitest';
import { deletePrefix } from './redis-dump.js';

/** The Redis URL provided by test/global-setup.ts. */
export function redisUrl(): string {
  return inject('redisUrl');
}

/**
 * Env-style settings every test app's config starts from (the helpers put the test's own on
 * top): no per-key rate limit. A test file sends bursts of requests with one key, and the
 * default (`RUNLEDGER_RATE_LIMIT_PER_SECOND=50`) answered 429 to whichever request came after
 * the 50th in a second (datasets.test.ts failed so in CI); the rate-limit tests set their own.
 */
export const TEST_APP_ENV: Readonly<Record<string, string>> = {
  RUNLEDGER_RATE_LIMIT_PER_SECOND: '0',
};

/** A fresh prefix, so test files never see each other's keys. */
export function uniquePrefix(label = 't'): string {
  return `rl-${label}-${ulid().toLowerCase()}`;
}

/** Deletes every key under `prefix` (and BullMQ's `{prefix}`); kept in redis-dump.ts, which benchmarks import outside vitest. */
export { deletePrefix };

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  what: string,
  timeoutMs = 20_000,
  everyMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Opens a store on a fresh prefix. Call `close()` in afterAll. */
export function createTestStore(label?: string): {
  store: RunStore;
  redis: Redis;
  prefix: string;
  close(): Promise<void>;
} {
  const prefix = uniquePrefix(label);
  const redis = createRedis(redisUrl());
  const store = new RunStore(redis, { prefix });
  return {
    store,
    redis,
    prefix,
    async close() {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/**
 * `createTestStore(label)` for a whole test file: the store and its Redis client are opened at
 * once (call it at the top level of the file, so tests can destructure `store` and `redis`), and
 * an `afterAll` hook closes them (removes the prefix's keys, disconnects).
 */
export function useTestStore(label: string): ReturnType<typeof createTestStore> {
  const ctx = createTestStore(label);
  afterAll(() => ctx.close());
  return ctx;
}

/**
 * `createTestStore` plus BullMQ queues (`RunQueues`) on its prefix, for tests of in-process
 * workers. Call `close()` in afterAll: it closes the queues, then removes the prefix's keys.
 */
export function createTestQueues(label?: string): ReturnType<typeof createTestStore> & {
  queues: RunQueues;
} {
  const ctx = createTestStore(label);
  const queues = new RunQueues({ redisUrl: redisUrl(), prefix: ctx.prefix });
  return {
    ...ctx,
    queues,
    async close() {
      await queues.close();
      await ctx.close();
    },
  };
}

/**
 * The config of in-process workers of a test on key prefix `prefix`: the suite's Redis, 8 items
 * in flight, a 1 s BullMQ lock; `extra` (env-style strings) on top.
 */
export function workerTestConfig(prefix: string, extra: Record<string, string> = {}): Config {
  return loadConfig({
    REDIS_URL: redisUrl(),
    RUNLEDGER_PREFIX: prefix,
    WORKER_CONCURRENCY: '8',
    WORKER_LOCK_MS: '1000',
    ...extra,
  });
}
