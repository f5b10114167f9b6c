/**
 * Fleet-wide queue statistics per target, for `GET /v1/queues` and the dashboard's workers page:
 * items still to run (from the active runs' counters), and throughput: items recorded per
 * minute, counted in Redis (not in process memory, so every worker and API sees the same
 * figures).
 *
 * Throughput counters: one string key per target and minute, `<prefix>:throughput:{<target>}:<m>`
 * (m = epoch minute), incremented by the worker's result writer by the number of results a
 * `record-results-9` call newly recorded (one INCRBY + EXPIRE pipeline per batch, never per
 * item; results already stored are not counted, so a chunk run twice counts its items once).
 * Keys expire `THROUGHPUT_TTL_SECONDS` after their last increment. The target is the hash tag,
 * so the pipeline and the MGET of a target's minutes stay in one Redis Cluster slot.
 */
import { z } from '@hono/zod-openapi';
import type { KeyLayout } from './keys.js';
import type { RedisClient } from './redis.js';
import type { ActiveRuns } from './store/index.js';

/** Width of one throughput bucket, ms (one minute). */
export const THROUGHPUT_BUCKET_MS = 60_000;

/** Longest throughput window that can be read, minutes (`GET /v1/queues?minutes=`). */
export const THROUGHPUT_MAX_MINUTES = 60;

/** TTL of a throughput bucket key, s: the longest window plus a margin. */
export const THROUGHPUT_TTL_SECONDS = THROUGHPUT_MAX_MINUTES * 60 + 300;

/** Start (epoch ms) of the minute bucket holding `at` (epoch ms). */
export const bucketStart = (at: number): number =>
  Math.floor(at / THROUGHPUT_BUCKET_MS) * THROUGHPUT_BUCKET_MS;

/** One minute of a target's throughput. */
export interface ThroughputBucket {
  /** Start of the minute, epoch ms. */
  start: number;
  /** Items recorded (succeeded, failed or cancelled by a worker) in that minute. */
  items: number;
}

/**
 * Per-target, per-minute counters of recorded items.
 *
 * @example
 * const counters = new ThroughputCounters(redis, new KeyLayout('runledger'));
 * await counters.add('echo', 100);              // one batch of 100 results recorded now
 * await counters.read('echo', 15);              // 15 buckets, oldest first, the current minute last
 */
export class ThroughputCounters {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyLayout,
  ) {}

  /**
   * Counts `items` recorded for `target` at `now` (epoch ms): one round trip (INCRBY and EXPIRE
   * of the minute's key). No-op when `items` <= 0. Throws the Redis error when it fails.
   */
  async add(target: string, items: number, now = Date.now()): Promise<void> {
    if (items <= 0) return;
    const key = this.keys.throughput(target, bucketStart(now) / THROUGHPUT_BUCKET_MS);
    const replies = await this.redis
      .pipeline()
      .incrby(key, items)
      .expire(key, THROUGHPUT_TTL_SECONDS)
      .exec();
    for (const [err] of replies ?? []) if (err) throw err;
  }

  /**
   * The last `minutes` buckets of `target` (1..`THROUGHPUT_MAX_MINUTES`), oldest first; the last
   * one is the current, partial minute. Minutes without items read 0. One MGET.
   */
  async read(target: string, minutes: number, now = Date.now()): Promise<ThroughputBucket[]> {
    const n = Math.max(1, Math.min(THROUGHPUT_MAX_MINUTES, Math.floor(minutes)));
    const current = bucketStart(now);
    const starts = Array.from(
      { length: n },
      (_, i) => current - (n - 1 - i) * THROUGHPUT_BUCKET_MS,
    );
    const values = await this.redis.mget(
      ...starts.map((s) => this.keys.throughput(target, s / THROUGHPUT_BUCKET_MS)),
    );
    return starts.map((start, i) => ({ start, items: Number(values[i] ?? 0) }));
  }
}

/**
 * Items per second over the current and the previous minute: their items divided by the time
 * from the previous minute's start to `now` (60..120 s), so the figure neither drops to 0 at the
 * turn of a minute nor waits for a minute to end. When the previous minute recorded nothing
 * (work that started this minute), over the current minute alone, from its start to `now` (at
 * least 1 s): the idle minute before would show a run that started seconds ago at a tenth of
 * its pace. 0 without buckets. `buckets` oldest first.
 */
