/**
 * Buffers final results per run and writes them with `store.execution.recordResults` (the one atomic,
 * exactly-once write) in batches, then adds the fleet metrics of what was recorded and, given
 * the run's target, its per-minute throughput counter (shared queue-stats.ts).
 */
import {
  type Logger,
  type RecordOutcome,
  type ResultRecord,
  type RunStore,
  type StoredResult,
  type ThroughputCounters,
  TRACE_ATTRS,
  withSpan,
} from '@runledger/shared';
import { RecordRetry } from './record-retry.js';

/** Upper bounds (ms) of the item latency histogram buckets written to fleet metrics; `inf` last. */
export const LATENCY_BUCKETS_MS = [
  5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
] as const;

/** What the fleet metrics count of a result (a `StoredResult` is one): its status and latency, ms. */
export interface MetricInput {
  status: StoredResult['status'];
  latencyMs?: number | undefined;
}

/**
 * Fleet metric increments for results newly recorded, with the field names the API reads:
 * `items_total:<status>`, `item_latency_ms_sum`, `item_latency_ms_count`,
 * `item_latency_ms_bucket:<le>` (NON-cumulative: a latency counts in the first bucket >= it,
 * `inf` past the last) and `runs_finished:completed` when `finished`.
 */
export function metricIncrements(
  results: readonly MetricInput[],
  finished: boolean,
): Record<string, number> {
  // counted into locals and arrays first: no field name is built per result
  const byStatus = { succeeded: 0, failed: 0, cancelled: 0 };
  const buckets: number[] = new Array(LATENCY_BUCKETS_MS.length + 1).fill(0);
  let latencySum = 0;
  let latencyCount = 0;
  for (const r of results) {
    byStatus[r.status]++;
    const ms = r.latencyMs;
    if (ms === undefined) continue;
    latencySum += ms;
    latencyCount++;
    let b = 0;
    while (b < LATENCY_BUCKETS_MS.length && !(ms <= LATENCY_BUCKETS_MS[b]!)) b++; // NaN: inf
    buckets[b]!++;
  }
  const out: Record<string, number> = {};
  for (const status of ['succeeded', 'failed', 'cancelled'] as const) {
    if (byStatus[status] > 0) out[`items_total:${status}`] = byStatus[status];
  }
  if (latencyCount > 0) {
    // keep the float sum exact to 2 decimals, as latencies are
    out.item_latency_ms_sum = Math.round(latencySum * 100) / 100;
    out.item_latency_ms_count = latencyCount;
    for (let b = 0; b < buckets.length; b++) {
      if (buckets[b]! > 0) {
        out[`item_latency_ms_bucket:${LATENCY_BUCKETS_MS[b] ?? 'inf'}`] = buckets[b]!;
      }
    }
  }
  if (finished) out['runs_finished:completed'] = 1;
  return out;
}

/** Options of a `ResultWriter`. */
export interface ResultWriterOptions {
  /**
   * The store modules it uses: `execution` (the record script), `events` (the budget stop's
   * cancel) and `fleet` (metrics).
   */
  store: Pick<RunStore, 'execution' | 'events' | 'fleet'>;
  logger: Logger;
  /** Results buffered per run that trigger a write. @defaultValue 100 */
  maxBatch?: number;
  /** Longest a result waits in the buffer, ms. @defaultValue 100 */
  maxDelayMs?: number;
  /**
   * Per-target items-per-minute counters: each write adds the results it newly recorded (one
   * INCRBY per batch) when `add` was given the run's target. @defaultValue none (not counted)
   */
  throughput?: ThroughputCounters;
  /**
   * Called (awaited, after the write's callers were answered) when a write ended its run:
   * completed, or failed by its budget. The worker prunes the run's keep-last group here.
   */
  onRunEnded?: (runId: string) => Promise<void>;
}

/**
 * One run's buffer: its records and the one promise every `add` of them returns (settled by the
 * write that takes them: one promise per batch, not one per result).
 */
interface RunBuffer {
  records: ResultRecord[];
  timer: NodeJS.Timeout;
  target: string | undefined;
  written: Promise<RecordOutcome>;
  resolve(outcome: RecordOutcome): void;
  reject(err: unknown): void;
}

/**
 * Batches results per run: a run's buffer is written when it holds `maxBatch` results or
 * `maxDelayMs` after its first one, or at once on `flush(runId)`.
 *
 * @example
 * const writer = new ResultWriter({ store, logger });
 * const outcome = await writer.add(runId, { index, result }); // resolves once written
 */
export class ResultWriter {
  private readonly buffers = new Map<string, RunBuffer>();
  private readonly writes = new Set<Promise<void>>();
  private readonly maxBatch: number;
  private readonly maxDelayMs: number;
  /** Writes wait out Redis out of memory, failover, outage (./record-retry.ts). */
  private readonly retry: RecordRetry;

