/**
 * The worker process core: one BullMQ `Worker` per served target, the cancel subscriber, the
 * heartbeat, and graceful shutdown (finish or hand back in-flight items, never lose them).
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import {
  annotateActiveSpan,
  type BullConnection,
  bullConnection,
  bullTelemetry,
  type ChunkJob,
  ChunkJobSchema,
  type Config,
  createRedis,
  failureStreakLog,
  type Logger,
  pruneAfterFinishLogged,
  queueNameForTarget,
  RunQueues,
  RunStore,
  redisErrorKind,
  redisTopology,
  type ScorerDefinition,
  type TargetDefinition,
  ThroughputCounters,
  TRACE_ATTRS,
  type WorkerInfo,
  watchRedisConnection,
} from '@runledger/shared';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import { LocalRuns, processChunk } from './chunk-processor.js';
import { Semaphore } from './concurrency.js';
import { loadPriceTable } from './prices.js';
import { createTargetLimiters, loadTargetLimits } from './rate-limits.js';
import { startReconciler } from './reconciler.js';
import { ResultWriter } from './result-writer.js';
import { builtinScorers } from './scorers.js';
import {
  checkConfigSchema,
  createBuiltinTargets,
  describeTargets,
  loadPluginModules,
  Registry,
} from './targets.js';

/** Options of `startWorker`. */
export interface StartWorkerOptions {
  config: Config;
  logger: Logger;
  /**
   * Module paths (resolved against `process.cwd()`) exporting `targets` and/or `scorers`.
   * @defaultValue the comma-separated list in `config.RUNLEDGER_TARGETS`
   */
  modules?: string[];
  /** Targets to serve besides the built-ins and the modules' ones. */
  targets?: TargetDefinition[];
  /** Scorers to know besides the built-ins and the modules' ones. */
  scorers?: ScorerDefinition[];
  /** Worker id. @defaultValue `${hostname}-${pid}-${6 random hex chars}` */
  id?: string;
}

/** A started worker. */
export interface WorkerHandle {
  id: string;
  /**
   * Graceful shutdown: stops taking jobs, lets items in flight finish until `timeoutMs`
   * (default `config.WORKER_SHUTDOWN_TIMEOUT_MS`), then aborts the rest and hands their chunks
   * back to the queue (no result written for them), and closes every Redis connection.
   * Calling it again returns the same promise.
   */
  close(timeoutMs?: number): Promise<void>;
}

/** The reason of the signals fired by shutdown. */
export class ShutdownError extends Error {
  override name = 'ShutdownError';
}

/**
 * Starts a worker: loads modules, subscribes to cancels, starts one BullMQ worker per target
 * (queue `items.<target>`) and the heartbeat. Resolves once it is consuming.
 * @throws Error when a module cannot be loaded, a target/scorer name is invalid or duplicated,
 *   or a target has no zod `configSchema`.
 */
