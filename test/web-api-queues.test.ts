/**
 * `GET /v1/queues` (the workers page's queue depth and throughput) and the per-minute
 * throughput counters the worker's result writer increments (shared queue-stats.ts).
 */
import {
  bucketStart,
  createLogger,
  createRedis,
  KeyLayout,
  pendingItemsByTarget,
  type QueueList,
  type Run,
  RunQueues,
  RunStore,
  recentItemsPerSecond,
  type StoredResult,
  THROUGHPUT_BUCKET_MS,
  ThroughputCounters,
} from '@runledger/shared';
import { ResultWriter } from '@runledger/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, createAppHarness } from './helpers/app.js';
import { createTestStore, redisUrl, uniquePrefix, waitFor } from './helpers/context.js';
import { startRedisCluster } from './helpers/redis-cluster.js';
import { submitRunDirect } from './helpers/submit.js';

describe('ThroughputCounters', () => {
  const t = createTestStore('tput');
  const counters = new ThroughputCounters(t.store.redis, t.store.keys);
  afterAll(() => t.close());

  it('counts items per minute and reads the last N minutes oldest first, zeros included', async () => {
    const t0 = bucketStart(Date.parse('2026-12-01T10:00:30Z'));
    await counters.add('echo', 7, t0 + 1_000);
    await counters.add('echo', 5, t0 + 59_999);
    await counters.add('echo', 3, t0 + 2 * THROUGHPUT_BUCKET_MS);
    await counters.add('other', 100, t0);
    await counters.add('echo', 0, t0); // no-op
    const buckets = await counters.read('echo', 4, t0 + 2 * THROUGHPUT_BUCKET_MS + 30_000);
    expect(buckets).toEqual([
      { start: t0 - THROUGHPUT_BUCKET_MS, items: 0 },
      { start: t0, items: 12 },
      { start: t0 + THROUGHPUT_BUCKET_MS, items: 0 },
      { start: t0 + 2 * THROUGHPUT_BUCKET_MS, items: 3 },
    ]);
    const key = t.store.keys.throughput('echo', t0 / THROUGHPUT_BUCKET_MS);
    expect(await t.redis.ttl(key)).toBeGreaterThan(3600);
    // the previous minute recorded nothing: 3 items over the 30 s of the current minute
    expect(recentItemsPerSecond(buckets, t0 + 2 * THROUGHPUT_BUCKET_MS + 30_000)).toBe(0.1);
    expect(recentItemsPerSecond(buckets.slice(0, 2), t0 + 30_000)).toBe(0.4);
    // with items in both: 12 + 3 over the 90 s since the previous minute's start
    const both = [
      { start: t0, items: 12 },
      { start: t0 + THROUGHPUT_BUCKET_MS, items: 3 },
    ];
    expect(recentItemsPerSecond(both, t0 + THROUGHPUT_BUCKET_MS + 30_000)).toBe(0.167);
    // work that ended: the current minute empty, the previous one counted over 60-120 s
    expect(recentItemsPerSecond([both[0]!, { ...both[1]!, items: 0 }], t0 + 90_000)).toBe(0.133);
    expect(recentItemsPerSecond([], t0)).toBe(0);
  });

  it("the result writer counts a batch's newly recorded results once, per target", async () => {
    const queues = new RunQueues({ redisUrl: redisUrl(), prefix: t.prefix });
    const runId = await submitRunDirect(t.store, queues, {
      target: { name: 'counted' },
      dataset: { items: Array.from({ length: 4 }, (_, i) => ({ input: i })) },
    });
    await queues.close();
    const writer = new ResultWriter({
      store: t.store,
      logger: createLogger({ level: 'silent' }),
      throughput: counters,
    });
    const result = (i: number): StoredResult =>
      ({ status: 'succeeded', output: i, latencyMs: 1, attempts: 1 }) as StoredResult;
    const first = await Promise.all(
      [0, 1, 2].map((i) => writer.add(runId, { index: i, result: result(i) }, 'counted')),
    );
    expect(first[0]).toMatchObject({ state: 'ok', recorded: 3 });
    // a chunk run again: items 0..2 are kept as they were, only item 3 is new
    const again = await Promise.all(
      [0, 1, 2, 3].map((i) => writer.add(runId, { index: i, result: result(i) }, 'counted')),
    );
    expect(again[0]).toMatchObject({ state: 'ok', recorded: 1, finished: true });
    const buckets = await counters.read('counted', 2);
    expect(buckets.reduce((s, b) => s + b.items, 0)).toBe(4);
  });
});