  constructor(private readonly options: ResultWriterOptions) {
    this.maxBatch = options.maxBatch ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 100;
    this.retry = new RecordRetry({ store: options.store, logger: options.logger });
  }

  /** Results buffered and not written yet. */
  get buffered(): number {
    let n = 0;
    for (const b of this.buffers.values()) n += b.records.length;
    return n;
  }

  /**
   * Buffers `record`. Resolves with the outcome of the `recordResults` call that wrote it
   * (`state: 'missing'` when the run is gone); rejects when that call failed (Redis error).
   * `target`: the run's target name, for its throughput counter (not counted without it).
   */
  add(runId: string, record: ResultRecord, target?: string): Promise<RecordOutcome> {
    let buffer = this.buffers.get(runId);
    if (!buffer) {
      let resolve!: (outcome: RecordOutcome) => void;
      let reject!: (err: unknown) => void;
      const written = new Promise<RecordOutcome>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const timer = setTimeout(() => void this.flush(runId), this.maxDelayMs);
      buffer = { records: [], timer, target, written, resolve, reject };
      this.buffers.set(runId, buffer);
    }
    buffer.records.push(record);
    const { written } = buffer;
    if (buffer.records.length >= this.maxBatch) void this.flush(runId);
    return written;
  }

  /** Writes `runId`'s buffer now; resolves when that write ended (its `add` promises settled). */
  async flush(runId: string): Promise<void> {
    const buffer = this.buffers.get(runId);
    if (!buffer) return;
    this.buffers.delete(runId);
    clearTimeout(buffer.timer);
    const write = this.write(runId, buffer);
    this.writes.add(write);
    try {
      await write;
    } finally {
      this.writes.delete(write);
    }
  }

  /** Writes every buffer now and waits for all writes in progress. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.buffers.keys()].map((runId) => this.flush(runId)));
    await Promise.all([...this.writes]);
  }

  private async write(runId: string, buffer: RunBuffer): Promise<void> {
    const { records, target } = buffer;
    let outcome: RecordOutcome;
    // what the metrics count after the write; the batch is kept encoded until Redis answers (and
    // for retries), so the result objects (and the items their outputs point to) die young
    // instead of waiting tens of ms for the reply and being promoted to V8's old generation
    const counted: MetricInput[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const { status, latencyMs } = records[i]!.result;
      counted[i] = { status, latencyMs };
    }
    try {
      const batch = this.options.store.execution.encodeResults(records);
      records.length = 0; // the buffer's array: nothing holds the result objects any more
      // tracing on: the record script as a `runledger.results.record` span
      outcome = await withSpan(
        'runledger.results.record',
        { [TRACE_ATTRS.runId]: runId, [TRACE_ATTRS.resultCount]: batch.count },
        () => this.retry.record(runId, batch),
      );
    } catch (err) {
      buffer.reject(err);
      return;
    }
    buffer.resolve(outcome);
    if (outcome.state === 'ok' && outcome.stopped) {
      // the run reached its budget and ended `failed`: every worker aborts its items, as on cancel
      this.options.logger.info({ runId }, 'run stopped by its budget: publishing cancel');
      try {
        await this.options.store.events.publishCancel(runId);
      } catch (err) {
        this.options.logger.warn({ err, runId }, 'could not publish the budget stop');
      }
      // the script began the run's ending (nothing is claimed or recorded from then on); its
      // items without a result are recorded `cancelled` here, a slice per script call (a failure
      // leaves it to the reconciler, which finishes endings left unfinished)
      if (outcome.done < outcome.total) {
        try {
          await this.options.store.execution.finishRun(runId, 'failed');
        } catch (err) {
          this.options.logger.warn({ err, runId }, 'could not finish the budget stop');
        }
      }
    }
    if (outcome.state === 'ok' && (outcome.finished || outcome.stopped)) {
      await this.options.onRunEnded?.(runId);
    }
    if (outcome.state !== 'ok' || outcome.recorded === 0) return;
    // recordResults says how many were new, not which: when some items had a result already
    // (a rare race), the first `recorded` records are counted.
    counted.length = outcome.recorded;
    const { throughput } = this.options;
    const [metrics, perMinute] = await Promise.allSettled([
      this.options.store.fleet.incrementMetrics(metricIncrements(counted, outcome.finished)),
      throughput && target ? throughput.add(target, outcome.recorded) : Promise.resolve(),
    ]);
    if (metrics.status === 'rejected') {
      this.options.logger.warn({ err: metrics.reason, runId }, 'could not update fleet metrics');
    }
    if (perMinute.status === 'rejected') {
      this.options.logger.warn({ err: perMinute.reason, runId }, 'could not count throughput');
    }
  }
}