export function recentItemsPerSecond(buckets: ThroughputBucket[], now = Date.now()): number {
  const last = buckets.slice(-2);
  if (last.length === 2 && last[0]!.items === 0) last.shift();
  if (last.length === 0) return 0;
  const items = last.reduce((s, b) => s + b.items, 0);
  const seconds = Math.max(1, (now - last[0]!.start) / 1000);
  return Math.round((items / seconds) * 1000) / 1000;
}

/** Items still to run of one target, over its `queued` and `running` runs. */
export interface PendingItems {
  /** Active runs (`queued` or `running`) of the target. */
  runs: number;
  /** Their items without a result: totalItems - (succeeded + failed + cancelled). */
  items: number;
}

/**
 * Items without a result of the active runs (`runs:active`, status `queued` or `running`), by
 * target name. Read only (entries of finished or expired runs are skipped, not pruned: the
 * reconciler prunes them): `ActiveRuns.summaries` without pruning.
 */
export async function pendingItemsByTarget(
  active: Pick<ActiveRuns, 'summaries'>,
): Promise<Map<string, PendingItems>> {
  const out = new Map<string, PendingItems>();
  for (const run of await active.summaries({ prune: false })) {
    const entry = out.get(run.target) ?? { runs: 0, items: 0 };
    entry.runs += 1;
    entry.items += Math.max(0, run.totalItems - run.resultCount);
    out.set(run.target, entry);
  }
  return out;
}

/** One target's queue as `GET /v1/queues` answers it. */
export const QueueStatsSchema = z
  .object({
    target: z.string().openapi({ example: 'echo' }),
    workers: z.number().int().openapi({
      description: 'Live workers serving the target',
      example: 2,
    }),
    jobs: z
      .object({
        waiting: z.number().int(),
        prioritized: z.number().int(),
        active: z.number().int(),
        delayed: z.number().int(),
      })
      .openapi({
        description:
          "Chunk jobs in the target's BullMQ queue (`items.<target>`) by state. Chunk jobs carry a " +
          'priority, so queued ones are `prioritized`; `active` ones are held by a worker; ' +
          '`delayed` ones wait for a retry of the whole chunk.',
        example: { waiting: 0, prioritized: 12, active: 2, delayed: 0 },
      }),
    pending: z
      .object({
        runs: z.number().int().openapi({ description: 'Runs `queued` or `running`' }),
        items: z.number().int().openapi({
          description: 'Their items without a result yet (queued or in flight)',
        }),
      })
      .openapi({ example: { runs: 1, items: 1400 } }),
    throughput: z
      .object({
        itemsPerSecond: z.number().openapi({
          description:
            'Items recorded in the current and previous minute over the seconds since the ' +
            "previous minute's start; when the previous minute recorded none, the current " +
            "minute's items over the seconds since its start",
          example: 23.5,
        }),
        buckets: z
          .array(
            z.object({
              start: z.string().openapi({ description: 'Start of the minute (ISO 8601)' }),
              items: z.number().int().openapi({ description: 'Items recorded in that minute' }),
            }),
          )
          .openapi({
            description:
              'One bucket per minute, oldest first; the last is the current, partial minute',
          }),
      })
      .openapi({
        description:
          'Items recorded by workers (succeeded, failed or cancelled in flight), counted in Redis ' +
          'per minute for the whole fleet; each item counts once',
      }),
  })
  .openapi('QueueStats');
/** One target's queue: depth (chunk jobs, pending items) and throughput. */
export type QueueStats = z.infer<typeof QueueStatsSchema>;

/** `GET /v1/queues`: every known target's queue. */
export const QueueListSchema = z
  .object({
    at: z.string().openapi({ description: 'When the figures were read (ISO 8601)' }),
    bucketMs: z
      .number()
      .int()
      .openapi({ description: 'Width of a throughput bucket, ms', example: 60000 }),
    queues: z.array(QueueStatsSchema).openapi({
      description: 'One entry per target submitted to or served by a live worker, by name',
    }),
  })
  .openapi('QueueList');
/** `GET /v1/queues`'s answer. */
export type QueueList = z.infer<typeof QueueListSchema>;
