/**
 * Executing one item: its attempts, the per-attempt timeout, outcome classification and the
 * backoff between attempts. No Redis here: the caller passes its gates (`reclaim`, `leaseHolds`,
 * `isCancelled`) and the slots that bound how many items run at once.
 */
import { performance } from 'node:perf_hooks';
import { context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import {
  cancelledResult,
  type Execution,
  failedResult,
  type Logger,
  NonRetryableError,
  type ResultError,
  RetryableError,
  runledgerTracer,
  type Scrubber,
  type StoredItem,
  type StoredResult,
  type TargetContext,
  type TargetDefinition,
  TargetError,
  type TargetOutput,
  TRACE_ATTRS,
  type Usage,
} from '@runledger/shared';
import { AttemptAbort, type Slots, sleep } from './concurrency.js';
import { type PriceTable, pricedResult } from './prices.js';
import type { AttemptGate, AttemptTicket } from './rate-limits.js';
import { targetConfig } from './targets/config.js';

// ------------------------------------------------------------------ backoff

/** Longest wait between two attempts, ms (10 minutes; the schema's max `delayMs`). */
export const MAX_BACKOFF_MS = 600_000;

/**
 * The wait before the attempt after attempt `attempt` (1-based) failed, ms.
 * Base: `delayMs` (fixed) or `delayMs * 2^(attempt-1)` (exponential), capped at `MAX_BACKOFF_MS`;
 * then "equal jitter": half the base fixed, half uniformly random, i.e. in `[base/2, base]`
 * (Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015).
 * @param random uniform in [0, 1) (default `Math.random`).
 */
export function backoffDelay(
  backoff: Execution['backoff'],
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(
    MAX_BACKOFF_MS,
    backoff.type === 'fixed' ? backoff.delayMs : backoff.delayMs * 2 ** (attempt - 1),
  );
  const half = base / 2;
  return Math.round(half + random() * half);
}

// ------------------------------------------------------------------ classification

/** How one failed attempt is treated. */
export type AttemptFailure =
  | { kind: 'final'; error: ResultError }
  | { kind: 'retryable'; error: ResultError }
  | { kind: 'cancelled' }
  | { kind: 'shutdown' };

/** The signals of one attempt, checked in this order to tell why it ended. */
export interface AttemptSignals {
  run: AbortSignal;
  shutdown: AbortSignal;
  timedOut: boolean;
  timeoutMs: number;
}

/**
 * Classifies the error of a failed attempt: run cancelled -> `cancelled`; shutdown deadline ->
 * `shutdown` (no result); timeout -> retryable `timeout`; `NonRetryableError` -> `final` with its
 * type and status; any other `TargetError` (`RetryableError` or the base) -> retryable with its
 * type and status; anything else -> retryable `target_error`.
 */
export function classifyFailure(err: unknown, signals: AttemptSignals): AttemptFailure {
  if (signals.run.aborted) return { kind: 'cancelled' };
  if (signals.shutdown.aborted) return { kind: 'shutdown' };
  if (signals.timedOut) {
    return {
      kind: 'retryable',
      error: { message: `attempt timed out after ${signals.timeoutMs} ms`, type: 'timeout' },
    };
  }
  if (err instanceof NonRetryableError) return { kind: 'final', error: errorOf(err) };
  return { kind: 'retryable', error: errorOf(err) };
}

function errorOf(err: unknown): ResultError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof TargetError) {
    return err.status === undefined
      ? { message, type: err.type }
      : { message, type: err.type, status: err.status };
  }
  return { message, type: 'target_error' };
}

// ------------------------------------------------------------------ executing an item

