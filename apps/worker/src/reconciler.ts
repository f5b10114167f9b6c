/**
 * The reconciler: the fleet's guarantee of a terminal state. Every
 * `RUNLEDGER_RECONCILE_INTERVAL_MS` one worker (the holder of the Redis lock
 * `<prefix>:reconciler:lock`, taken with `SET NX PX <interval>`) makes a pass over the queued and
 * running runs that had no event for `RUNLEDGER_RECONCILE_GRACE_MS`:
 *
 * - chunks that still hold items without a result and whose BullMQ job is gone (lost to a Redis
 *   failover or restart, a flushed queue, a bug) are enqueued again with their deterministic job
 *   ids. Results are exactly once, so running a chunk twice is harmless;
 * - a run whose target no live worker serves (heartbeat within 3 x `WORKER_HEARTBEAT_MS`) and that
 *   had no event for `RUNLEDGER_UNSERVED_TARGET_DEADLINE_MS` fails with a clear error (its items
 *   without a result are recorded `cancelled`) instead of staying `queued` or `running` forever.
 *
 * Index entries of runs whose keys are gone are dropped on the way (`store.active.listActiveRuns`;
 * a finished run is settled in its keep-last group before it leaves the index), and runs pruned
 * by keep-last whose deletion was left undone (a process died) are deleted
 * (@runledger/shared retention.ts `deletePrunedRuns`).
 */
import type { ActiveRun, Config, Logger, RunQueues, RunStore } from '@runledger/shared';
import {
  chunkJobId,
  deletePrunedRuns,
  failureStreakLog,
  pruneAfterFinishLogged,
} from '@runledger/shared';

/** The store modules a reconciler pass uses: the lock, live workers, open chunks (`fleet`), the active runs index, ending runs and telling workers. */
export type ReconcilerStore = Pick<
  RunStore,
  'fleet' | 'active' | 'execution' | 'events' | 'runs' | 'retention'
>;

/** Options of `startReconciler`. */
export interface ReconcilerOptions {
  /** The store modules a pass uses. */
  store: ReconcilerStore;
  /** Producer side of the chunk queues (jobs are re-added through it). */
  queues: RunQueues;
  config: Pick<
    Config,
    | 'RUNLEDGER_RECONCILE_INTERVAL_MS'
    | 'RUNLEDGER_RECONCILE_GRACE_MS'
    | 'RUNLEDGER_UNSERVED_TARGET_DEADLINE_MS'
    | 'WORKER_HEARTBEAT_MS'
  >;
  logger: Logger;
  /** This worker's id: the value of the lock while it leads. */
  workerId: string;
  /** Targets this worker serves (counted as served even before its first heartbeat lands). */
  servedTargets: string[];
  /**
   * Start the periodic passes. False: only `runOnce()` runs a pass (tests).
   * @defaultValue true
   */
  autoStart?: boolean;
}

/** What one pass did. */
export interface ReconcileReport {
  /** False when another worker holds the lock: this pass did nothing else. */
  leader: boolean;
  /** Queued and running runs in the index. */
  activeRuns: number;
  /** Of those, runs examined (no event for the grace period or the unserved deadline). */
  examinedRuns: number;
  /** Chunk jobs added again, by run. */
  reenqueued: { runId: string; target: string; chunks: number[] }[];
  /** Runs failed because no live worker serves their target. */
  failed: { runId: string; target: string; error: string }[];
  /**
   * Runs whose early end (cancel, budget stop) its caller began and did not finish (it died
   * between finish-run-9 slices): ended here, with the status it began.
   */
  ended: { runId: string; status: 'cancelled' | 'failed' }[];
  /** Runs deleted by keep-last pruning that a finisher left undone (store/retention.ts pending). */
  pruned: string[];
  /** How long the pass took, ms. */
  durationMs: number;
}

/** A started reconciler. */
export interface Reconciler {
  /** Runs one pass now (taking the lock first; `leader: false` when another worker holds it). */
  runOnce(): Promise<ReconcileReport>;
  /** Stops the periodic passes and waits for a pass in progress. */
  stop(): Promise<void>;
}

/** Chunk job states checked at once. */
const STATE_BATCH = 100;

/**
 * Starts the reconciler of one worker: a pass every `RUNLEDGER_RECONCILE_INTERVAL_MS` (the first
 * one interval after the start); only the lock holder does the work. A failing pass is logged
 * and retried at the next interval.
 */
