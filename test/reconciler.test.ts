/**
 * The reconciler against a real Redis and real BullMQ queues: chunk jobs lost mid-run (queue
 * obliterated, jobs removed) are enqueued again and the run completes with exact counters; a run
 * whose target no live worker serves fails with a clear error; only the lock holder runs a pass;
 * the worker's own reconciler finishes a run whose queue was flushed.
 */
import { chunkJobId } from '@runledger/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { type Reconciler, startReconciler } from '../apps/worker/src/index.js';
import { waitFor } from './helpers/context.js';
import { useWorkerFixture } from './helpers/engine-workers.js';
import { type RunSpecInput, submitRunDirect } from './helpers/submit.js';

const { store, redis, queues, config, logger, start, closeWorkers, waitForStatus } =
  useWorkerFixture('reconciler', {
    env: {
      WORKER_HEARTBEAT_MS: '200',
      WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
      RUNLEDGER_TARGETS: '',
      // the workers' own reconcilers stay out of the way unless a test asks for them
      RUNLEDGER_RECONCILE_INTERVAL_MS: '600000',
    },
    closeMs: 2000,
  });
const reconcilers: Reconciler[] = [];

/** A reconciler driven by `runOnce()` only, with no grace period. */
function reconciler(workerId: string, extra: Record<string, string> = {}): Reconciler {
  const r = startReconciler({
    store,
    queues,
    config: config({ RUNLEDGER_RECONCILE_GRACE_MS: '0', ...extra }),
    logger,
    workerId,
    servedTargets: [],
    autoStart: false,
  });
  reconcilers.push(r);
  return r;
}

/** HLEN(results) and the bits set in each status bitmap. */
async function stored(runId: string) {
  const k = store.keys.run(runId);
  const [results, succeeded, failed, cancelled] = await Promise.all([
    redis.hlen(k.results),
    redis.bitcount(k.succeeded),
    redis.bitcount(k.failed),
    redis.bitcount(k.cancelled),
  ]);
  return { results, succeeded, failed, cancelled };
}

/**
 * Waits until `runId` is completed (up to `timeoutMs`), then asserts that every one of its
 * `total` items succeeded exactly once, in its counters and in Redis.
 */
async function expectAllSucceeded(runId: string, total: number, timeoutMs?: number) {
  const run = await waitForStatus(runId, 'completed', timeoutMs);
  expect(run).toMatchObject({ succeededCount: total, failedCount: 0, cancelledCount: 0 });
  expect(await stored(runId)).toEqual({
    results: total,
    succeeded: total,
    failed: 0,
    cancelled: 0,
  });
}

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ input: { i } }));

afterEach(async () => {
  await Promise.all(reconcilers.splice(0).map((r) => r.stop()));
  await closeWorkers();
  await redis.del(store.keys.reconcilerLock);
  await queues.queue('echo').obliterate({ force: true });
});

/** Submits `total` items of `{ i }` to `target` in chunks of `chunkSize` (default 10); the run id. */
const submitItems = (target: RunSpecInput['target'], total: number, chunkSize = 10) =>
  submitRunDirect(store, queues, { target, dataset: { items: items(total) } }, { chunkSize });

/** Submits `total` echo items (5 ms each) in chunks of 10; resolves once 20 results are stored. */
async function submitSlowEcho(total: number): Promise<string> {
  const runId = await submitItems({ name: 'echo', config: { delayMs: 5 } }, total);
  const k = store.keys.run(runId);
  await waitFor(async () => (await redis.hlen(k.results)) >= 20, 'first results');
  return runId;
}

