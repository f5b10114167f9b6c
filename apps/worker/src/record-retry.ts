/**
 * Result writes that wait out Redis at its limits: a `recordResults` refused because Redis is out
 * of memory, read-only (failover), loading or unreachable is retried with a capped backoff while
 * the results stay in memory, instead of failing the chunk (which would run its items again).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type EncodedResults,
  type Logger,
  type RecordOutcome,
  type RedisErrorKind,
  type RunStore,
  redisErrorKind,
} from '@runledger/shared';

/** First wait before a refused write is retried, ms. */
export const WRITE_RETRY_BASE_MS = 250;
/** Longest wait between retries of a refused write, ms. */
export const WRITE_RETRY_MAX_MS = 5000;
/** How long a refused write is retried before it fails, ms (1 minute). */
export const WRITE_RETRY_FOR_MS = 60_000;

/** Redis error kinds a result write waits out instead of failing at once. */
export const RETRIED_KINDS: ReadonlySet<RedisErrorKind> = new Set([
  'oom',
  'readonly',
  'loading',
  'connection',
  'replication',
]);

/** Options of a `RecordRetry`. */
export interface RecordRetryOptions {
  /** The store module it writes through (`RunStore.execution`). */
  store: Pick<RunStore, 'execution'>;
  logger: Logger;
  /** How long a refused write is retried, ms. @defaultValue `WRITE_RETRY_FOR_MS` */
  retryForMs?: number;
  /** First wait, ms (doubles up to `WRITE_RETRY_MAX_MS`). @defaultValue `WRITE_RETRY_BASE_MS` */
  baseMs?: number;
}

/**
 * `store.execution.recordEncoded` that waits out Redis failures of the kinds in `RETRIED_KINDS`, with one
 * backoff shared by every write of the process (`WRITE_RETRY_BASE_MS` doubling up to
 * `WRITE_RETRY_MAX_MS`). Logs once per run when its writes start being refused (the kind and a bounded message, never
 * the results) and once when they go through again.
 */
export class RecordRetry {
  /** Runs whose writes are refused right now (each logged once per episode). */
  private readonly refused = new Set<string>();
  private readonly retryForMs: number;
  private readonly baseMs: number;
  /**
   * One backoff for the whole process: while Redis refuses writes, every write (of any run,
   * new batches included) waits until `nextTryAt` and then one of them tries (`probing`), so a
   * worker makes one refused attempt per backoff period instead of one per batch.
   */
  private backoffMs = 0;
  private nextTryAt = 0;
  /** While Redis refuses writes, the one write trying again (the others wait for its outcome). */
  private probing: Promise<void> | null = null;

  constructor(private readonly options: RecordRetryOptions) {
    this.retryForMs = options.retryForMs ?? WRITE_RETRY_FOR_MS;
    this.baseMs = options.baseMs ?? WRITE_RETRY_BASE_MS;
  }

  /** Runs whose result writes are being retried now. */
  get waiting(): number {
    return this.refused.size;
  }

  /**
   * Writes `batch` (results of `runId` encoded by `store.execution.encodeResults`); retries while
   * Redis refuses it for a reason waiting can cure, for up to `retryForMs`.
   * @throws the Redis error when it is of another kind, or still refused after `retryForMs`.
   */
  async record(runId: string, batch: EncodedResults): Promise<RecordOutcome> {
    const started = Date.now();
    let refusals = 0;
    for (;;) {
      const pause = this.nextTryAt - Date.now();
      if (pause > 0) {
        await sleep(pause);
        continue;
      }
      // while Redis refuses writes, one write at a time tries again; the others wait for it
      if (this.backoffMs > 0 && this.probing) {
        await this.probing;
        continue;
      }
      let release: (() => void) | null = null;
      if (this.backoffMs > 0) {
        this.probing = new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      try {
        const outcome = await this.options.store.execution.recordEncoded(runId, batch);
        this.backoffMs = 0;
        this.nextTryAt = 0;
        if (refusals > 0 && this.refused.delete(runId)) {
          this.options.logger.info(
            { runId, results: batch.count, refusals },
            'results written after Redis refused them',
          );
        }
        return outcome;
      } catch (err) {
        const kind = redisErrorKind(err);
        if (kind === null || !RETRIED_KINDS.has(kind) || Date.now() - started >= this.retryForMs) {
          this.refused.delete(runId);
          throw err;
        }
        refusals++;
        if (!this.refused.has(runId)) {
          this.refused.add(runId);
          this.options.logger.warn(
            { runId, results: batch.count, redisKind: kind, err },
            'Redis refused the results: kept in memory, retrying with backoff',
          );
        }
        // the shared backoff grows once per backoff period, however many writes were refused
        if (Date.now() >= this.nextTryAt) {
          this.backoffMs = Math.min(Math.max(this.baseMs, this.backoffMs * 2), WRITE_RETRY_MAX_MS);
          this.nextTryAt = Date.now() + this.backoffMs;
        }
      } finally {
        if (release) {
          this.probing = null;
          (release as () => void)();
        }
      }
    }
  }
}
