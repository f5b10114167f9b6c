/**
 * An API app (through `app.request()`, no port) over the test Redis on a fresh prefix, with an
 * optional in-process worker.
 */
import { createApp } from '@runledger/api';
import {
  type Config,
  createLogger,
  createRedis,
  loadConfig,
  RunQueues,
  RunStore,
  ValueCipher,
} from '@runledger/shared';
import { type StartWorkerOptions, startWorker, type WorkerHandle } from '@runledger/worker';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect } from 'vitest';
import { deletePrefix, redisUrl, TEST_APP_ENV, uniquePrefix } from './context.js';

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

/** What `openApp` built; `close()` stops the worker and closes the queues (the keys stay). */
export interface OpenedApp {
  app: ReturnType<typeof createApp>;
  store: RunStore;
  queues: RunQueues;
  worker: WorkerHandle | null;
  close(): Promise<void>;
}

/**
 * The API app on `config` over `redis`: a store on `config.RUNLEDGER_PREFIX` (encrypted with
 * `config.RUNLEDGER_ENCRYPTION_KEYS`), its queues, and with `worker` an in-process worker (those
 * targets/scorers) on the same config. Both log to `logger` (default: silent).
 */
export async function openApp(
  config: Config,
  redis: Redis,
  options: {
    logger?: ReturnType<typeof createLogger>;
    worker?: Pick<StartWorkerOptions, 'targets' | 'scorers'>;
  } = {},
): Promise<OpenedApp> {
  const prefix = config.RUNLEDGER_PREFIX;
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const store = new RunStore(redis, {
    prefix,
    cipher: ValueCipher.fromEnv(config.RUNLEDGER_ENCRYPTION_KEYS),
  });
  const queues = new RunQueues({ redisUrl: config.REDIS_URL, prefix });
  const app = testApp({ config, store, queues, logger });
  const worker = options.worker ? await startWorker({ config, logger, ...options.worker }) : null;
  return {
    app,
    store,
    queues,
    worker,
    async close() {
      await worker?.close(1000);
      await queues.close();
    },
  };
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
    ...TEST_APP_ENV,
    ...env,
  });
  const redis = createRedis(config.REDIS_URL);
  const opened = await openApp(config, redis, worker ? { worker } : {});
  return {
    ...opened,
    config,
    redis,
    prefix,
    async close() {
      await opened.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/**
 * `createAppHarness(label, env, worker)` in a `beforeAll` of the enclosing describe (or file),
 * closed in its `afterAll`. Returns the harness's getter: call it inside tests and later hooks.
 * @throws Error when the getter is called before that `beforeAll` ran.
 */
export function useAppHarness(...args: Parameters<typeof createAppHarness>): () => AppHarness {
  let harness: AppHarness | null = null;
  beforeAll(async () => {
    harness = await createAppHarness(...args);
  });
  afterAll(() => harness?.close());
  return () => {
    if (!harness) throw new Error(`app harness ${args[0]} used before its beforeAll`);
    return harness;
  };
}

/**
 * `GET /docs` on `app`, asserted 200 `text/html` holding Swagger UI (`SwaggerUIBundle`); the
 * page's HTML.
 */
export async function docsPage(app: ReturnType<typeof createApp>): Promise<string> {
  const res = await app.request('/docs');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await res.text();
  expect(html).toContain('SwaggerUIBundle');
  return html;
}

/** What `testApp` builds the API app on. */
export interface TestAppParts {
  config: Config;
  store: RunStore;
  queues: RunQueues;
  /** @defaultValue a silent logger */
  logger?: ReturnType<typeof createLogger>;
  /** When given, every blocking connection the app opens (SSE) is pushed here for the caller to disconnect. */
  opened?: Redis[];
  /** `createApp`'s auth options, as given. */
  auth?: CreateAppOptions['auth'];
}

type CreateAppOptions = Parameters<typeof createApp>[0];

/**
 * The API app (`createApp`) on `config`, `store` and `queues`; the blocking connections it opens
 * for SSE go to `config.REDIS_URL`.
 */
export function testApp(parts: TestAppParts): ReturnType<typeof createApp> {
  const { config, store, queues, opened } = parts;
  return createApp({
    config,
    store,
    queues,
    logger: parts.logger ?? createLogger({ level: 'silent' }),
    openBlockingRedis: () => {
      const connection = createRedis(config.REDIS_URL, 'blocking');
      opened?.push(connection);
      return connection;
    },
    ...(parts.auth ? { auth: parts.auth } : {}),
  });
}

/** What `callApp` answers. */
export interface AppAnswer {
  status: number;
  headers: Headers;
  /** The body as text (`''` when empty). */
  text: string;
  /** The body parsed as JSON: null when empty, undefined when it is not JSON. */
  json: unknown;
}

/**
 * `method path` on `app` (`app.request()`, no port): with `key` (not null), as bearer token;
 * with `body` (not undefined), as a JSON body. The status, headers, text and parsed body.
 */
export async function callApp(
  app: ReturnType<typeof createApp>,
  method: string,
  path: string,
  { key, body }: { key?: string | null; body?: unknown } = {},
): Promise<AppAnswer> {
  const res = await app.request(path, {
    method,
    headers: {
      ...(key != null ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * `method path` on `app` with `key` as bearer token and `body` (if any) as JSON; the status and
 * the parsed JSON body (null when empty).
 * @throws SyntaxError when the answer is not JSON.
 */
export async function requestJson<T>(
  app: ReturnType<typeof createApp>,
  method: string,
  path: string,
  body: unknown,
  key: string,
): Promise<{ status: number; body: T }> {
  const answer = await callApp(app, method, path, { key, body });
  return { status: answer.status, body: (answer.text ? JSON.parse(answer.text) : null) as T };
}