describe('findOpenChunks', () => {
  it('returns the chunks holding items without a result, across pages', async () => {
    const runId = await submitItems({ name: 'nobody' }, 95);
    expect(await store.fleet.findOpenChunks(runId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // results for every item of chunks 0..8 but item 41, and none of chunk 9 (items 90..94)
    const records = [];
    for (let i = 0; i < 90; i++) {
      if (i !== 41)
        records.push({ index: i, result: { status: 'succeeded' as const, attempts: 1 } });
    }
    await store.execution.recordResults(runId, records);
    expect(await store.fleet.findOpenChunks(runId)).toEqual([4, 9]);
    expect(await store.fleet.findOpenChunks(runId, 3)).toEqual([4, 9]);
    expect(await store.fleet.findOpenChunks('no-such-run')).toEqual([]);
    await store.execution.finishRun(runId, 'cancelled');
    expect(await store.fleet.findOpenChunks(runId)).toEqual([]);
  });
});

describe('reconciler', () => {
  it('re-enqueues every chunk of a run whose queue was obliterated; the run completes exactly', async () => {
    const total = 200;
    const runId = await submitItems({ name: 'echo' }, total);
    const queue = queues.queue('echo');
    await queue.obliterate({ force: true });
    expect(await queue.getJobState(chunkJobId(runId, 0))).toBe('unknown');

    const report = await reconciler('r1').runOnce();
    expect(report).toMatchObject({ leader: true, activeRuns: 1, examinedRuns: 1, failed: [] });
    expect(report.reenqueued).toEqual([
      { runId, target: 'echo', chunks: Array.from({ length: 20 }, (_, c) => c) },
    ]);
    expect(await queue.getJob(chunkJobId(runId, 19))).toMatchObject({
      data: { runId, chunk: 19, start: 190, end: 200 },
    });
    // a second pass finds every job in place: nothing added
    expect((await reconciler('r1').runOnce()).reenqueued).toEqual([]);

    await start();
    await expectAllSucceeded(runId, total);
  });

  it('re-enqueues only the open chunks whose jobs were removed mid-run', async () => {
    const total = 300;
    const worker = await start({ WORKER_CONCURRENCY: '4' });
    const runId = await submitSlowEcho(total);
    // the jobs nobody holds vanish (waiting ones); the worker stops before taking more
    // (BullMQ's remove answers 1 for a job that does not exist either: the count says little)
    await queues.removeRunJobs(runId, 'echo', total, 10);
    await worker.close(5000);
    // open chunks: those removed, and those the closing worker handed back (delayed jobs)
    const open = await store.fleet.findOpenChunks(runId);
    const states = await Promise.all(
      open.map((c) => queues.queue('echo').getJobState(chunkJobId(runId, c))),
    );
    const lost = open.filter((_, i) => states[i] === 'unknown');
    // 30 chunks: at most 4 were held (concurrency 4) or done when their jobs were removed
    expect(lost.length).toBeGreaterThanOrEqual(20);
    // the rest wait: handed back (delayed) or queued again with their fairness priority
    expect(
      states.filter(
        (s) => s !== 'unknown' && s !== 'delayed' && s !== 'waiting' && s !== 'prioritized',
      ),
    ).toEqual([]);

    const report = await reconciler('r1').runOnce();
    expect(report.reenqueued).toEqual([{ runId, target: 'echo', chunks: lost }]);

    await start();
    await expectAllSucceeded(runId, total);
  });

  it('leaves runs alone within the grace period and runs whose jobs wait', async () => {
    const runId = await submitItems({ name: 'echo' }, 30);
    expect(
      await reconciler('r1', { RUNLEDGER_RECONCILE_GRACE_MS: '60000' }).runOnce(),
    ).toMatchObject({
      leader: true,
      activeRuns: 1,
      examinedRuns: 0,
      reenqueued: [],
      failed: [],
    });
    await redis.del(store.keys.reconcilerLock);
    expect(await reconciler('r2').runOnce()).toMatchObject({
      leader: true,
      examinedRuns: 1,
      reenqueued: [],
      failed: [],
    });
    await store.runs.deleteRun(runId);
  });

  it('fails a run whose target no live worker serves past the deadline, with a clear error', async () => {
    await start(); // a live worker, serving echo (and http), not "nobody"
    await waitFor(
      async () => (await store.fleet.listWorkers(600)).length === 1,
      'worker heartbeat',
    );
    const total = 25;
    const unserved = await submitItems({ name: 'nobody' }, total);
    const served = await submitItems({ name: 'echo', config: { delayMs: 2000 } }, 2, 1);
    const early = await reconciler('r1', {
      RUNLEDGER_UNSERVED_TARGET_DEADLINE_MS: '60000',
      RUNLEDGER_RECONCILE_GRACE_MS: '60000',
    }).runOnce();
    expect(early.failed).toEqual([]);
    expect(await store.runs.getRunStatus(unserved)).toBe('queued');

    await new Promise((r) => setTimeout(r, 50));
    await redis.del(store.keys.reconcilerLock);
    const report = await reconciler('r2', {
      RUNLEDGER_UNSERVED_TARGET_DEADLINE_MS: '20',
      RUNLEDGER_RECONCILE_GRACE_MS: '600000',
    }).runOnce();
    // the wait it reports is whole seconds since the run's last event (0 or more on a busy machine)
    const waited = /^no live worker serves target "nobody" \(waited \d+ s\)$/;
    expect(report.failed).toEqual([
      { runId: unserved, target: 'nobody', error: expect.stringMatching(waited) },
    ]);
    const run = await store.runs.getRun(unserved);
    expect(run).toMatchObject({
      status: 'failed',
      error: report.failed[0]!.error,
      succeededCount: 0,
      failedCount: 0,
      cancelledCount: total,
      progress: 1,
    });
    expect(await stored(unserved)).toEqual({
      results: total,
      succeeded: 0,
      failed: 0,
      cancelled: total,
    });
    // its waiting jobs are gone from the queue; the served run goes on
    expect(await queues.queue('nobody').getJobState(chunkJobId(unserved, 0))).toBe('unknown');
    expect(await waitForStatus(served, 'completed')).toMatchObject({ succeededCount: 2 });
    await queues.queue('nobody').obliterate({ force: true });
  });

  it('finishes a cancel whose caller died between slices: the rest cancelled, jobs removed', async () => {
    const total = 25;
    const runId = await submitItems({ name: 'nobody' }, total);
    // the first finish-run-9 slice (10 items), as a cancel that died after it leaves the run
    const cancelled = store.codec.encodeResult({
      status: 'cancelled',
      attempts: 0,
      error: { message: 'cancelled by request', type: 'cancelled' },
      completedAt: 1000,
    });
    expect(
      await redis.rlFinishRun(
        ...store.keys.runKeyList(runId),
        1000,
        100,
        'cancelled',
        'cancelled by request',
        cancelled,
        10,
      ),
    ).toEqual([1, 10, 10, 1, 'cancelled']);
    expect(await store.runs.getRunStatus(runId)).toBe('queued');
    expect(await stored(runId)).toEqual({ results: 10, succeeded: 0, failed: 0, cancelled: 10 });
    const report = await reconciler('r1', {
      RUNLEDGER_UNSERVED_TARGET_DEADLINE_MS: '600000',
    }).runOnce();
    expect(report).toMatchObject({
      examinedRuns: 1,
      ended: [{ runId, status: 'cancelled' }],
      failed: [],
      reenqueued: [],
    });
    expect(await store.runs.getRun(runId)).toMatchObject({
      status: 'cancelled',
      error: 'cancelled by request',
      cancelledCount: total,
      progress: 1,
    });
    expect(await stored(runId)).toEqual({ results: 25, succeeded: 0, failed: 0, cancelled: 25 });
    expect(await queues.queue('nobody').getJobState(chunkJobId(runId, 0))).toBe('unknown');
    await queues.queue('nobody').obliterate({ force: true });
  });

  it('only the holder of the lock runs a pass', async () => {
    const a = reconciler('worker-a');
    const b = reconciler('worker-b');
    const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
    expect([ra.leader, rb.leader].sort()).toEqual([false, true]);
    const leader = ra.leader ? a : b;
    const other = ra.leader ? b : a;
    const loser = ra.leader ? rb : ra;
    expect(loser).toMatchObject({ activeRuns: 0, examinedRuns: 0, reenqueued: [], failed: [] });
    // the holder renews the lock; the other keeps out until it expires
    expect((await leader.runOnce()).leader).toBe(true);
    expect((await other.runOnce()).leader).toBe(false);
    expect(await redis.pttl(store.keys.reconcilerLock)).toBeGreaterThan(0);
    expect(await redis.get(store.keys.reconcilerLock)).toBe(ra.leader ? 'worker-a' : 'worker-b');
  });

  it("a worker's own reconciler finishes a run whose queue was flushed mid-run", async () => {
    const total = 400;
    await start({
      WORKER_CONCURRENCY: '4',
      RUNLEDGER_RECONCILE_INTERVAL_MS: '200',
      RUNLEDGER_RECONCILE_GRACE_MS: '500',
    });
    const runId = await submitSlowEcho(total);
    await queues.queue('echo').obliterate({ force: true });
    await expectAllSucceeded(runId, total, 30_000);
  });
});
