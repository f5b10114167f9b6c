/**
 * BullMQ queues of runledger: one queue per target, whose jobs each carry a chunk of a run's
 * items (`[start, end)` by index), never the items themselves (they live once in Redis).
 */
import { type JobsOptions, Queue } from 'bullmq';
import { KeyLayout, queueNameForTarget } from './keys.js';
import { type BullConnection, bullConnection, type SentinelSettings } from './redis.js';
import type { ChunkJob } from './schemas.js';
import { bullTelemetry } from './tracing.js';

/**
 * Items per job for a run of `totalItems`: small runs are spread over up to 64 jobs so many
 * workers share them; large runs use `maxChunkSize` (fewer Redis round trips per item).
 */
export function chunkSizeFor(totalItems: number, maxChunkSize: number): number {
  return Math.max(1, Math.min(maxChunkSize, Math.ceil(totalItems / 64)));
}

/** The BullMQ job id of chunk `chunk` of `runId` (deterministic: adding it twice is a no-op). */
export function chunkJobId(runId: string, chunk: number): string {
  return `${runId}.${chunk}`;
}

/** Highest BullMQ job priority (lower numbers run sooner). */
export const MAX_JOB_PRIORITY = 2_097_151;

/**
 * BullMQ priority of chunk `chunk` of any run: `chunk + 1` (capped at `MAX_JOB_PRIORITY`). Jobs of
 * equal priority run in insertion order, so runs are served round-robin by chunk position: the
 * chunks of a 10-chunk run submitted after a 1,000-chunk run run before the big run's chunks
 * 10..999 still waiting. (Chunk jobs sit in BullMQ's `prioritized` state, not `waiting`.)
 */
export function chunkPriority(chunk: number): number {
  return Math.min(chunk + 1, MAX_JOB_PRIORITY);
}

/**
 * Options of chunk jobs. Item attempts and backoff are handled per item inside the job; BullMQ's
 * own attempts only cover infrastructure failures of a whole chunk (e.g. Redis unreachable).
 * Finished jobs are removed at once: results live in the run store, not in BullMQ.
 */
export const CHUNK_JOB_OPTIONS: JobsOptions = {
  attempts: 20,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: true,
};

/** Options of `RunQueues`. */
export interface RunQueuesOptions {
  redisUrl: string;
  /** Key prefix; BullMQ gets it hash-tagged (`{prefix}`). @defaultValue `runledger` */
  prefix?: string;
  /** Redis Cluster mode (`REDIS_CLUSTER`): `redisUrl` is a seed node. @defaultValue false */
  cluster?: boolean;
  /** Redis Sentinel (`REDIS_SENTINELS`, see `redisTopology`). @defaultValue none */
  sentinel?: SentinelSettings | undefined;
}

/** Producer side of the chunk queues (used by the API): enqueue and remove a run's jobs. */
export class RunQueues {
  private readonly queues = new Map<string, Queue<ChunkJob>>();
  private readonly keys: KeyLayout;
  /** The connection all queues share, made on first use; closed by `close()` after the queues. */
  private connection: BullConnection | null = null;

  constructor(private readonly options: RunQueuesOptions) {
    this.keys = new KeyLayout(options.prefix ?? 'runledger');
  }

  /** The queue of `target`, created on first use. */
  queue(target: string): Queue<ChunkJob> {
    let queue = this.queues.get(target);
    if (!queue) {
      this.connection ??= bullConnection(this.options.redisUrl, 'command', {
        cluster: this.options.cluster ?? false,
        sentinel: this.options.sentinel,
      });
      // tracing on: `addBulk` producer spans, their context carried in each job (bullmq-otel)
      const telemetry = bullTelemetry();
      queue = new Queue<ChunkJob>(queueNameForTarget(target), {
        connection: this.connection.connection,
        prefix: this.keys.bullPrefix,
        defaultJobOptions: CHUNK_JOB_OPTIONS,
        streams: { events: { maxLen: 1000 } },
        ...(telemetry ? { telemetry } : {}),
      });
      this.queues.set(target, queue);
    }
    return queue;
  }

  /**
   * Adds one job per chunk of `chunkSize` items, in batches of 1000 jobs, chunk c with priority
   * `chunkPriority(c)` (fairness between runs). Returns the job count.
   */
  async enqueueRun(
    runId: string,
    target: string,
    totalItems: number,
    chunkSize: number,
  ): Promise<number> {
    const chunks: number[] = [];
    for (let chunk = 0; chunk * chunkSize < totalItems; chunk++) chunks.push(chunk);
    return this.enqueueChunks(runId, target, totalItems, chunkSize, chunks);
  }

  /**
   * Adds the jobs of chunks `chunks` (chunk c = items `[c * chunkSize, (c + 1) * chunkSize)`,
   * clipped to `totalItems`) with their deterministic ids, in batches of 1000 jobs: a chunk
   * whose job exists already is left as it is. Returns the number of chunks given.
   */
  async enqueueChunks(
    runId: string,
    target: string,
    totalItems: number,
    chunkSize: number,
    chunks: number[],
  ): Promise<number> {
    const queue = this.queue(target);
    const jobs: { name: string; data: ChunkJob; opts: JobsOptions }[] = chunks.map((chunk) => {
      const start = chunk * chunkSize;
      const data: ChunkJob = { runId, chunk, start, end: Math.min(start + chunkSize, totalItems) };
      return {
        name: 'chunk',
        data,
        opts: { jobId: chunkJobId(runId, chunk), priority: chunkPriority(chunk) },
      };
    });
    for (let i = 0; i < jobs.length; i += 1000) await queue.addBulk(jobs.slice(i, i + 1000));
    return jobs.length;
  }

  /**
   * Removes a run's jobs that no worker holds (waiting, delayed). Jobs a worker holds are left to
   * it: it sees the run cancelled or gone and stops (BullMQ forbids moving a locked job).
   * Returns how many jobs were removed.
   */
  async removeRunJobs(
    runId: string,
    target: string,
    totalItems: number,
    chunkSize: number,
  ): Promise<number> {
    const queue = this.queue(target);
    const chunks = Math.ceil(totalItems / chunkSize);
    let removed = 0;
    for (let c = 0; c < chunks; c += 100) {
      const batch: Promise<number>[] = [];
      for (let chunk = c; chunk < Math.min(c + 100, chunks); chunk++) {
        batch.push(queue.remove(chunkJobId(runId, chunk)).catch(() => 0));
      }
      removed += (await Promise.all(batch)).reduce((a, b) => a + b, 0);
    }
    return removed;
  }

  /** Job counts (waiting, active, delayed, prioritized) of each of `targets`' queues. */
  async depth(targets: string[]): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const target of targets) {
      out[target] = await this.queue(target).getJobCounts(
        'waiting',
        'active',
        'delayed',
        'prioritized',
      );
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    await this.connection?.close();
    this.connection = null;
  }
}
