/**
 * The API's OpenAPI document without a server: builds the app with a test config (Redis
 * connections lazy, never opened) and asks it for `/openapi.json` through `app.request()`.
 */
import { createApp } from '@runledger/api';
import { createLogger, createRedis, loadConfig, RunQueues, RunStore } from '@runledger/shared';

/**
 * The OpenAPI 3.1 document `GET /openapi.json` serves, as parsed JSON.
 * @throws when the app answers anything but 200.
 */
export async function dumpOpenApiDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig({ LOG_LEVEL: 'silent', RUNLEDGER_PREFIX: 'runledger-openapi-dump' });
  const redis = createRedis(config.REDIS_URL, 'command', { lazyConnect: true });
  const store = new RunStore(redis, { prefix: config.RUNLEDGER_PREFIX });
  const queues = new RunQueues({ redisUrl: config.REDIS_URL, prefix: config.RUNLEDGER_PREFIX });
  try {
    const app = createApp({
      config,
      store,
      queues,
      logger: createLogger({ level: 'silent' }),
      openBlockingRedis: () => createRedis(config.REDIS_URL, 'blocking', { lazyConnect: true }),
    });
    const response = await app.request('/openapi.json');
    if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  } finally {
    await queues.close();
    redis.disconnect();
  }
}
