/**
 * Processing one chunk job (`[start, end)` item indexes of a run): claim groups of items as
 * slots free up (`store.claimItems` is the gate), execute each with retries, score successes,
 * and hand results to the `ResultWriter`. Also the process-local state of runs: cancelled runs,
 * each run's cancel signal and concurrency limit, and the spec cache.
 */
import { setMaxListeners } from 'node:events';
import type {
  ChunkJob,
  Logger,
  RecordOutcome,
  RunStore,
  ScorerDefinition,
  StoredItem,
  StoredResult,
  StoredSpec,
  TargetDefinition,
} from '@runledger/shared';
import { anySignal, createSlots, executeItem, Semaphore } from './execute-item.js';
import type { ResultWriter } from './result-writer.js';
import { scoreOutput, unknownScorers } from './scorers.js';
import type { Registry } from './targets.js';

/** How long a cancelled run id stays in a worker's local cancelled set, ms (10 minutes). */
export const CANCELLED_TTL_MS = 10 * 60_000;
/** Max run specs cached per process. */
export const SPEC_CACHE_SIZE = 1000;

/** The reason of a run's signal when it is cancelled (or deleted). */
export class RunCancelledError extends Error {
  override name = 'RunCancelledError';
  constructor(readonly runId: string) {
    super(`run ${runId} cancelled`);
  }
}

/** A run's process-local state while chunks of it are being processed here. */
export interface RunLease {
  /** Fires when the run is cancelled. */
  signal: AbortSignal;
  /** The run's `execution.concurrency` limit in this process, or null. */
  semaphore: Semaphore | null;
  /** Ends this chunk's hold on the run's state. */
  release(): void;
}

/**
 * Process-local knowledge of runs: the cancelled set (entries expire after `CANCELLED_TTL_MS`),
 * a cancel signal and concurrency semaphore per run with chunks in progress, and a bounded spec cache.
 */
export class LocalRuns {
  private readonly cancelled = new Map<string, number>();
  private readonly active = new Map<
    string,
    { controller: AbortController; semaphore: Semaphore | null; refs: number }
  >();
  private readonly specs = new Map<string, StoredSpec>();

  /** Marks `runId` cancelled and aborts its items in flight. */
  cancel(runId: string, now = Date.now()): void {
    this.prune(now);
    this.cancelled.set(runId, now + CANCELLED_TTL_MS);
    this.specs.delete(runId);
    this.active.get(runId)?.controller.abort(new RunCancelledError(runId));
  }

  /** True when a cancel of `runId` arrived within `CANCELLED_TTL_MS`. */
  isCancelled(runId: string, now = Date.now()): boolean {
    const until = this.cancelled.get(runId);
    if (until === undefined) return false;
    if (until > now) return true;
    this.cancelled.delete(runId);
    return false;
  }

  /** Takes a hold on the run's local state (created on first use, dropped with the last hold). */
  enter(runId: string, concurrency: number | undefined): RunLease {
    let state = this.active.get(runId);
    if (!state) {
      state = {
        controller: new AbortController(),
        semaphore: concurrency ? new Semaphore(concurrency) : null,
        refs: 0,
      };
      setMaxListeners(0, state.controller.signal); // one listener per item in flight
      if (this.isCancelled(runId)) state.controller.abort(new RunCancelledError(runId));
      this.active.set(runId, state);
    }
    state.refs++;
    const s = state;
    let released = false;
    return {
      signal: s.controller.signal,
      semaphore: s.semaphore,
      release: () => {
        if (released) return;
        released = true;
        if (--s.refs === 0 && this.active.get(runId) === s) this.active.delete(runId);
      },
    };
  }

  getSpec(runId: string): StoredSpec | undefined {
    return this.specs.get(runId);
  }

  setSpec(runId: string, spec: StoredSpec): void {
    if (this.specs.size >= SPEC_CACHE_SIZE) {
      const oldest = this.specs.keys().next().value;
      if (oldest !== undefined) this.specs.delete(oldest);
    }
    this.specs.set(runId, spec);
  }