describe('on a Redis Cluster', () => {
  it('counts, reads and sums pending items without a cross-slot error', async () => {
    const cluster = await startRedisCluster(3);
    const client = createRedis(cluster.urls[0]!, 'command', { cluster: true });
    const prefix = uniquePrefix('tputc');
    const queues = new RunQueues({ redisUrl: cluster.urls[0]!, prefix, cluster: true });
    try {
      const store = new RunStore(client, { prefix });
      const counters = new ThroughputCounters(client, new KeyLayout(prefix));
      const now = Date.now();
      await counters.add('echo', 40, now);
      await counters.add('echo', 2, now);
      const buckets = await counters.read('echo', 15, now);
      expect(buckets.at(-1)).toEqual({ start: bucketStart(now), items: 42 });
      await submitRunDirect(store, queues, {
        target: { name: 'echo' },
        dataset: { items: Array.from({ length: 30 }, (_, i) => ({ input: i })) },
      });
      await submitRunDirect(store, queues, {
        target: { name: 'other' },
        dataset: { items: [{ input: 1 }] },
      });
      const pending = await pendingItemsByTarget(store.active);
      expect(Object.fromEntries(pending)).toEqual({
        echo: { runs: 1, items: 30 },
        other: { runs: 1, items: 1 },
      });
    } finally {
      await queues.close();
      client.disconnect();
      await cluster.destroy();
    }
  });
});

describe('GET /v1/queues', () => {
  let h: AppHarness;

  beforeAll(async () => {
    h = await createAppHarness('queues', {}, {});
  });
  afterAll(async () => {
    await h?.close();
  });

  const queues = async (query = '') => {
    const res = await h.app.request(`/v1/queues${query}`);
    return { status: res.status, body: (await res.json()) as QueueList };
  };
  const submit = async (target: string, n: number): Promise<Run> => {
    const res = await h.app.request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        target: { name: target },
        dataset: { items: Array.from({ length: n }, (_, i) => ({ id: `i${i}`, input: i })) },
        execution: { waitForWorkers: true },
      }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as Run;
  };

  it('shows the queued chunk jobs and items of a target no worker serves', async () => {
    // 200 items: chunks of ceil(200 / 64) = 4 items, 50 jobs; 64 items: 64 jobs of 1 item
    const a = await submit('nobody', 200);
    await submit('nobody', 64);
    const { status, body } = await queues();
    expect(status).toBe(200);
    expect(body.bucketMs).toBe(60_000);
    const nobody = body.queues.find((q) => q.target === 'nobody');
    expect(nobody).toMatchObject({
      target: 'nobody',
      workers: 0,
      jobs: { waiting: 0, prioritized: 114, active: 0, delayed: 0 },
      pending: { runs: 2, items: 264 },
      throughput: { itemsPerSecond: 0 },
    });
    expect(nobody!.throughput.buckets).toHaveLength(15);
    expect(nobody!.throughput.buckets.every((bucket) => bucket.items === 0)).toBe(true);
    // the targets the in-process worker serves are listed too, with their worker
    expect(body.queues.find((q) => q.target === 'echo')).toMatchObject({
      workers: 1,
      pending: { runs: 0, items: 0 },
    });
    // cancelling one run drops its items from the pending count and its jobs from the queue
    expect((await h.app.request(`/v1/runs/${a.id}/cancel`, { method: 'POST' })).status).toBe(200);
    const after = (await queues()).body.queues.find((q) => q.target === 'nobody');
    expect(after).toMatchObject({
      jobs: { prioritized: 64 },
      pending: { runs: 1, items: 64 },
    });
  });

  it('counts the items of a completed run in the current buckets', async () => {
    const run = await submit('echo', 150);
    await waitFor(async () => {
      const res = await h.app.request(`/v1/runs/${run.id}`);
      return ((await res.json()) as Run).status === 'completed';
    }, 'run completed');
    // the counter is written right after the results, and the chunk job completes after its
    // processor returned: poll until the writer's INCRBY landed and no job is active any more
    const echo = await waitFor(async () => {
      const q = (await queues('?minutes=5')).body.queues.find((x) => x.target === 'echo');
      const counted = q && q.throughput.buckets.reduce((s, x) => s + x.items, 0) === 150;
      return counted && q.jobs.active === 0 ? q : null;
    }, '150 items counted, no job active');
    expect(echo.throughput.buckets).toHaveLength(5);
    expect(echo.throughput.itemsPerSecond).toBeGreaterThan(0);
    expect(echo.pending).toEqual({ runs: 0, items: 0 });
    expect(echo.jobs).toEqual({ waiting: 0, prioritized: 0, active: 0, delayed: 0 });
    const starts = echo.throughput.buckets.map((x) => Date.parse(x.start));
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(60_000);
  });

  it('answers 400 for a window outside 1..60 minutes', async () => {
    expect((await queues('?minutes=0')).status).toBe(400);
    expect((await queues('?minutes=61')).status).toBe(400);
  });
});
