/**
 * Writes the API's OpenAPI document, exactly as `GET /openapi.json` serves it, to a file — without
 * a server and without Redis: the app is built with a default config and lazily connecting Redis
 * clients (the document route touches neither), then asked with `app.request('/openapi.json')`.
 *
 * Usage: `tsx --conditions=@runledger/source scripts/openapi.ts [out]`
 * (`out` defaults to `test-results/openapi.json`; `-` prints to stdout). `npm run lint:openapi`
 * runs it, then `redocly lint` on the file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApp } from '@runledger/api';
import { createLogger, createRedis, loadConfig, RunQueues, RunStore } from '@runledger/shared';

/** Where the document is written by default (git-ignored). */
export const DEFAULT_OPENAPI_OUT = 'test-results/openapi.json';

/**
 * The served OpenAPI 3.1 document (the parsed JSON of `GET /openapi.json`), built from a default
 * config with no Redis connection ever opened.
 * @throws Error when `/openapi.json` does not answer 200.
 */
export async function buildOpenApiDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const redis = createRedis(config.REDIS_URL, 'command', { lazyConnect: true });
  const queues = new RunQueues({ redisUrl: config.REDIS_URL, prefix: config.RUNLEDGER_PREFIX });
  try {
    const app = createApp({
      config,
      store: new RunStore(redis, { prefix: config.RUNLEDGER_PREFIX }),
      queues,
      logger: createLogger({ level: 'silent' }),
      openBlockingRedis: () => createRedis(config.REDIS_URL, 'blocking', { lazyConnect: true }),
    });
    const res = await app.request('/openapi.json');
    if (res.status !== 200) {
      throw new Error(`GET /openapi.json answered ${res.status}: ${await res.text()}`);
    }
    return (await res.json()) as Record<string, unknown>;
  } finally {
    await queues.close();
    redis.disconnect();
  }
}

/** Writes the document to `out` (pretty JSON, trailing newline); `-` prints it to stdout. */
export async function writeOpenApiDocument(out: string = DEFAULT_OPENAPI_OUT): Promise<void> {
  const text = `${JSON.stringify(await buildOpenApiDocument(), null, 2)}\n`;
  if (out === '-') {
    process.stdout.write(text);
    return;
  }
  await mkdir(dirname(resolve(out)), { recursive: true });
  await writeFile(out, text);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  writeOpenApiDocument(process.argv[2]).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
