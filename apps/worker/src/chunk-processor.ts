/**
 * Processing one chunk job (`[start, end)` item indexes of a run): claim the chunk's items
 * (`store.execution.claimItems` is the gate, with a claim lease: claim-lease.ts), start each as a slot frees
 * up, execute it with retries, score successes, and hand results to the `ResultWriter`. Also the
 * process-local state of runs: cancelled runs, each run's cancel signal and concurrency limit,
 * and the spec cache.
 */
import { setMaxListeners } from 'node:events';
import {
  type ChunkJob,
  type ClaimOutcome,
  failedResult,
  type Logger,
  lazyChildLogger,
  type RecordOutcome,
  type RunStore,
  runledgerTracer,
  type ScorerDefinition,
  type Scrubber,
  type StoredItem,
  type StoredResult,
  type StoredSpec,
  scrubberFor,
  type TargetDefinition,
  TRACE_ATTRS,
  withSpan,
} from '@runledger/shared';
import { ClaimLeaseManager } from './claim-lease.js';
import { AttemptAbort, createSlots, Semaphore, type Slots } from './concurrency.js';
import { executeItem } from './execute-item.js';
import type { PriceTable } from './prices.js';
import { scrubbingLogger, scrubResult } from './privacy.js';
import { type AttemptGate, createAttemptGate, type TargetLimiter } from './rate-limits.js';
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

/**
 * One chunk's hold on a run's process-local state (the state lives while any chunk of the run
 * holds it: a reference count, not a lease).
 */