  private prune(now: number): void {
    for (const [runId, until] of this.cancelled) if (until <= now) this.cancelled.delete(runId);
  }
}

/** What a chunk processor needs. */
export interface ChunkProcessorDeps {
  store: RunStore;
  targets: Registry<TargetDefinition>;
  scorers: Registry<ScorerDefinition>;
  writer: ResultWriter;
  runs: LocalRuns;
  /** The process-wide limit of items in flight (`WORKER_CONCURRENCY`). */
  slots: Semaphore;
  logger: Logger;
  workerId: string;
  /** Fires when shutdown begins: no new group is claimed, no new retry starts. */
  stopSignal: AbortSignal;
  /** Fires at the shutdown deadline: attempts in flight abort (their items are handed back). */
  shutdownSignal: AbortSignal;
}

/** A chunk job and the time its job was created (ms since epoch; `queueMs` counts from it). */
export interface ChunkTask extends ChunkJob {
  enqueuedAt: number;
}

/**
 * `done`: every item of the chunk has a result, or the run ended or is gone (the job completes);
 * `handback`: shutdown left items without a result (the job goes back to the queue).
 */
export type ChunkOutcome = 'done' | 'handback';

/**
 * Processes one chunk. Claims items in groups as large as the free slots (at least one), runs
 * them, and resolves only after every result it produced was recorded.
 * @throws the first Redis error met (the job fails and BullMQ retries it; results recorded stay).
 */
export async function processChunk(
  task: ChunkTask,
  deps: ChunkProcessorDeps,
): Promise<ChunkOutcome> {
  const { store, runs, stopSignal } = deps;
  const { runId, start, end } = task;
  const logger = deps.logger.child({ runId, chunk: task.chunk });
  if (runs.isCancelled(runId)) return 'done';
  if (stopSignal.aborted) return 'handback';

  let spec = runs.getSpec(runId);
  if (!spec) {
    const claim = await store.claimItems(runId, [], { withItems: false, withSpec: true });
    if (claim.state !== 'ok' || !claim.spec) return 'done';
    spec = claim.spec;
    runs.setSpec(runId, spec);
  }
  const runSpec = spec;
  const lease = runs.enter(runId, runSpec.execution.concurrency);
  const slots = createSlots(deps.slots, lease.semaphore);
  const stopOrCancel = anySignal([stopSignal, lease.signal]);
  const tasks: Promise<void>[] = [];
  const writes: Promise<RecordOutcome>[] = [];
  let next = start;
  let ended = false; // the run ended or is gone: claim nothing more
  let handback = false;

  const record = (index: number, result: StoredResult) => {
    result.workerId = deps.workerId;
    const write = deps.writer.add(runId, { index, result });
    write.then(
      (o) => {
        if (o.state === 'missing') ended = true;
      },
      () => {},
    );
    writes.push(write);
  };

  const runOne = async (index: number, item: StoredItem): Promise<void> => {
    const result = await runItem(index, item, runSpec, task, deps, slots, lease, logger);
    if (result === 'handback') handback = true;
    else if (result !== 'gone') record(index, result);
  };

  let loopError: unknown = null;
  try {
    while (next < end && !ended) {
      if (runs.isCancelled(runId) || lease.signal.aborted) break;
      try {
        await slots.acquire(stopOrCancel.signal);
      } catch {
        break;
      }
      const n = 1 + takeMore(deps.slots, lease.semaphore, end - next - 1);
      const indexes: number[] = [];
      for (let i = 0; i < n; i++) indexes.push(next + i);
      let claim: Awaited<ReturnType<RunStore['claimItems']>>;
      try {
        claim = await store.claimItems(runId, indexes, { withItems: true, withSpec: false });
      } catch (err) {
        for (let i = 0; i < n; i++) slots.release();
        throw err;
      }
      if (claim.state !== 'ok') {
        for (let i = 0; i < n; i++) slots.release();
        ended = true;
        break;
      }
      next += n;
      for (let i = claim.items.length; i < n; i++) slots.release();
      for (const { index, item } of claim.items) {
        if (!item) {
          // an item missing from the items hash: nothing can run it
          slots.release();
          record(index, {
            status: 'failed',
            attempts: 0,
            error: { message: `item ${index} is missing from the run`, type: 'missing_item' },
            completedAt: Date.now(),
          });
          continue;
        }
        tasks.push(runOne(index, item));
      }
    }
  } catch (err) {
    loopError = err;
  }
  stopOrCancel.dispose();
  const settled = await Promise.allSettled(tasks);
  lease.release();
  await deps.writer.flush(runId);
  const written = await Promise.allSettled(writes);
  const failure = [...settled, ...written].find((s) => s.status === 'rejected');
  if (loopError !== null) throw loopError;
  if (failure) throw (failure as PromiseRejectedResult).reason;
  if (handback) return 'handback';
  if (next < end && !ended && !runs.isCancelled(runId) && !lease.signal.aborted) {
    // the loop stopped for shutdown with items not claimed yet
    return stopSignal.aborted ? 'handback' : 'done';
  }
  return 'done';
}

