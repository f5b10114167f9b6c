/**
 * `startApi`: opens the Redis connections, the run store and the queues, builds the app and
 * serves it with @hono/node-server.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import {
  type Config,
  createRedis,
  type Logger,
  parseListenAddress,
  type RedisClient,
  RunQueues,
  RunStore,
  redisTopology,
} from '@runledger/shared';
import { createApp } from './app.js';
import { bindPolicy } from './auth.js';
import { createMetrics } from './metrics.js';
import { createMetricsApp } from './metrics-server.js';

/** Options of `startApi`. */
export interface StartApiOptions {
  config: Config;
  logger: Logger;
  /** The built dashboard to serve at `/` (e.g. a private build). @defaultValue apps/web/dist */
  webDir?: string;
}

/** A running API server. `close()` stops it, ends open event streams, closes queues and Redis. */
export interface ApiServer {
  /** `http://<host>:<port>` with the real port (also when `PORT` was 0). */
  url: string;
  port: number;
  /** `http://<host>:<port>` of the separate metrics listener (`RUNLEDGER_METRICS_LISTEN`), else null. */
  metricsUrl: string | null;
  close(): Promise<void>;
}

/** How long `close()` waits for open requests before cutting their connections, ms. */
const CLOSE_GRACE_MS = 5000;

/**
 * Starts the API on `config.HOST:config.PORT` (`PORT` 0: a free port). With no API key
 * configured (env or Redis) it listens on 127.0.0.1 whatever `HOST` says, and warns
 * (see `bindPolicy` in ./auth.ts).
 * @throws when the port cannot be bound.
 */
export async function startApi(options: StartApiOptions): Promise<ApiServer> {
  const { config, logger } = options;
  // Cluster, Sentinel or one node: every connection of the process goes the same way
  const topology = redisTopology(config);
  const redis = createRedis(config.REDIS_URL, 'command', {
    connectionName: 'runledger-api',
    ...topology,
  });
  const store = RunStore.fromConfig(redis, config);
  const queues = new RunQueues({
    redisUrl: config.REDIS_URL,
    prefix: config.RUNLEDGER_PREFIX,
    ...topology,
  });
  const streams = new Set<RedisClient>();
  const openBlockingRedis = () => {
    const connection = createRedis(config.REDIS_URL, 'blocking', {
      connectionName: 'runledger-api-sse',
      ...topology,
    });
    streams.add(connection);
    connection.once('end', () => streams.delete(connection));
    return connection;
  };
  const bind = await bindPolicy(config, store, logger);
  const metrics = createMetrics(store, queues);
  const app = createApp({
    config,
    store,
    queues,
    logger,
    openBlockingRedis,
    auth: { required: bind.authRequired },
    metrics,
    ...(options.webDir === undefined ? {} : { webDir: options.webDir }),
  });

  let server: ReturnType<typeof serve>;
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve({ fetch: app.fetch, hostname: bind.hostname, port: config.PORT }, resolve);
    server.once('error', reject);
  }).catch(async (err: unknown) => {
    await queues.close();
    redis.disconnect();
    throw err;
  });
  const urlOf = (a: AddressInfo) =>
    `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  const url = urlOf(address);
  logger.info({ url }, 'api listening');

  // RUNLEDGER_METRICS_LISTEN: /metrics on its own address for the scraper (./metrics-server.ts)
  const metricsListen = parseListenAddress(config.RUNLEDGER_METRICS_LISTEN);
  let metricsServer: ReturnType<typeof serve> | null = null;
  let metricsUrl: string | null = null;
  if (metricsListen) {
    const metricsApp = createMetricsApp({ config, logger }, metrics);
    const metricsAddress = await new Promise<AddressInfo>((resolve, reject) => {
      metricsServer = serve(
        { fetch: metricsApp.fetch, hostname: metricsListen.host, port: metricsListen.port },
        resolve,
      );
      metricsServer.once('error', reject);
    }).catch(async (err: unknown) => {
      server.close();
      await queues.close();
      redis.disconnect();
      throw err;
    });
    metricsUrl = urlOf(metricsAddress);
    logger.info({ url: metricsUrl }, 'metrics listening');
  }

  let closing: Promise<void> | null = null;
  return {
    url,
    port: address.port,
    metricsUrl,
    close() {
      closing ??= (async () => {
        const http = server as ReturnType<typeof serve> & {
          closeIdleConnections?: () => void;
          closeAllConnections?: () => void;
        };
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        const metricsStopped = new Promise<void>((resolve) => {
          const m = metricsServer as
            | (ReturnType<typeof serve> & { closeAllConnections?: () => void })
            | null;
          if (!m) return resolve();
          m.close(() => resolve());
          m.closeAllConnections?.();
        });
        // ends open event streams (their XREAD fails, the stream closes)
        for (const connection of streams) connection.disconnect();
        // keep-alive sockets become idle as their last response ends: close them as they do
        http.closeIdleConnections?.();
        const idle = setInterval(() => http.closeIdleConnections?.(), 50);
        const timer = setTimeout(() => http.closeAllConnections?.(), CLOSE_GRACE_MS);
        await stopped;
        await metricsStopped;
        clearInterval(idle);
        clearTimeout(timer);
        await queues.close();
        await redis.quit().catch(() => redis.disconnect());
        logger.info('api stopped');
      })();
      return closing;
    },
  };
}