export function startReconciler(options: ReconcilerOptions): Reconciler {
  const { store, queues, config, workerId } = options;
  const logger = options.logger.child({ component: 'reconciler' });
  const interval = config.RUNLEDGER_RECONCILE_INTERVAL_MS;
  let running: Promise<ReconcileReport> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  /** What follows a run's early end: workers told, its waiting jobs removed, its group pruned. */
  const afterEnd = async (run: ActiveRun) => {
    await store.events.publishCancel(run.id);
    await queues
      .removeRunJobs(run.id, run.target, run.totalItems, run.chunkSize)
      .catch((err: unknown) => logger.warn({ err, runId: run.id }, 'could not remove jobs'));
    await pruneAfterFinishLogged({ store, queues }, run.id, logger);
  };

  const pass = async (): Promise<ReconcileReport> => {
    const began = Date.now();
    const report: ReconcileReport = {
      leader: false,
      activeRuns: 0,
      examinedRuns: 0,
      reenqueued: [],
      failed: [],
      ended: [],
      pruned: [],
      durationMs: 0,
    };
    if (!(await store.fleet.acquireReconcilerLock(workerId, interval))) return report;
    report.leader = true;
    const runs = await store.active.listActiveRuns();
    report.activeRuns = runs.length;
    const grace = config.RUNLEDGER_RECONCILE_GRACE_MS;
    const deadline = config.RUNLEDGER_UNSERVED_TARGET_DEADLINE_MS;
    let served: Set<string> | null = null;
    for (const run of runs) {
      if (stopped) break;
      const now = Date.now();
      const idleMs = now - run.lastEventAt;
      if (idleMs < Math.min(grace, deadline)) continue;
      report.examinedRuns++;
      if (run.ending) {
        // an ending's caller writes a progress event per slice: idle means it is gone
        if (idleMs < grace) continue;
        const outcome = await store.execution.finishRun(run.id, run.ending);
        if (outcome.state === 'missing') continue;
        await afterEnd(run);
        report.ended.push({ runId: run.id, status: run.ending });
        logger.warn({ runId: run.id, status: run.ending }, 'early end left unfinished: finished');
        continue;
      }
      served ??= await liveTargets(store, config.WORKER_HEARTBEAT_MS, options.servedTargets);
      if (!served.has(run.target) && idleMs >= deadline) {
        const error = `no live worker serves target "${run.target}" (waited ${Math.round(idleMs / 1000)} s)`;
        const outcome = await store.execution.finishRun(run.id, 'failed', error);
        if (outcome.state === 'finished') {
          await afterEnd(run);
          report.failed.push({ runId: run.id, target: run.target, error });
          logger.warn({ runId: run.id, target: run.target }, error);
        }
        continue;
      }
      if (idleMs < grace) continue;
      const chunks = await lostChunks(store, queues, run);
      if (chunks.length === 0) continue;
      await queues.enqueueChunks(run.id, run.target, run.totalItems, run.chunkSize, chunks);
      report.reenqueued.push({ runId: run.id, target: run.target, chunks });
      logger.warn(
        { runId: run.id, target: run.target, chunks: chunks.length, idleMs },
        'chunk jobs lost: enqueued again',
      );
    }
    // keep-last: runs pruned from their group whose deletion a crash left undone
    if (!stopped) report.pruned = await deletePrunedRuns({ store, queues });
    report.durationMs = Date.now() - began;
    return report;
  };

  const runOnce = (): Promise<ReconcileReport> => {
    running ??= pass().finally(() => {
      running = null;
    });
    return running;
  };

  // an outage fails every pass: logged once, and its end
  const passes = failureStreakLog(logger, 'reconcile pass failed');
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce()
        .then((report) => {
          passes.succeeded();
          if (report.reenqueued.length > 0 || report.failed.length > 0 || report.pruned.length > 0)
            logger.info({ report }, 'reconcile pass');
        })
        .catch(passes.failed)
        .finally(schedule);
    }, interval);
    timer.unref();
  };
  if (options.autoStart ?? true) schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}

/** Targets served by live workers (heartbeat within 3 heartbeats) plus `own`. */
async function liveTargets(
  store: ReconcilerStore,
  heartbeatMs: number,
  own: string[],
): Promise<Set<string>> {
  const workers = await store.fleet.listWorkers(3 * heartbeatMs);
  return new Set([...own, ...workers.flatMap((w) => w.targets.map((t) => t.name))]);
}

/**
 * Chunks of `run` that hold items without a result and whose job is in no BullMQ state. A job
 * hash left in no list (e.g. by a Redis restart that lost part of the AOF) is removed first, or
 * adding the job again would be a no-op.
 */
async function lostChunks(
  store: ReconcilerStore,
  queues: RunQueues,
  run: ActiveRun,
): Promise<number[]> {
  const open = await store.fleet.findOpenChunks(run.id);
  const queue = queues.queue(run.target);
  const lost: number[] = [];
  for (let i = 0; i < open.length; i += STATE_BATCH) {
    const batch = open.slice(i, i + STATE_BATCH);
    const states = await Promise.all(
      batch.map((chunk) => queue.getJobState(chunkJobId(run.id, chunk))),
    );
    const unknown = batch.filter((_, j) => states[j] === 'unknown');
    await Promise.all(
      unknown.map((chunk) =>
        queue.remove(chunkJobId(run.id, chunk)).catch(() => 0 /* no hash, or locked: add skips */),
      ),
    );
    lost.push(...unknown);
  }
  return lost;
}