/** Takes up to `max` more free slots without waiting (run limit first, then the process limit). */
function takeMore(global: Semaphore, run: Semaphore | null, max: number): number {
  if (max <= 0) return 0;
  const fromRun = run ? run.tryAcquire(max) : max;
  const fromGlobal = global.tryAcquire(fromRun);
  if (run && fromGlobal < fromRun) run.release(fromRun - fromGlobal);
  return fromGlobal;
}

/**
 * Runs one claimed item (holding one slot) and returns its final result, `handback` or `gone`.
 */
async function runItem(
  index: number,
  item: StoredItem,
  spec: StoredSpec,
  task: ChunkTask,
  deps: ChunkProcessorDeps,
  slots: ReturnType<typeof createSlots>,
  lease: RunLease,
  logger: Logger,
): Promise<StoredResult | 'handback' | 'gone'> {
  const { runId } = task;
  const target = deps.targets.get(spec.target.name);
  const unknown = unknownScorers(spec.scorers, (name) => deps.scorers.get(name));
  if (!target || unknown.length > 0) {
    slots.release();
    const error = !target
      ? { message: `target "${spec.target.name}" is not registered here`, type: 'unknown_target' }
      : {
          message: `unknown scorer${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${deps.scorers
            .list()
            .map((s) => s.name)
            .join(', ')})`,
          type: 'unknown_scorer',
        };
    return { status: 'failed', attempts: 0, error, completedAt: Date.now() };
  }
  const itemLogger = logger.child({ itemId: item.id, itemIndex: index });
  const outcome = await executeItem({
    target,
    runId,
    index,
    item,
    config: spec.target.config ?? {},
    execution: spec.execution,
    logger: itemLogger,
    runSignal: lease.signal,
    stopSignal: deps.stopSignal,
    shutdownSignal: deps.shutdownSignal,
    slots,
    isCancelled: () => deps.runs.isCancelled(runId),
    beforeRetry: async () => {
      if (deps.runs.isCancelled(runId)) return false;
      const claim = await deps.store.claimItems(runId, [index], {
        withItems: false,
        withSpec: false,
      });
      return claim.state === 'ok' && claim.items.length === 1;
    },
  });
  if (outcome.kind !== 'result') return outcome.kind;
  const result = outcome.result;
  if (result.startedAt !== undefined)
    result.queueMs = Math.max(0, result.startedAt - task.enqueuedAt);
  if (result.status === 'succeeded' && spec.scorers.length > 0) {
    result.scores = await scoreOutput({
      refs: spec.scorers,
      lookup: (name) => deps.scorers.get(name),
      input: item.input,
      output: result.output,
      expectedOutput: item.expectedOutput,
      logger: itemLogger,
    });
  }
  return result;
}