export interface RunHold {
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
    { controller: AbortController; semaphore: Semaphore | null; holds: number }
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
  enter(runId: string, concurrency: number | undefined): RunHold {
    let state = this.active.get(runId);
    if (!state) {
      state = {
        controller: new AbortController(),
        semaphore: concurrency ? new Semaphore(concurrency) : null,
        holds: 0,
      };
      setMaxListeners(0, state.controller.signal); // one listener per item in flight
      if (this.isCancelled(runId)) state.controller.abort(new RunCancelledError(runId));
      this.active.set(runId, state);
    }
    state.holds++;
    const s = state;
    let released = false;
    return {
      signal: s.controller.signal,
      semaphore: s.semaphore,
      release: () => {
        if (released) return;
        released = true;
        if (--s.holds === 0 && this.active.get(runId) === s) this.active.delete(runId);
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
  /** The store modules a chunk uses: claims (`execution`) and run slots (`fleet`). */
  store: Pick<RunStore, 'execution' | 'fleet'>;
  targets: Registry<TargetDefinition>;
  scorers: Registry<ScorerDefinition>;
  writer: ResultWriter;
  runs: LocalRuns;
  /** The process-wide limit of items in flight (`WORKER_CONCURRENCY`). */
  slots: Semaphore;
  logger: Logger;
  workerId: string;
  /**
   * Claim lease, ms (`RUNLEDGER_CLAIM_LEASE_MS`, the same value the API waits on cancel): an
   * attempt may start until this long after the claim that allowed it was sent.
   */
  leaseMs: number;
  /** Fires when shutdown begins: no new item starts, no new retry starts. */
  stopSignal: AbortSignal;
  /** Fires at the shutdown deadline: attempts in flight abort (their items are handed back). */
  shutdownSignal: AbortSignal;
  /** Rate limits of targets, shared by the fleet (`RUNLEDGER_TARGET_LIMITS`). @defaultValue none */
  limiters?: Map<string, TargetLimiter>;
  /** Price table (`RUNLEDGER_PRICES`). @defaultValue {} */
  prices?: PriceTable;
}

/**
 * Margin added to `execution.timeoutMs` for the expiry of a fleet-wide run slot, ms: a slot not
 * released by then (its worker died) frees itself.
 */
export const RUN_SLOT_EXPIRY_MARGIN_MS = 10_000;

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
 * Processes one chunk. Claims every item of the chunk in one `claimItems` call (with the run's
 * spec when it is not cached), then starts items as slots free up, each within its claim lease
 * (claiming again when it ran out; the rule is explained on `ClaimLeaseManager`), and resolves
 * only after every result it produced was recorded.
 * @throws the first Redis error met (the job fails and BullMQ retries it; results recorded stay).
 */
export async function processChunk(
  task: ChunkTask,
  deps: ChunkProcessorDeps,
): Promise<ChunkOutcome> {
  const { store, runs, stopSignal, leaseMs } = deps;
  const { runId, start, end } = task;
  // lazy: most chunks never log, and a pino child per chunk serializes and redacts its bindings
  const logger = lazyChildLogger(deps.logger, { runId, chunk: task.chunk });
  if (runs.isCancelled(runId)) return 'done';
  if (stopSignal.aborted) return 'handback';

  const cached = runs.getSpec(runId);
  const leases = new ClaimLeaseManager({
    execution: store.execution,
    runId,
    start,
    end,
    leaseMs,
    isCancelled: () => runs.isCancelled(runId),
  });
  const claim = await leases.claimChunk(!cached);
  if (claim.state !== 'ok') return 'done';
  const spec = cached ?? claim.spec;
  if (!spec) return 'done';
  if (!cached) runs.setSpec(runId, spec);

  const hold = runs.enter(runId, spec.execution.concurrency);
  const slots = createSlots(deps.slots, hold.semaphore);
  const stopOrCancel = new AttemptAbort([stopSignal, hold.signal]);
  const tasks = new TaskGroup();
  const writes: Promise<RecordOutcome>[] = [];
  let ended = false; // the run ended or is gone: start nothing more
  let handback = false;

  // the run's privacy policy: outputs and errors are scrubbed before they are recorded (scorers
  // saw the originals), and so are the error fields of its log lines
  const scrubber = scrubberFor(spec.privacy);
  const record = (index: number, original: StoredResult) => {
    const result = scrubResult(original, scrubber);
    // set, not spread: each result is this chunk's own (made by its attempt), and on Node 20 a
    // spread with an added field (`{ ...result, workerId }`) costs ~0.5 us, an assignment ~0.01
    result.workerId = deps.workerId;
    const write = deps.writer.add(runId, { index, result }, spec.target.name);
    // results of one batch share its promise, and a written batch never comes back: watch each
    // batch once
    if (writes.at(-1) === write) return;
    write.then(
      (o) => {
        if (o.state === 'missing') ended = true;
      },
      () => {},
    );
    writes.push(write);
  };

  const gate = createAttemptGate({
    fleet: store.fleet,
    runId,
    concurrency: spec.execution.concurrency,
    slotExpiryMs: spec.execution.timeoutMs + RUN_SLOT_EXPIRY_MARGIN_MS,
    holderPrefix: deps.workerId,
    limiter: deps.limiters?.get(spec.target.name),
    onError: (err) => logger.warn({ err }, 'run slot release or token charge failed'),
  });
  const onResult = (index: number, result: StoredResult | 'handback' | 'gone') => {
    if (result === 'handback') handback = true;
    else if (result !== 'gone') record(index, result);
  };
  const context: ChunkContext = {
    onResult,
    task,
    deps,
    gate,
    spec,
    target: deps.targets.get(spec.target.name),
    setupError: setupError(spec, deps),
    targetConfig: spec.target.config ?? {},
    prices: deps.prices ?? {},
    slots,
    hold,
    logger: scrubbingLogger(logger, scrubber),
    isCancelled: () => runs.isCancelled(runId),
    lookupScorer: (name) => deps.scorers.get(name),
    leases,
    scrubber,
  };
  /** Starts an item holding one slot; its first attempt's target call happens in this tick. */
  const startItem = (index: number, item: StoredItem) => {
    tasks.add(runItem(index, item, context));
  };

  // items claimed: those without a result yet, in index order
  let pending: { index: number; item: StoredItem }[] = [];
  for (const { index, item } of claim.items) {
    if (item) pending.push({ index, item });
    else {
      // an item missing from the items hash: nothing can run it
      record(
        index,
        failedResult(
          { message: `item ${index} is missing from the run`, type: 'missing_item' },
          { completedAt: Date.now() },
        ),
      );
    }
  }

  let next = 0; // pending[next] is the next item to start
  let loopError: unknown = null;
  try {
    while (next < pending.length && !ended) {
      if (runs.isCancelled(runId) || hold.signal.aborted) break;
      try {
        await slots.acquire(stopOrCancel.signal);
      } catch {
        break;
      }
      const first = pending[next]!;
      if (leases.holds(first.index)) {
        next++;
        startItem(first.index, first.item);
        continue;
      }
      if (runs.isCancelled(runId) || hold.signal.aborted || ended) {
        slots.release();
        break;
      }
      // its lease ran out while it waited: claim it again together with every other pending
      // item of the chunk (one round trip renews all their leases); start now those that can
      // take a slot without waiting, the rest wait for slots under the new lease
      const n = 1 + slots.tryAcquire(pending.length - next - 1);
      const rest = pending.slice(next);
      let again: ClaimOutcome;
      try {
        // renews the lease of every item it returns
        again = await leases.reclaimAll(rest.map((p) => p.index));
      } catch (err) {
        for (let i = 0; i < n; i++) slots.release();
        throw err;
      }
      if (again.state !== 'ok') {
        for (let i = 0; i < n; i++) slots.release();
        ended = true;
        break;
      }
      if (stopSignal.aborted) {
        // shutdown began during the claim: start nothing more, hand the chunk back
        for (let i = 0; i < n; i++) slots.release();
        pending = rest;
        next = 0;
        break;
      }
      // items not returned have a result already (recorded elsewhere): drop them
      const claimed = new Set(again.items.map((c) => c.index));
      pending = rest.filter((p) => claimed.has(p.index));
      next = 0;
      const now = Math.min(n, pending.length);
      for (let i = n; i > now; i--) slots.release();
      for (; next < now; next++) startItem(pending[next]!.index, pending[next]!.item);
    }
  } catch (err) {
    loopError = err;
  }
  stopOrCancel.dispose();
  const taskError = await tasks.settled();
  hold.release();
  await deps.writer.flush(runId);
  const written = await Promise.allSettled(writes);
  const writeFailure = written.find((w) => w.status === 'rejected');
  if (loopError !== null) throw loopError;
  if (taskError !== null) throw taskError.error;
  if (writeFailure) throw (writeFailure as PromiseRejectedResult).reason;
  if (handback) return 'handback';
  if (next < pending.length && !ended && !runs.isCancelled(runId) && !hold.signal.aborted) {
    // the loop stopped for shutdown with items not started yet
    return stopSignal.aborted ? 'handback' : 'done';
  }
  return 'done';
}

/**
 * The items a chunk started: counts those still running and keeps the first error, without a
 * promise or closure per item (`Promise.allSettled` over one promise per item was measurable).
 */
class TaskGroup {
  private running = 0;
  private firstError: { error: unknown } | null = null;
  private idle: (() => void) | null = null;
  private readonly done = () => {
    if (--this.running === 0) this.idle?.();
  };
  private readonly failed = (error: unknown) => {
    this.firstError ??= { error };
    this.done();
  };

  /** Counts `task` until it settles. */
  add(task: Promise<void>): void {
    this.running++;
    task.then(this.done, this.failed);
  }

  /** Resolves once every task added settled: the first error (wrapped), or null. */
  settled(): Promise<{ error: unknown } | null> {
    if (this.running === 0) return Promise.resolve(this.firstError);
    return new Promise((resolve) => {
      this.idle = () => resolve(this.firstError);
    });
  }
}

/** What `runItem` needs besides the item: the chunk's task, deps, run state and gates. */
interface ChunkContext {
  /** Takes an item's final result (recorded), `handback` (shutdown) or `gone` (nothing to record). */
  onResult(index: number, result: StoredResult | 'handback' | 'gone'): void;
  task: ChunkTask;
  deps: ChunkProcessorDeps;
  /** Admission of attempts (fleet-wide run concurrency, target rate limits), or null. */
  gate: AttemptGate | null;
  spec: StoredSpec;
  /** The run's target, when registered here. */
  target: TargetDefinition | undefined;
  /** Why no item of the run can run here (unknown target or scorers), or null. */
  setupError: StoredResult['error'] | null;
  /** The run's `target.config` (`{}` when none; one object for all items). */
  targetConfig: Record<string, unknown>;
  /** `deps.prices`, or `{}`. */
  prices: PriceTable;
  slots: Slots;
  /** The chunk's hold on the run's local state (cancel signal, run semaphore). */
  hold: RunHold;
  logger: Logger;
  isCancelled(): boolean;
  lookupScorer(name: string): ScorerDefinition | undefined;
  /** The claim leases of the chunk's items. */
  leases: ClaimLeaseManager;
  /** The run's privacy policy, compiled (null: nothing scrubbed). */
  scrubber: Scrubber | null;
}

/** Why no item of `spec` can run in this process (unknown target or scorers), or null. */
function setupError(spec: StoredSpec, deps: ChunkProcessorDeps): StoredResult['error'] | null {
  if (!deps.targets.get(spec.target.name)) {
    return {
      message: `target "${spec.target.name}" is not registered here`,
      type: 'unknown_target',
    };
  }
  const unknown = unknownScorers(spec.scorers, (name) => deps.scorers.get(name));
  if (unknown.length === 0) return null;
  const known = deps.scorers
    .list()
    .map((s) => s.name)
    .join(', ');
  return {
    message: `unknown scorer${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${known})`,
    type: 'unknown_scorer',
  };
}

/**
 * Runs one claimed item (holding one slot) and hands its final result, `handback` or `gone` to
 * `chunk.onResult`.
 * Attempt 1's target call happens synchronously within this call (when its lease holds).
 */
async function runItem(index: number, item: StoredItem, chunk: ChunkContext): Promise<void> {
  const { task, deps, spec, target } = chunk;
  if (!target || chunk.setupError) {
    chunk.slots.release();
    const error = chunk.setupError ?? { message: 'no target', type: 'unknown_target' };
    chunk.onResult(index, failedResult(error, { completedAt: Date.now() }));
    return;
  }
  const itemLogger = lazyChildLogger(chunk.logger, { itemId: item.id, itemIndex: index });
  const outcome = await executeItem({
    target,
    runId: task.runId,
    index,
    item,
    config: chunk.targetConfig,
    execution: spec.execution,
    logger: itemLogger,
    runSignal: chunk.hold.signal,
    stopSignal: deps.stopSignal,
    shutdownSignal: deps.shutdownSignal,
    slots: chunk.slots,
    isCancelled: chunk.isCancelled,
    leaseHolds: () => chunk.leases.holds(index),
    reclaim: () => chunk.leases.reclaim(index),
    gate: chunk.gate,
    prices: chunk.prices,
    scrubber: chunk.scrubber,
  });
  if (outcome.kind !== 'result') {
    chunk.onResult(index, outcome.kind);
    return;
  }
  // the result `executeItem` made is this item's own: its queue wait and scores are set on it
  // (a spread with added fields, `{ ...result, queueMs, scores }`, costs ~0.5 us per item on
  // Node 20's V8, ~50x the assignments)
  const { result } = outcome;
  if (result.startedAt !== undefined) {
    result.queueMs = Math.max(0, result.startedAt - task.enqueuedAt);
  }
  if (result.status !== 'succeeded' || spec.scorers.length === 0) {
    chunk.onResult(index, result);
    return;
  }
  const scoring = {
    refs: spec.scorers,
    lookup: chunk.lookupScorer,
    input: item.input,
    output: result.output,
    expectedOutput: item.expectedOutput,
    logger: itemLogger,
  };
  // tracing on: a `runledger.item.score` span under the chunk's span (its attributes are built
  // only then: this runs once per item); built-in scorers answer synchronously (no promise)
  let scores = runledgerTracer()
    ? withSpan(
        'runledger.item.score',
        {
          [TRACE_ATTRS.runId]: task.runId,
          [TRACE_ATTRS.itemId]: item.id,
          [TRACE_ATTRS.itemIndex]: index,
        },
        async () => scoreOutput(scoring),
      )
    : scoreOutput(scoring);
  if (scores instanceof Promise) scores = await scores;
  result.scores = scores;
  chunk.onResult(index, result);
}
