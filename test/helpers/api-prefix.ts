/**
 * API apps built on demand over one key prefix of the suite's Redis, for test files that make
 * many apps with different settings (limits, keys, logging) over the same store: one Redis
 * connection and store for the file, one `RunQueues` per app, and one `close()` that closes
 * them all and removes every key of the prefix.
 */
import { type Config, createRedis, loadConfig, RunQueues, RunStore } from '@runledger/shared';
import type { Redis } from 'ioredis';
import { type TestAppParts, testApp } from './app.js';
import { deletePrefix, redisUrl, TEST_APP_ENV, uniquePrefix } from './context.js';

/** What `prefixApps` hands out; `open()` first (in `beforeAll`), `close()` last. */
export interface PrefixApps {
  /** The fresh key prefix `rl-<label>-...` every app and the store use. */
  readonly prefix: string;
  /** Connects to the suite's Redis and opens the store on the prefix; the connection and the store. */
  open(): { redis: Redis; store: RunStore };
  /** The config of an app: the suite's Redis, the prefix, the `base` env, then `env` on top. */
  config(env?: Record<string, string>): Config;
  /**
   * An app on `config(env)` and the store, with its own `RunQueues`; `parts` (logger, auth) as
   * `testApp` takes them. Its blocking (SSE) connections are kept for `close()`.
   * @throws Error when called before `open()`.
   */
  app(env?: Record<string, string>, parts?: Pick<TestAppParts, 'logger' | 'auth'>): App;
  /** Closes every app's queues and blocking connections, deletes the prefix's keys, disconnects. */
  close(): Promise<void>;
}

type App = ReturnType<typeof testApp>;

/**
 * Apps over the prefix `uniquePrefix(label)`; `base` is env-style settings every app's config
 * starts from (limits, `RUNLEDGER_API_KEYS`, ...), each app's `env` overriding them.
 */
export function prefixApps(label: string, base: Record<string, string> = {}): PrefixApps {
  const prefix = uniquePrefix(label);
  const queues: RunQueues[] = [];
  const blocking: Redis[] = [];
  let opened: { redis: Redis; store: RunStore } | null = null;
  const config = (env: Record<string, string> = {}) =>
    loadConfig({
      REDIS_URL: redisUrl(),
      RUNLEDGER_PREFIX: prefix,
      ...TEST_APP_ENV,
      ...base,
      ...env,
    });
  return {
    prefix,
    open() {
      const redis = createRedis(redisUrl());
      opened = { redis, store: new RunStore(redis, { prefix }) };
      return opened;
    },
    config,
    app(env = {}, parts = {}) {
      if (!opened) throw new Error(`prefixApps(${prefix}): app() before open()`);
      const cfg = config(env);
      const q = new RunQueues({ redisUrl: cfg.REDIS_URL, prefix });
      queues.push(q);
      return testApp({ config: cfg, store: opened.store, queues: q, opened: blocking, ...parts });
    },
    async close() {
      await Promise.all(queues.map((q) => q.close()));
      for (const connection of blocking) connection.disconnect();
      if (!opened) return;
      await deletePrefix(opened.redis, prefix);
      opened.redis.disconnect();
    },
  };
}