export async function startWorker(options: StartWorkerOptions): Promise<WorkerHandle> {
  const { config } = options;
  const id = options.id ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const logger = options.logger.child({ workerId: id });
  const modules =
    options.modules ??
    config.RUNLEDGER_TARGETS.split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  // bad tables stop the start with a message naming the variable (main.ts exits 1)
  const prices = loadPriceTable(config.RUNLEDGER_PRICES);
  const targetLimits = loadTargetLimits(config.RUNLEDGER_TARGET_LIMITS);
  const plugins = await loadPluginModules(modules);
  for (const target of options.targets ?? []) checkConfigSchema(target, 'startWorker targets');
  const targets = new Registry<TargetDefinition>('target', [
    ...createBuiltinTargets(config),
    ...(options.targets ?? []),
    ...plugins.targets,
  ]);
  const scorers = new Registry<ScorerDefinition>('scorer', [
    ...builtinScorers,
    ...(options.scorers ?? []),
    ...plugins.scorers,
  ]);

  // Cluster, Sentinel or one node: every connection of the process goes the same way
  const topology = redisTopology(config);
  const redis = createRedis(config.REDIS_URL, 'command', {
    connectionName: `runledger-worker-${id}`,
    ...topology,
  });
  const subscriber = createRedis(config.REDIS_URL, 'blocking', {
    connectionName: `runledger-worker-cancel-${id}`,
    ...topology,
  });
  // an outage is logged once (and its end), not at every reconnect attempt
  watchRedisConnection(redis, logger, 'redis connection error', { connection: 'command' });
  watchRedisConnection(subscriber, logger, 'redis connection error', { connection: 'cancel' });
  const store = RunStore.fromConfig(redis, config);
  const runs = new LocalRuns();
  const slots = new Semaphore(config.WORKER_CONCURRENCY);
  // producer side of the chunk queues (lazy: no connection until used): the reconciler adds
  // lost jobs through it, keep-last pruning removes deleted runs' jobs
  const queues = new RunQueues({
    redisUrl: config.REDIS_URL,
    prefix: config.RUNLEDGER_PREFIX,
    ...topology,
  });
  const writer = new ResultWriter({
    store,
    logger,
    throughput: new ThroughputCounters(redis, store.keys),
    // keep-last: the run ended in this process, so it prunes the run's group (shared retention.ts)
    onRunEnded: (runId) => pruneAfterFinishLogged({ store, queues }, runId, logger),
  });
  const stop = new AbortController();
  const shutdown = new AbortController();
  // every attempt in flight listens on these: no listener limit
  setMaxListeners(0, stop.signal, shutdown.signal);
  const startedAt = new Date().toISOString();

  try {
    await store.events.subscribeCancel(subscriber, (runId) => {
      logger.info({ runId }, 'run cancelled: aborting its items here');
      runs.cancel(runId);
    });
  } catch (err) {
    redis.disconnect();
    subscriber.disconnect();
    throw err;
  }

  // heartbeat: served targets with their config JSON Schemas (converted once)
  const advertisedTargets = describeTargets(targets.list(), logger);
  const info = (): WorkerInfo => ({
    id,
    host: hostname(),
    pid: process.pid,
    targets: advertisedTargets,
    scorers: scorers.describe(),
    concurrency: config.WORKER_CONCURRENCY,
    inFlight: slots.inUse,
    startedAt,
    heartbeatAt: new Date().toISOString(),
  });
  let heartbeat: Promise<void> = Promise.resolve();
  // an outage fails every beat: logged once, and its end
  const beats = failureStreakLog(logger, 'heartbeat failed');
  const beat = () => {
    heartbeat = store.fleet.heartbeatWorker(info()).then(beats.succeeded, beats.failed);
  };
  beat();
  const heartbeatTimer = setInterval(beat, config.WORKER_HEARTBEAT_MS);
  heartbeatTimer.unref();

  // one BullMQ worker per target
  const deps = {
    store,
    targets,
    scorers,
    writer,
    runs,
    slots,
    logger,
    workerId: id,
    leaseMs: config.RUNLEDGER_CLAIM_LEASE_MS,
    stopSignal: stop.signal,
    shutdownSignal: shutdown.signal,
    limiters: createTargetLimiters(store, targetLimits),
    prices,
  };
  const processor = async (job: Job<ChunkJob>, token?: string): Promise<void> => {
    const parsed = ChunkJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid chunk job ${job.id}`);
    // tracing on: the job's consumer span (`process items.<target>`) names its run and chunk
    annotateActiveSpan({
      [TRACE_ATTRS.runId]: parsed.data.runId,
      [TRACE_ATTRS.chunk]: parsed.data.chunk,
    });
    const outcome = await processChunk({ ...parsed.data, enqueuedAt: job.timestamp }, deps);
    if (outcome === 'handback') {
      logger.info({ jobId: job.id }, 'shutdown: chunk handed back to the queue');
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
  };
  // on a Cluster, BullMQ is handed Cluster instances it does not close: closed after the workers
  const bullConnections: BullConnection[] = [];
  // tracing on: consumer spans parented to the producer span stored in each job (bullmq-otel)
  const telemetry = bullTelemetry();
  const workers = targets.list().map((target) => {
    const bull = bullConnection(config.REDIS_URL, 'blocking', topology);
    bullConnections.push(bull);
    const worker = new Worker<ChunkJob>(queueNameForTarget(target.name), processor, {
      connection: bull.connection,
      prefix: store.keys.bullPrefix,
      concurrency: config.WORKER_CONCURRENCY,
      lockDuration: config.WORKER_LOCK_MS,
      // a job is moved back to wait by the first stalled check after its lock expired: checking
      // every half lock bounds a killed worker's recovery to ~1.5 x WORKER_LOCK_MS (was ~2 x)
      stalledInterval: Math.max(250, Math.round(config.WORKER_LOCK_MS / 2)),
      maxStalledCount: 10,
      ...(telemetry ? { telemetry } : {}),
    });
    // BullMQ's own Redis errors (a blocking read or lock renewal failing): once per outage
    const bullUp = watchRedisConnection(worker, logger, 'bullmq worker error', {
      target: target.name,
    });
    worker.on('active', bullUp);
    worker.on('completed', bullUp);
    worker.on('failed', (job, err) => {
      if (!job) return;
      // once per chunk attempt: the run, chunk, attempt and error kind, a bounded message (the
      // err serializer never logs a Redis command's arguments, i.e. the results being written)
      const data = job.data as Partial<ChunkJob> | undefined;
      logger.warn(
        {
          err,
          redisKind: redisErrorKind(err),
          jobId: job.id,
          runId: data?.runId,
          chunk: data?.chunk,
          attempt: job.attemptsMade,
          target: target.name,
        },
        'chunk job failed',
      );
    });
    return worker;
  });
  logger.info(
    {
      targets: targets.list().map((t) => t.name),
      scorers: scorers.list().map((s) => s.name),
      concurrency: config.WORKER_CONCURRENCY,
    },
    'worker started',
  );
  // the fleet's guarantee of a terminal state: re-enqueues lost chunk jobs, fails unserved runs
  const reconciler = startReconciler({
    store,
    queues,
    config,
    logger,
    workerId: id,
    servedTargets: targets.list().map((t) => t.name),
  });

  let closing: Promise<void> | null = null;
  const close = (timeoutMs = config.WORKER_SHUTDOWN_TIMEOUT_MS): Promise<void> => {
    closing ??= (async () => {
      logger.info({ timeoutMs }, 'worker closing');
      stop.abort(new ShutdownError('worker closing'));
      clearInterval(heartbeatTimer);
      const reconcilerStopped = reconciler.stop();
      const deregister = heartbeat
        .then(() => store.fleet.removeWorker(id))
        .catch((err: unknown) => logger.warn({ err }, 'could not deregister worker'));
      const closes = workers.map((w) => w.close());
      const deadline = setTimeout(() => {
        logger.warn('shutdown deadline: aborting items in flight, handing them back');
        shutdown.abort(new ShutdownError('shutdown deadline'));
      }, timeoutMs);
      try {
        const settled = await Promise.allSettled(closes);
        for (const s of settled) {
          if (s.status === 'rejected') logger.warn({ err: s.reason }, 'bullmq worker close failed');
        }
      } finally {
        clearTimeout(deadline);
      }
      await Promise.allSettled(bullConnections.map((b) => b.close()));
      await writer.flushAll();
      await reconcilerStopped;
      await queues.close().catch((err: unknown) => logger.warn({ err }, 'queues close failed'));
      await deregister;
      await Promise.allSettled([subscriber.quit(), redis.quit()]);
      subscriber.disconnect();
      redis.disconnect();
      logger.info('worker closed');
    })();
    return closing;
  };

  return { id, close };
}
