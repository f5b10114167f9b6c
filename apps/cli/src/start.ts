/**
 * Starts the runledger processes in this process: the API, one or more workers, or both, on a
 * Redis found (or launched) by `ensureRedis`. `closeOnSignals` stops them on SIGTERM/SIGINT in
 * order: workers (gracefully, handing back what they cannot finish), then the API, then a
 * private Redis.
 */
import { constants } from 'node:os';
import { startApi } from '@runledger/api';
import {
  type Config,
  type Logger,
  type ScorerDefinition,
  startTracing,
  type TargetDefinition,
} from '@runledger/shared';
import { startWorker } from '@runledger/worker';
import { type EnsuredRedis, ensureRedis } from './redis-launcher.js';

/** Options of `startServices`. */
export interface StartServicesOptions {
  /** Configuration; `REDIS_URL` is replaced by the Redis actually used. */
  config: Config;
  logger: Logger;
  /** Start the API. @defaultValue true */
  api?: boolean;
  /** Number of in-process workers (0: none). @defaultValue 1 */
  workers?: number;
  /** True when `REDIS_URL` was set explicitly: then it is used as is and never replaced. */
  redisUrlGiven: boolean;
  /** Launch a private redis-server when no Redis answers (only `start` does). @defaultValue false */
  launchRedis?: boolean;
  /** Data dir of a private redis-server. @defaultValue '.runledger/redis' */
  redisDir?: string;
  /** Targets registered in every worker, besides those loaded from `config.RUNLEDGER_TARGETS`. */
  targets?: TargetDefinition[];
  /** Scorers registered in every worker, besides those loaded from modules. */
  scorers?: ScorerDefinition[];
  /**
   * The local all-in-one (`runledger start`): let the `http`/`openai` targets of its API and
   * workers call loopback addresses besides public hosts (`RUNLEDGER_HTTP_TARGET_ALLOW` =
   * `LOCAL_TARGET_ALLOW`), unless `RUNLEDGER_HTTP_TARGET_ALLOW` or `RUNLEDGER_API_KEYS` is set
   * (a shared deployment keeps deny-by-default). @defaultValue false
   */
  allowLoopbackTargets?: boolean;
}

/** The allowlist `runledger start` uses: public hosts plus loopback (see `allowLoopbackTargets`). */
export const LOCAL_TARGET_ALLOW = 'public,127.0.0.1,[::1],localhost';

/**
 * The configuration with loopback targets allowed when `allowLoopbackTargets` applies (see
 * `StartServicesOptions`), and the note for the startup line (null when unchanged).
 */
export function localTargetAllow(
  config: Config,
  allowLoopbackTargets: boolean,
): { config: Config; note: string | null } {
  if (!allowLoopbackTargets || config.RUNLEDGER_HTTP_TARGET_ALLOW !== '') {
    return { config, note: null };
  }
  if (config.RUNLEDGER_API_KEYS !== '') return { config, note: null };
  return {
    config: { ...config, RUNLEDGER_HTTP_TARGET_ALLOW: LOCAL_TARGET_ALLOW },
    note: `http/openai targets may call loopback addresses (RUNLEDGER_HTTP_TARGET_ALLOW=${LOCAL_TARGET_ALLOW}; \`runledger api\`/\`worker\` refuse them unless it is set)`,
  };
}

/** What `startServices` started. `apiUrl` is null without an API. `close()` stops everything, once. */
export interface RunningServices {
  config: Config;
  apiUrl: string | null;
  workerIds: string[];
  redis: EnsuredRedis;
  /** What the startup line should add (e.g. that loopback targets are allowed), or null. */
  note: string | null;
  close(): Promise<void>;
}

/**
 * Starts tracing (when `OTEL_EXPORTER_OTLP_*ENDPOINT` is set), Redis (if needed), the API and the
 * workers; `close()` flushes the spans last. When a later step fails, the earlier ones are
 * stopped before the error is thrown.
 * @throws RedisUnavailableError (no Redis), or what startApi/startWorker throw.
 */
export async function startServices(options: StartServicesOptions): Promise<RunningServices> {
  const { logger } = options;
  const tracing = await startTracing({ serviceName: 'runledger' });
  const redis = await ensureRedis({
    url: options.redisUrlGiven ? options.config.REDIS_URL : undefined,
    defaultUrl: options.config.REDIS_URL,
    launch: options.launchRedis ?? false,
    ...(options.redisDir ? { dataDir: options.redisDir } : {}),
    onInfo: (message) => logger.info(message),
  }).catch(async (err: unknown) => {
    await tracing.shutdown();
    throw err;
  });
  const local = localTargetAllow(options.config, options.allowLoopbackTargets ?? false);
  // a private redis-server launched here is a single node, whatever REDIS_CLUSTER says
  const config: Config = {
    ...local.config,
    REDIS_URL: redis.url,
    ...(redis.launched ? { REDIS_CLUSTER: false } : {}),
  };
  const workers: Array<{ id: string; close(timeoutMs?: number): Promise<void> }> = [];
  let api: { url: string; close(): Promise<void> } | null = null;
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      const errors: unknown[] = [];
      await Promise.all(
        workers.map((w) =>
          w.close(config.WORKER_SHUTDOWN_TIMEOUT_MS).catch((err: unknown) => errors.push(err)),
        ),
      );
      if (api) await api.close().catch((err: unknown) => errors.push(err));
      await redis.stop().catch((err: unknown) => errors.push(err));
      await tracing.shutdown().catch((err: unknown) => errors.push(err));
      for (const err of errors) logger.error({ err }, 'error while stopping');
    })();
    return closing;
  };
  try {
    const count = options.workers ?? 1;
    for (let i = 0; i < count; i++) {
      workers.push(
        await startWorker({
          config,
          logger,
          ...(options.targets ? { targets: options.targets } : {}),
          ...(options.scorers ? { scorers: options.scorers } : {}),
        }),
      );
    }
    if (options.api ?? true) api = await startApi({ config, logger });
  } catch (err) {
    await close();
    throw err;
  }
  return {
    config,
    apiUrl: api ? api.url : null,
    workerIds: workers.map((w) => w.id),
    redis,
    note: local.note,
    close,
  };
}

/** Options of `closeOnSignals`. */
export interface CloseOnSignalsOptions {
  /**
   * A repeated signal within this window after the first is taken as the same one delivered
   * twice (npm and tsx pass Ctrl-C on to a process that already got it from the terminal) and
   * ignored; a later one exits at once. Unit: ms. @defaultValue 1000
   */
  duplicateWindowMs?: number;
}

/**
 * Resolves after the first SIGTERM or SIGINT has stopped `services`, with that signal. Another
 * signal while stopping (past `duplicateWindowMs`) exits at once with 128 + its number. The
 * listeners are removed when it resolves.
 */
export async function closeOnSignals(
  services: { close(): Promise<void> },
  logger: Logger,
  options: CloseOnSignalsOptions = {},
): Promise<NodeJS.Signals> {
  const windowMs = options.duplicateWindowMs ?? 1000;
  let firstAt = 0;
  let received: (signal: NodeJS.Signals) => void = () => {};
  const first = new Promise<NodeJS.Signals>((done) => {
    received = done;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt === 0) {
      firstAt = Date.now();
      received(signal);
    } else if (Date.now() - firstAt >= windowMs) {
      logger.warn({ signal }, 'signal received again: exiting at once');
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const signal = await first;
    logger.info({ signal }, 'shutting down (send the signal again to exit at once)');
    await services.close();
    logger.info('stopped');
    return signal;
  } finally {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
  }
}
