/**
 * Fairness between runs: chunk c of every run is enqueued with BullMQ priority c + 1, so a
 * 10-item run submitted after a 100,000-item run (1,000 chunks) is not starved: it completes
 * while the big run is far from done. Real Redis, one in-process worker.
 */
import {
  type Config,
  chunkJobId,
  chunkPriority,
  createLogger,
  loadConfig,
  MAX_JOB_PRIORITY,
} from '@runledger/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerHandle } from '../apps/worker/src/index.js';
import { createTestQueues, redisUrl, waitFor } from './helpers/context.js';
import { submitRunDirect } from './helpers/submit.js';

const ctx = createTestQueues('fair');
const { store, queues } = ctx;
const logger = createLogger({ level: 'silent' });
let worker: WorkerHandle | null = null;

function config(): Config {
  return loadConfig({
    REDIS_URL: redisUrl(),
    RUNLEDGER_PREFIX: ctx.prefix,
    WORKER_CONCURRENCY: '16',
    WORKER_LOCK_MS: '2000',
  });
}

afterAll(async () => {
  await worker?.close(1000);
  await ctx.close();
});

describe('fairness', () => {
  it('chunk priorities: chunk c gets c + 1, capped at the BullMQ maximum', () => {
    expect([chunkPriority(0), chunkPriority(1), chunkPriority(999)]).toEqual([1, 2, 1000]);
    expect(chunkPriority(5_000_000)).toBe(MAX_JOB_PRIORITY);
  });

  it('a 10-item run submitted after a 100,000-item run completes while the big one is far from done', async () => {
    worker = await startWorker({ config: config(), logger });
    const bigItems = Array.from({ length: 100_000 }, (_, i) => ({ input: i }));
    const big = await submitRunDirect(store, queues, {
      target: { name: 'echo', config: { delayMs: 1 } },
      dataset: { items: bigItems },
    });
    const bigJob = await queues.queue('echo').getJob(chunkJobId(big, 999));
    expect(bigJob?.opts.priority).toBe(1000);
    // the big run is being worked on
    await waitFor(
      async () => ((await store.runs.getRun(big))?.succeededCount ?? 0) > 0,
      'big run started',
    );

    const small = await submitRunDirect(store, queues, {
      target: { name: 'echo', config: { delayMs: 1 } },
      dataset: { items: Array.from({ length: 10 }, (_, i) => ({ input: i })) },
    });
    const done = await waitFor(
      async () => {
        const run = await store.runs.getRun(small);
        return run?.status === 'completed' ? run : null;
      },
      'small run completed',
      20_000,
    );
    const bigRun = (await store.runs.getRun(big))!;
    expect(done.succeededCount).toBe(10);
    expect(bigRun.status).toBe('running');
    // the small run finished while the big one was not half done: order, not a wall-clock window
    expect(bigRun.progress).toBeLessThan(0.5);

    // clean up the big run: cancel, remove its queued (prioritized) jobs, delete it
    await store.execution.finishRun(big, 'cancelled');
    await store.events.publishCancel(big);
    const removed = await queues.removeRunJobs(big, 'echo', 100_000, 100);
    expect(removed).toBeGreaterThan(500);
    await waitFor(async () => {
      const depth = (await queues.depth(['echo'])).echo!;
      return Object.values(depth).every((n) => n === 0);
    }, 'echo queue empty (prioritized jobs removed)');
    expect(await store.runs.deleteRun(big)).toBe(true);
  }, 60_000);
});