/** Options of `executeItem`. */
export interface ExecuteItemOptions {
  target: TargetDefinition;
  runId: string;
  index: number;
  item: StoredItem;
  /** The run's `target.config` (`{}` when none). */
  config: Record<string, unknown>;
  execution: Execution;
  logger: Logger;
  /** Fires when the run is cancelled: the item ends `cancelled`. */
  runSignal: AbortSignal;
  /** Fires when the process stops starting attempts (shutdown began): waits end, the item is handed back. */
  stopSignal: AbortSignal;
  /** Fires at the shutdown deadline: attempts in flight abort, the item is handed back. */
  shutdownSignal: AbortSignal;
  /** The caller holds one of these when calling; `executeItem` always returns having released it. */
  slots: Slots;
  /** True when the run is known cancelled (checked right before each attempt starts). */
  isCancelled(): boolean;
  /**
   * True while the claim that allowed this item to run is within its lease (see
   * `RUNLEDGER_CLAIM_LEASE_MS`). Checked synchronously right before each attempt's target call,
   * after the cancel checks, in the same tick as that call; when false, `reclaim` runs first.
   */
  leaseHolds(): boolean;
  /**
   * Claims the item again (a gate ordered against cancel, which renews its lease): resolves false
   * when the item must not run (it has a result already, or the run ended or is gone). Awaited
   * before every retry attempt (`attempt` >= 2) and before any attempt whose lease ran out.
   */
  reclaim(attempt: number): Promise<boolean>;
  /** Uniform random in [0, 1) for jitter. @defaultValue Math.random */
  random?: () => number;
  /**
   * Admission before each attempt (fleet-wide run concurrency, target rate limits); a refusal
   * is not an attempt: the slot is given back for the wait. @defaultValue none
   */
  gate?: AttemptGate | null;
  /** Prices that turn usage into `costUsd` when the target reports none. @defaultValue {} */
  prices?: PriceTable;
  /** The run's privacy policy: error messages are scrubbed in attempt spans. @defaultValue none */
  scrubber?: Scrubber | null;
}

/** Most `Retry-After` waits (a `RetryableError` with `retryAfterMs`) one item takes without counting an attempt. */
export const MAX_RETRY_AFTER_WAITS = 20;
/** Longest `Retry-After` wait honoured, ms (10 minutes); longer ones are cut to this. */
export const MAX_RETRY_AFTER_MS = 600_000;

/**
 * What became of an item: a final `result` to record (without `scores`, `queueMs`, `workerId`,
 * which the caller adds), `handback` (shutdown: no result, another worker runs it) or `gone`
 * (the retry gate said no: another result exists or the run ended).
 */
export type ItemOutcome =
  | { kind: 'result'; result: StoredResult; output?: TargetOutput }
  | { kind: 'handback' }
  | { kind: 'gone' };

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Runs attempts of one item until one succeeds, one fails non-retryably, `maxAttempts` are used,
 * the run is cancelled or the process shuts down. Each attempt gets a signal that fires on its
 * timeout (`execution.timeoutMs`), on cancel and at the shutdown deadline, and the target's
 * promise is raced against it, so a target that ignores its signal still ends. Between attempts
 * it waits the backoff holding no slot. An attempt's target call happens in the same tick as the
 * `leaseHolds()` check that allowed it; attempt 1's happens synchronously within this call when
 * the lease holds and the run is not cancelled. Never throws (except for errors of the gates).
 */
export async function executeItem(options: ExecuteItemOptions): Promise<ItemOutcome> {
  const { execution, runSignal, stopSignal, shutdownSignal, slots } = options;
  /** Null while tracing is off: then no span is made. */
  const tracer = runledgerTracer();
  let holding = true;
  let firstStartedAt: number | undefined;
  let lastError: ResultError = { message: 'no attempt ran', type: 'target_error' };
  let lastLatency: number | undefined;
  let attempts = 0;
  let retryAfterWaits = 0;
  /** The previous try was deferred by `Retry-After`: same attempt number again, no backoff. */
  let deferred = false;
  const cancelled = (): ItemOutcome => ({
    kind: 'result',
    result: cancelledResult('run cancelled', {
      completedAt: Date.now(),
      attempts,
      startedAt: firstStartedAt,
      latencyMs: lastLatency,
    }),
  });
  /**
   * Waits `ms` holding no slot, then takes a slot again: null, or the item's outcome when the run
   * was cancelled (`cancelled`) or shutdown began (`handback`) meanwhile.
   */
  const waitWithoutSlot = async (ms: number): Promise<ItemOutcome | null> => {
    slots.release();
    holding = false;
    const waitSignal = new AttemptAbort([runSignal, stopSignal]);
    try {
      await sleep(ms, waitSignal.signal);
      await slots.acquire(waitSignal.signal);
      holding = true;
      return null;
    } catch {
      return runSignal.aborted ? cancelled() : { kind: 'handback' };
    } finally {
      waitSignal.dispose();
    }
  };
  try {
    for (let attempt = 1; attempt <= execution.maxAttempts; attempt++) {
      if (attempt > 1 && !deferred) {
        const stopped = await waitWithoutSlot(
          backoffDelay(execution.backoff, attempt - 1, options.random),
        );
        if (stopped) return stopped;
        if (options.isCancelled()) return cancelled();
        if (!(await options.reclaim(attempt))) return { kind: 'gone' };
        if (stopSignal.aborted) return { kind: 'handback' };
      }
      deferred = false;
      // admission (run concurrency across the fleet, target rate limits): a refusal is no attempt
      let ticket: AttemptTicket | null = null;
      if (options.gate) {
        for (;;) {
          if (options.isCancelled() || runSignal.aborted) return cancelled();
          if (stopSignal.aborted) return { kind: 'handback' };
          const admission = await options.gate.enter();
          if (admission.admitted) {
            ticket = admission.ticket;
            break;
          }
          const stopped = await waitWithoutSlot(admission.waitMs);
          if (stopped) return stopped;
        }
      }
      let tokens = 0;
      let retryAfterMs: number | undefined;
      try {
        for (;;) {
          if (options.isCancelled() || runSignal.aborted) return cancelled();
          if (shutdownSignal.aborted) return { kind: 'handback' };
          // nothing awaits between this check and the target call below
          if (options.leaseHolds()) break;
          if (!(await options.reclaim(attempt))) return { kind: 'gone' };
        }

        attempts = attempt;
        firstStartedAt ??= Date.now();
        /** The item's start: its first attempt's. */
        const startedAt = firstStartedAt;
        const t0 = performance.now();
        const combined = new AttemptAbort([runSignal, shutdownSignal], execution.timeoutMs);
        const span = tracer ? startAttemptSpan(tracer, options, attempt) : null;
        const ended: AttemptEnd = { outcome: 'failed' };
        try {
          let running: Promise<TargetOutput>;
          try {
            const ctx = new AttemptContext(options, attempt, combined);
            // tracing on: the target runs in the attempt span (the http/openai targets send its
            // `traceparent`)
            running = Promise.resolve(
              span
                ? context.with(trace.setSpan(context.active(), span), () =>
                    options.target.run(options.item.input, ctx),
                  )
                : options.target.run(options.item.input, ctx),
            );
          } catch (err) {
            running = Promise.reject(err); // a target that throws synchronously
          }
          const output = await combined.race(running);
          const latencyMs = round2(performance.now() - t0);
          const result = succeededResult(output, attempts, latencyMs, startedAt, options);
          if (result.usage) tokens = result.usage.inputTokens + result.usage.outputTokens;
          ended.outcome = 'succeeded';
          if (result.latencyMs !== undefined) ended.latencyMs = result.latencyMs;
          if (result.usage) ended.usage = result.usage;
          return { kind: 'result', result, output };
        } catch (err) {
          lastLatency = round2(performance.now() - t0);
          ended.latencyMs = lastLatency;
          const failure = classifyFailure(err, {
            run: runSignal,
            shutdown: shutdownSignal,
            timedOut: combined.timedOut,
            timeoutMs: execution.timeoutMs,
          });
          if (failure.kind === 'cancelled') {
            ended.outcome = 'cancelled';
            return cancelled();
          }
          if (failure.kind === 'shutdown') {
            ended.outcome = 'handback';
            return { kind: 'handback' };
          }
          lastError = failure.error;
          ended.error = failure.error;
          ended.outcome =
            failure.kind === 'final' || attempt >= execution.maxAttempts ? 'failed' : 'retry';
          options.logger.debug(
            { runId: options.runId, itemIndex: options.index, attempt, error: failure.error },
            'attempt failed',
          );
          if (
            failure.kind === 'retryable' &&
            err instanceof RetryableError &&
            err.retryAfterMs !== undefined &&
            retryAfterWaits < MAX_RETRY_AFTER_WAITS
          ) {
            // the target said when to come back (HTTP 429 Retry-After): not an attempt
            retryAfterWaits++;
            retryAfterMs = Math.min(MAX_RETRY_AFTER_MS, Math.max(0, err.retryAfterMs));
            attempts = attempt - 1;
            ended.outcome = 'retry';
          } else if (failure.kind === 'final') break;
        } finally {
          combined.dispose();
          if (span) endAttemptSpan(span, ended, options.scrubber ?? null);
        }
      } finally {
        ticket?.done(tokens);
      }
      if (retryAfterMs !== undefined) {
        const stopped = await waitWithoutSlot(retryAfterMs);
        if (stopped) return stopped;
        deferred = true;
        attempt--; // the same attempt number again
      }
    }
    return {
      kind: 'result',
      result: failedResult(lastError, {
        completedAt: Date.now(),
        attempts,
        startedAt: firstStartedAt,
        latencyMs: lastLatency,
      }),
    };
  } finally {
    if (holding) slots.release();
  }
}

const NO_PRICES: PriceTable = {};

/**
 * The `succeeded` result of an attempt that returned `output` after `latencyMs` (ms): usage
 * rounded to whole tokens, a reported finite `costUsd` kept, else priced from the table
 * (`pricedResult`).
 */
function succeededResult(
  output: TargetOutput | undefined,
  attempts: number,
  latencyMs: number,
  startedAt: number,
  options: ExecuteItemOptions,
): StoredResult {
  const result: StoredResult = {
    status: 'succeeded',
    output: output?.output ?? null,
    attempts,
    latencyMs,
    startedAt,
    completedAt: Date.now(),
  };
  const reported = output?.usage;
  if (reported) {
    result.usage = {
      inputTokens: Math.max(0, Math.round(reported.inputTokens)),
      outputTokens: Math.max(0, Math.round(reported.outputTokens)),
    };
  }
  if (typeof output?.costUsd === 'number' && Number.isFinite(output.costUsd)) {
    result.costUsd = output.costUsd;
  }
  // without usage `pricedResult` answers the result itself
  const model = typeof reported?.model === 'string' && reported.model ? reported.model : undefined;
  return pricedResult(result, model, options.config, options.prices ?? NO_PRICES);
}

/**
 * `signal` of an `AttemptContext`: an own, enumerable accessor (so `{ ...ctx }` in a target that
 * wraps its context keeps the signal), one descriptor shared by every attempt.
 */
const SIGNAL_PROPERTY: PropertyDescriptor = {
  get(this: AttemptContext): AbortSignal {
    return this[ATTEMPT_ABORT].signal;
  },
  enumerable: true,
};
/** Where an `AttemptContext` keeps its attempt's abort (a symbol: not a field targets see by name). */
const ATTEMPT_ABORT = Symbol('attemptAbort');

/**
 * The `TargetContext` of one attempt: a class, so an attempt costs one small object (its
 * `signal` is created only when the target reads it, its `config` parsed once per config object).
 */
class AttemptContext implements TargetContext {
  declare readonly signal: AbortSignal;
  readonly [ATTEMPT_ABORT]: AttemptAbort;
  readonly config: Record<string, unknown>;
  readonly runId: string;
  readonly itemId: string;
  readonly itemIndex: number;
  readonly metadata: Record<string, unknown>;
  readonly logger: Logger;

  /** @throws NonRetryableError `invalid_config` (`targetConfig`). */
  constructor(
    options: ExecuteItemOptions,
    readonly attempt: number,
    abort: AttemptAbort,
  ) {
    this[ATTEMPT_ABORT] = abort;
    this.config = targetConfig(options.target, options.config);
    this.runId = options.runId;
    this.itemId = options.item.id;
    this.itemIndex = options.index;
    this.metadata = options.item.metadata ?? {};
    this.logger = options.logger;
    Object.defineProperty(this, 'signal', SIGNAL_PROPERTY);
  }
}

// ------------------------------------------------------------------ tracing

/** How one target call ended, for its span (see `TRACE_ATTRS.outcome`). */
interface AttemptEnd {
  outcome: 'succeeded' | 'retry' | 'failed' | 'cancelled' | 'handback';
  /** Duration of the target call, ms. */
  latencyMs?: number;
  error?: ResultError;
  usage?: Usage;
}

/**
 * Starts the `runledger.item.attempt` span of one target call, a child of the active span (the
 * chunk job's consumer span).
 */
function startAttemptSpan(tracer: Tracer, options: ExecuteItemOptions, attempt: number): Span {
  return tracer.startSpan('runledger.item.attempt', {
    attributes: {
      [TRACE_ATTRS.runId]: options.runId,
      [TRACE_ATTRS.itemId]: options.item.id,
      [TRACE_ATTRS.itemIndex]: options.index,
      [TRACE_ATTRS.attempt]: attempt,
      [TRACE_ATTRS.target]: options.target.name,
    },
  });
}

/** Sets the outcome, latency, `error.type` (status ERROR) and token usage, and ends `span`. */
function endAttemptSpan(span: Span, ended: AttemptEnd, scrubber: Scrubber | null): void {
  span.setAttribute(TRACE_ATTRS.outcome, ended.outcome);
  if (ended.latencyMs !== undefined) span.setAttribute(TRACE_ATTRS.latencyMs, ended.latencyMs);
  if (ended.error) {
    span.setAttribute(TRACE_ATTRS.errorType, ended.error.type);
    const message = scrubber ? scrubber.text(ended.error.message, {}) : ended.error.message;
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  }
  if (ended.usage) {
    span.setAttribute(TRACE_ATTRS.inputTokens, ended.usage.inputTokens);
    span.setAttribute(TRACE_ATTRS.outputTokens, ended.usage.outputTokens);
  }
  span.end();
}
