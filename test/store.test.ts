/**
 * The run store against a real Redis: every Lua script path and return code, exactly-once
 * recording, terminal transitions, TTLs, listing and events.
 */
import {
  type NewRun,
  type Run,
  RunStateError,
  type RunStatus,
  RunStore,
  type StoredItem,
  type StoredResult,
} from '@runledger/shared';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { useTestStore } from './helpers/context.js';

const { store, redis, prefix } = useTestStore('store');

function items(n: number): StoredItem[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `item-${i}`,
    input: { n: i },
    expectedOutput: i,
  }));
}

function newRun(id: string, totalItems: number, overrides: Partial<NewRun> = {}): NewRun {
  return {
    id,
    target: { name: 'echo' },
    scorers: [{ name: 'exact_match' }],
    execution: { maxAttempts: 3, backoff: { type: 'fixed', delayMs: 10 }, timeoutMs: 1000 },
    datasetVersion: 'v1',
    totalItems,
    chunkSize: 10,
    ttlSeconds: 3600,
    tags: ['nightly'],
    metadata: { owner: 'tests' },
    createdAt: Date.now(),
    ...overrides,
  };
}

async function createRun(n: number, overrides: Partial<NewRun> = {}): Promise<string> {
  const id = ulid();
  await store.runs.stageItems(id, 0, items(n));
  await store.runs.commitRun(newRun(id, n, overrides));
  return id;
}

/**
 * Reads run `id` and asserts it ended `status` with `[succeeded, failed, cancelled]` items and
 * progress 1; returns the run.
 */
async function expectFinished(
  id: string,
  status: RunStatus,
  [succeeded, failed, cancelled]: [number, number, number],
): Promise<Run> {
  const run = await store.runs.getRun(id);
  expect(run).toMatchObject({
    status,
    succeededCount: succeeded,
    failedCount: failed,
    cancelledCount: cancelled,
    progress: 1,
  });
  return run!;
}

const ok = (latencyMs: number, output: unknown = 1, passed = true): StoredResult => ({
  status: 'succeeded',
  attempts: 1,
  latencyMs,
  output,
  scores: { exact_match: { score: passed ? 1 : 0, passed } },
});

describe('create-run-3', () => {
  it('commits a staged run as queued with the safety TTL and a queued event', async () => {
    const id = await createRun(3);
    const run = await store.runs.getRun(id);
    expect(run?.status).toBe('queued');
    expect(run?.totalItems).toBe(3);
    expect(run?.tags).toEqual(['nightly']);
    const k = store.keys.run(id);
    for (const key of [k.run, k.items, k.events]) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(store.safetyTtlSeconds - 5);
    }
    const events = await store.events.readEvents(id);
    expect(events.map((e) => [e.type, e.data.status])).toEqual([['status', 'queued']]);
  });

  it('answers RUN_EXISTS (RunStateError) when the run exists and writes nothing', async () => {
    const id = await createRun(2);
    await expect(store.runs.commitRun(newRun(id, 2, { name: 'other' }))).rejects.toBeInstanceOf(
      RunStateError,
    );
    expect((await store.runs.getRun(id))?.name).toBeNull();
  });

  it('answers STAGED_COUNT_MISMATCH (RunStateError) when staged items do not number totalItems', async () => {
    const id = ulid();
    await store.runs.stageItems(id, 0, items(2));
    await expect(store.runs.commitRun(newRun(id, 3))).rejects.toThrow(/staged items/);
    expect(await store.runs.getRun(id)).toBeNull();
    await store.runs.deleteRun(id);
  });
});

describe('claim-items-4', () => {
  it('moves queued -> running once, returns spec and only items without a result', async () => {
    const id = await createRun(4);
    const first = await store.execution.claimItems(id, [0, 1], { withItems: true, withSpec: true });
    expect(first.state).toBe('ok');
    if (first.state !== 'ok') return;
    expect(first.spec?.target.name).toBe('echo');
    expect(first.items).toEqual([
      { index: 0, item: { id: 'item-0', input: { n: 0 }, expectedOutput: 0 } },
      { index: 1, item: { id: 'item-1', input: { n: 1 }, expectedOutput: 1 } },
    ]);
    const run = await store.runs.getRun(id);
    expect(run?.status).toBe('running');
    expect(run?.startedAt).not.toBeNull();

    await store.execution.recordResults(id, [{ index: 0, result: ok(5) }]);
    const second = await store.execution.claimItems(id, [0, 1, 2], {
      withItems: false,
      withSpec: false,
    });
    expect(second).toEqual({
      state: 'ok',
      spec: null,
      items: [
        { index: 1, item: null },
        { index: 2, item: null },
      ],
    });
    const statusEvents = (await store.events.readEvents(id)).filter((e) => e.type === 'status');
    expect(statusEvents.map((e) => e.data.status)).toEqual(['queued', 'running']);
  });

  it('answers null for an item missing from the items hash, next to the others in order', async () => {
    const id = await createRun(4);
    await redis.hdel(store.keys.run(id).items, '2');
    const claim = await store.execution.claimItems(id, [3, 2, 1, 1234], {
      withItems: true,
      withSpec: false,
    });
    expect(claim).toEqual({
      state: 'ok',
      spec: null,
      items: [
        { index: 3, item: { id: 'item-3', input: { n: 3 }, expectedOutput: 3 } },
        { index: 2, item: null },
        { index: 1, item: { id: 'item-1', input: { n: 1 }, expectedOutput: 1 } },
        { index: 1234, item: null },
      ],
    });
  });

  it('returns missing (RUN_NOT_FOUND) for an unknown run and terminal (RUN_TERMINAL) for a finished one', async () => {
    expect(
      await store.execution.claimItems(ulid(), [0], { withItems: true, withSpec: true }),
    ).toEqual({
      state: 'missing',
    });
    const id = await createRun(2);
    await store.execution.finishRun(id, 'cancelled', 'stop');
    expect(await store.execution.claimItems(id, [0], { withItems: true, withSpec: false })).toEqual(
      {
        state: 'terminal',
        status: 'cancelled',
      },
    );
  });
});

describe('record-results-9', () => {
  it('records exactly once: a second write for the same item changes nothing', async () => {
    const id = await createRun(3);
    const a = await store.execution.recordResults(id, [{ index: 0, result: ok(10) }]);
    expect(a).toEqual({ state: 'ok', recorded: 1, done: 1, total: 3, finished: false });
    const again = await store.execution.recordResults(id, [
      { index: 0, result: { status: 'failed', attempts: 3, latencyMs: 99 } },
    ]);
    expect(again).toEqual({ state: 'ok', recorded: 0, done: 1, total: 3, finished: false });
    const run = await store.runs.getRun(id);
    expect([run?.succeededCount, run?.failedCount, run?.cancelledCount]).toEqual([1, 0, 0]);
    expect(run?.latencyMs.max).toBe(10);
    const { results } = await store.results.listResults(id);
    expect(results).toHaveLength(1);
    expect(results[0]?.status).toBe('succeeded');
  });

  it('an encoded batch sent again (a retried write) is recorded once, as recordResults records it', async () => {
    const [viaEncoded, viaRecords] = [await createRun(3), await createRun(3)];
    const records = [
      { index: 0, result: ok(10) },
      { index: 2, result: { status: 'failed' as const, attempts: 3, latencyMs: 5 } },
    ];
    const batch = store.execution.encodeResults(records);
    expect(batch.count).toBe(2);
    expect(batch.values).toHaveLength(2);
    expect(await store.execution.recordEncoded(viaEncoded, batch)).toEqual({
      state: 'ok',
      recorded: 2,
      done: 2,
      total: 3,
      finished: false,
    });
    // the same batch again (the writer retries a write whose reply it never saw): no change
    expect(await store.execution.recordEncoded(viaEncoded, batch)).toEqual({
      state: 'ok',
      recorded: 0,
      done: 2,
      total: 3,
      finished: false,
    });
    await store.execution.recordResults(viaRecords, records);
    const strip = <T extends { runId: string }>({ runId: _, ...rest }: T) => rest;
    const a = (await store.results.listResults(viaEncoded)).results.map(strip);
    const b = (await store.results.listResults(viaRecords)).results.map(strip);
    expect(a.map((r) => [r.itemIndex, r.status, r.latencyMs])).toEqual([
      [0, 'succeeded', 10],
      [2, 'failed', 5],
    ]);
    expect(a).toEqual(b);
    const [ra, rb] = [await store.runs.getRun(viaEncoded), await store.runs.getRun(viaRecords)];
    expect([ra?.succeededCount, ra?.failedCount]).toEqual([1, 1]);
    expect(ra?.latencyMs).toEqual(rb?.latencyMs);
    // an empty batch writes nothing
    expect(
      await store.execution.recordEncoded(viaEncoded, store.execution.encodeResults([])),
    ).toEqual({ state: 'ok', recorded: 0, done: 0, total: 0, finished: false });
  });

  it('records duplicates inside one call once', async () => {
    const id = await createRun(2);
    const out = await store.execution.recordResults(id, [
      { index: 1, result: ok(1) },
      { index: 1, result: ok(2) },
    ]);
    expect(out).toMatchObject({ recorded: 1, done: 1 });
    // the first of the call is kept, and counted once
    const run = await store.runs.getRun(id);
    expect([run?.succeededCount, run?.latencyMs.max]).toEqual([1, 1]);
    expect((await store.results.listResults(id)).results.map((r) => r.latencyMs)).toEqual([1]);
  });

  it('aggregates counters, usage, cost, scores and latency percentiles; completes with retention TTL', async () => {
    const id = await createRun(10, { ttlSeconds: 120 });
    const records = Array.from({ length: 10 }, (_, i) => ({
      index: i,
      result:
        i < 7
          ? {
              ...ok(i + 1, i, i % 2 === 0),
              usage: { inputTokens: 10, outputTokens: 2 },
              costUsd: 0.5,
            }
          : ({
              status: 'failed',
              attempts: 2,
              latencyMs: 100 + i,
              error: { message: 'x', type: 'http_error' },
            } as StoredResult),
    }));
    const first = await store.execution.recordResults(id, records.slice(0, 6));
    expect(first).toEqual({ state: 'ok', recorded: 6, done: 6, total: 10, finished: false });
    const last = await store.execution.recordResults(id, records.slice(6));
    expect(last).toEqual({ state: 'ok', recorded: 4, done: 10, total: 10, finished: true });

    const run = await expectFinished(id, 'completed', [7, 3, 0]);
    expect(run).toMatchObject({ usage: { inputTokens: 70, outputTokens: 14 } });
    expect(run?.costUsd).toBeCloseTo(3.5, 10);
    // exact_match passed for even i in 0..6: 0,2,4,6
    // 3 failed items have no score: errors 3; passRate over all 10 items, passRateOfScored over 7
    expect(run?.scores.exact_match).toEqual({
      mean: 4 / 7,
      passed: 4,
      failed: 3,
      errors: 3,
      passRate: 4 / 10,
      passRateOfScored: 4 / 7,
    });
    expect(run?.errorTypes).toEqual([{ type: 'http_error', count: 3, message: 'x' }]);
    // latencies: 1..7, 107, 108, 109 -> nearest rank p50 = 5th = 5, p90 = 9th = 108, p99 = 10th = 109;
    // from the log histogram: within 1% (the top rank is the exact max), mean and max exact
    const lat = run!.latencyMs;
    expect(lat).toMatchObject({ p99: 109, mean: (28 + 107 + 108 + 109) / 10, max: 109 });
    expect(Math.abs(lat.p50! - 5) / 5).toBeLessThanOrEqual(0.01);
    expect(Math.abs(lat.p90! - 108) / 108).toBeLessThanOrEqual(0.01);
    expect(run?.completedAt).not.toBeNull();
    expect(Date.parse(run?.expiresAt ?? '') - Date.parse(run?.completedAt ?? '')).toBe(120_000);

    for (const key of store.keys.runKeyList(id)) {
      const ttl = await redis.ttl(key);
      if (key.endsWith(':cancelled')) {
        expect(ttl).toBe(-2); // never created: no cancelled results
        continue;
      }
      expect(ttl, key).toBeGreaterThan(110);
      expect(ttl, key).toBeLessThanOrEqual(120);
    }
    const statusEvents = (await store.events.readEvents(id)).filter((e) => e.type === 'status');
    expect(statusEvents.map((e) => e.data.status)).toEqual(['queued', 'completed']);
    // a late write after completion changes nothing and does not complete twice
    expect(await store.execution.recordResults(id, [{ index: 0, result: ok(1) }])).toMatchObject({
      recorded: 0,
      finished: false,
    });
    // the summary stored when the run ended (stamped with its final counters) answers the same
    // figures without the histogram
    const k = store.keys.run(id);
    expect(await redis.hget(k.run, 'latencySummary')).toBe(
      `7,3,0|${JSON.stringify([10, '109', String(lat.p50), String(lat.p90), '109'])}`,
    );
    await redis.del(k.latency);
    expect((await store.runs.getRun(id))?.latencyMs).toEqual(lat);
  });

  /** A 4-item run with two results recorded, of latencies 10 and 30 ms. */
  async function runWith10And30(): Promise<string> {
    const id = await createRun(4);
    await store.execution.recordResults(id, [
      { index: 0, result: ok(10) },
      { index: 1, result: ok(30) },
    ]);
    return id;
  }

  it('answers the percentiles of a run ended early from the summary it stored', async () => {
    const id = await runWith10And30();
    const running = (await store.runs.getRun(id))?.latencyMs;
    expect(running).toMatchObject({ p50: 10, p99: 30, max: 30 });
    await store.execution.finishRun(id, 'cancelled', 'stop');
    const k = store.keys.run(id);
    expect(await redis.hget(k.run, 'latencySummary')).toBe('2,0,2|[2,"30","10","30","30"]');
    await redis.del(k.latency);
    expect((await store.runs.getRun(id))?.latencyMs).toEqual(running);
  });

  it("answers a running run's percentiles from the summary of its last read until a result is recorded", async () => {
    const id = await runWith10And30();
    const k = store.keys.run(id);
    expect((await store.runs.getRun(id))?.latencyMs).toMatchObject({ p50: 10, p99: 30, max: 30 });
    // stamped with the succeeded, failed and cancelled counters it was computed at
    expect(await redis.hget(k.run, 'latencySummary')).toBe('2,0,0|[2,"30","10","30","30"]');
    // while the counters stand still, the cached figures are the answer (the histogram is not read)
    await redis.hset(k.run, 'latencySummary', '2,0,0|[2,"30","11","22","33"]');
    expect((await store.runs.getRun(id))?.latencyMs).toMatchObject({ p50: 11, p90: 22, p99: 33 });
    // a recorded result moves the counters: the histogram is read again and the cache replaced
    await store.execution.recordResults(id, [{ index: 2, result: ok(50) }]);
    expect((await store.runs.getRun(id))?.latencyMs).toMatchObject({
      p50: 30,
      p90: 50,
      p99: 50,
      max: 50,
    });
    expect(await redis.hget(k.run, 'latencySummary')).toBe('3,0,0|[3,"50","30","50","50"]');
    // a malformed cache at the right stamp is not used
    for (const broken of ['3,0,0|oops', '3,0,0|[3]', '3,0,0', '|[3,"1","1","1","1"]']) {
      await redis.hset(k.run, 'latencySummary', broken);
      expect((await store.runs.getRun(id))?.latencyMs, broken).toMatchObject({ p50: 30, p99: 50 });
    }
  });

  it('reads the histogram when the stored summary is malformed, or the run is still going on', async () => {
    const id = await createRun(3);
    await store.execution.recordResults(id, [{ index: 0, result: ok(10) }]);
    const k = store.keys.run(id);
    // a summary without the run's counters as its stamp is not used
    await redis.hset(k.run, 'latencySummary', '[1,"99","99","99","99"]');
    expect((await store.runs.getRun(id))?.latencyMs).toMatchObject({ p50: 10, max: 10 });
    await store.execution.finishRun(id, 'cancelled', 'stop');
    for (const broken of [
      'oops',
      '[3]',
      '{}',
      '["x","1","1","1","1"]',
      '1,0,2|oops',
      '1,0,2|[3]',
      '1,0,2|["x","1","1","1","1"]',
    ]) {
      await redis.hset(k.run, 'latencySummary', broken);
      expect((await store.runs.getRun(id))?.latencyMs, broken).toMatchObject({
        p50: 10,
        p99: 10,
        max: 10,
      });
    }
  });

  it('answers no percentiles for a finished run without latencies', async () => {
    const id = await createRun(1);
    await store.execution.finishRun(id, 'cancelled', 'stop');
    expect(await redis.hget(store.keys.run(id).run, 'latencySummary')).toBe(
      '0,0,1|[0,false,false,false,false]',
    );
    expect((await store.runs.getRun(id))?.latencyMs).toMatchObject({
      p50: null,
      p90: null,
      p99: null,
      max: null,
    });
  });

  it('gives keys created after commit the run TTL (nothing without a TTL)', async () => {
    const id = await createRun(5);
    await store.execution.recordResults(id, [
      { index: 0, result: ok(3) },
      { index: 1, result: { status: 'failed', attempts: 1, latencyMs: 2 } },
      { index: 2, result: { status: 'cancelled', attempts: 1 } },
    ]);
    for (const key of store.keys.runKeyList(id)) {
      expect(await redis.ttl(key), key).toBeGreaterThan(0);
    }
  });

  it('returns missing (RUN_NOT_FOUND) for a deleted run and creates no key', async () => {
    const id = await createRun(2);
    expect(await store.runs.deleteRun(id)).toBe(true);
    expect(await store.execution.recordResults(id, [{ index: 0, result: ok(1) }])).toEqual({
      state: 'missing',
    });
    expect(await redis.exists(...store.keys.runKeyList(id))).toBe(0);
    expect(await store.runs.deleteRun(id)).toBe(false);
  });
});

describe('finish-run-9', () => {
  it('records cancelled for every item without a result, ends the run once', async () => {
    const id = await createRun(6, { ttlSeconds: 300 });
    await store.execution.claimItems(id, [0, 1], { withItems: true, withSpec: true });
    await store.execution.recordResults(id, [
      { index: 0, result: ok(1) },
      { index: 1, result: { status: 'failed', attempts: 1, latencyMs: 1 } },
    ]);
    const out = await store.execution.finishRun(id, 'cancelled', 'cancelled by request');
    expect(out).toEqual({ state: 'finished', cancelledItems: 4 });
    const run = await expectFinished(id, 'cancelled', [1, 1, 4]);
    expect(run).toMatchObject({ error: 'cancelled by request' });
    const cancelled = await store.results.listResults(id, { status: 'cancelled' });
    expect(cancelled.results.map((r) => r.itemIndex)).toEqual([2, 3, 4, 5]);
    expect(cancelled.results[0]).toMatchObject({
      status: 'cancelled',
      attempts: 0,
      itemId: 'item-2',
    });
    // in-flight item's late result is ignored: exactly one result per item
    expect(await store.execution.recordResults(id, [{ index: 3, result: ok(1) }])).toMatchObject({
      recorded: 0,
      done: 6,
    });
    expect(await redis.hlen(store.keys.run(id).results)).toBe(6);
    for (const key of store.keys.runKeyList(id)) {
      const ttl = await redis.ttl(key);
      expect(ttl, key).toBeGreaterThan(290);
      expect(ttl, key).toBeLessThanOrEqual(300);
    }
    expect(await store.execution.finishRun(id, 'cancelled')).toEqual({
      state: 'terminal',
      status: 'cancelled',
    });
    expect(await store.execution.finishRun(ulid(), 'cancelled')).toEqual({ state: 'missing' });
    const statusEvents = (await store.events.readEvents(id)).filter((e) => e.type === 'status');
    expect(statusEvents.map((e) => e.data.status)).toEqual(['queued', 'running', 'cancelled']);
  });

  it('fails a run with its reason', async () => {
    const id = await createRun(2);
    expect(await store.execution.finishRun(id, 'failed', 'target unknown')).toEqual({
      state: 'finished',
      cancelledItems: 2,
    });
    expect(await store.runs.getRun(id)).toMatchObject({
      status: 'failed',
      error: 'target unknown',
      cancelledCount: 2,
    });
  });
});

describe('finish-run-9 in slices', () => {
  /** The same keys, ending runs 4 items per finish-run-9 call. */
  const sliced = new RunStore(redis, { prefix, finishSliceItems: 4 });

  it('ends a 10-item run in 3 calls, a progress event each, the results as in one call', async () => {
    const id = await createRun(10);
    await store.execution.recordResults(id, [{ index: 5, result: ok(1) }]);
    expect(await sliced.execution.finishRun(id, 'cancelled', 'stop', 1000)).toEqual({
      state: 'finished',
      cancelledItems: 9,
    });
    const run = await expectFinished(id, 'cancelled', [1, 0, 9]);
    expect(run).toMatchObject({ error: 'stop' });
    const cancelled = await store.results.listResults(id, { status: 'cancelled' });
    expect(cancelled.results.map((r) => r.itemIndex)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
    expect(new Set(cancelled.results.map((r) => JSON.stringify([r.error, r.completedAt])))).toEqual(
      new Set([
        JSON.stringify([{ message: 'stop', type: 'cancelled' }, '1970-01-01T00:00:01.000Z']),
      ]),
    );
    const events = (await store.events.readEvents(id)).slice(-4);
    expect(events.map((e) => [e.type, e.data.cancelled ?? e.data.status])).toEqual([
      ['progress', 4],
      ['progress', 7],
      ['progress', 9],
      ['status', 'cancelled'],
    ]);
    // the ending's fields are gone with it
    const k = store.keys.run(id);
    expect(await redis.hmget(k.run, 'endingStatus', 'endingFrom')).toEqual([null, null]);
  });

  it('between slices the run claims and records nothing; a second caller finishes it', async () => {
    const id = await createRun(10);
    const k = store.keys.run(id);
    // one slice, as a caller that died after its first call leaves it
    const first = await redis.rlFinishRun(
      ...store.keys.runKeyList(id),
      1000,
      100,
      'cancelled',
      'stop',
      store.codec.encodeResult({ status: 'cancelled', attempts: 0, completedAt: 1000 }),
      4,
    );
    expect(first).toEqual([1, 4, 4, 1, 'cancelled']);
    // the API's Run says so: still queued, being ended as cancelled
    expect(await store.runs.getRun(id)).toMatchObject({ status: 'queued', ending: 'cancelled' });
    expect(
      await store.execution.claimItems(id, [6, 7], { withItems: true, withSpec: false }),
    ).toEqual({
      state: 'terminal',
      status: 'cancelled',
    });
    expect(await store.execution.recordResults(id, [{ index: 6, result: ok(1) }])).toEqual({
      state: 'ok',
      recorded: 0,
      done: 4,
      total: 10,
      finished: false,
    });
    expect(await store.fleet.findOpenChunks(id)).toEqual([]);
    expect(await store.hash.summary(id)).toMatchObject({ status: 'queued', ending: 'cancelled' });
    // a caller asking to fail it continues the cancel begun before, and says it ended already
    expect(await sliced.execution.finishRun(id, 'failed', 'other')).toEqual({
      state: 'terminal',
      status: 'cancelled',
    });
    const run = await expectFinished(id, 'cancelled', [0, 0, 10]);
    expect(run).toMatchObject({ error: 'stop', ending: null });
    expect(await redis.hlen(k.results)).toBe(10);
    expect(await redis.bitcount(k.cancelled)).toBe(10);
    expect(await store.hash.summary(id)).toMatchObject({ ending: null });
  });

  it('refuses a slice of 0 items', () => {
    expect(() => new RunStore(redis, { prefix, finishSliceItems: 0 })).toThrow(
      'finishSliceItems must be an integer >= 1, got 0',
    );
  });
});

describe('reading', () => {
  it('lists results in item order with status filter and cursors', async () => {
    const id = await createRun(25);
    await store.execution.recordResults(
      id,
      Array.from({ length: 25 }, (_, i) => ({
        index: i,
        result:
          i % 5 === 0 ? ({ status: 'failed', attempts: 1, latencyMs: 1 } as StoredResult) : ok(1),
      })),
    );
    const page1 = await store.results.listResults(id, { limit: 10 });
    expect(page1.results.map((r) => r.itemIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(page1.nextCursor).toBe('10');
    const page3 = await store.results.listResults(id, { limit: 10, cursor: '20' });
    expect(page3.results.map((r) => r.itemIndex)).toEqual([20, 21, 22, 23, 24]);
    expect(page3.nextCursor).toBeNull();
    const f1 = await store.results.listResults(id, { status: 'failed', limit: 3 });
    expect(f1.results.map((r) => r.itemIndex)).toEqual([0, 5, 10]);
    const f2 = await store.results.listResults(id, {
      status: 'failed',
      limit: 3,
      cursor: f1.nextCursor ?? '',
    });
    expect(f2.results.map((r) => r.itemIndex)).toEqual([15, 20]);
    expect(f2.nextCursor).toBeNull();
    await expect(store.results.listResults(ulid())).rejects.toThrow(/not found/);
  });

  it('lists runs newest first with filters, cursors, and drops expired runs from the index', async () => {
    const base = Date.now() + 10_000_000; // newer than every other run of this file
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        await createRun(1, {
          createdAt: base + i,
          target: { name: i % 2 === 0 ? 'even' : 'odd' },
          tags: [`t${i}`],
        }),
      );
    }
    const page1 = await store.runs.listRuns({ limit: 2, since: base });
    expect(page1.runs.map((r) => r.id)).toEqual([ids[4], ids[3]]);
    const page2 = await store.runs.listRuns({
      limit: 2,
      since: base,
      cursor: page1.nextCursor ?? '',
    });
    expect(page2.runs.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    expect(
      (await store.runs.listRuns({ since: base, target: 'even' })).runs.map((r) => r.id),
    ).toEqual([ids[4], ids[2], ids[0]]);
    expect((await store.runs.listRuns({ since: base, tag: 't3' })).runs.map((r) => r.id)).toEqual([
      ids[3],
    ]);
    expect(
      (await store.runs.listRuns({ since: base + 1, until: base + 2 })).runs.map((r) => r.id),
    ).toEqual([ids[2], ids[1]]);
    // simulate expiry: the run's keys vanish, the index entry is dropped on the next listing
    await redis.del(...store.keys.runKeyList(ids[4]!));
    expect((await store.runs.listRuns({ since: base })).runs.map((r) => r.id)).toEqual([
      ids[3],
      ids[2],
      ids[1],
      ids[0],
    ]);
    expect(await redis.zscore(store.keys.runsIndex, ids[4]!)).toBeNull();
    await expect(store.runs.listRuns({ cursor: 'garbage' })).rejects.toThrow(/invalid cursor/);
  });

  it('reads events after an id and waits for new ones', async () => {
    const id = await createRun(2);
    const [queued] = await store.events.readEvents(id);
    const blocking = redis.duplicate();
    const waiting = store.events.waitForEvents(blocking, id, queued!.id, 5000);
    await store.execution.claimItems(id, [0], { withItems: true, withSpec: false });
    const got = await waiting;
    expect(got.map((e) => e.data.status)).toEqual(['running']);
    expect(await store.events.waitForEvents(blocking, id, got[0]!.id, 50)).toEqual([]);
    blocking.disconnect();
    expect((await store.events.readEvents(id, queued!.id)).map((e) => e.data.status)).toEqual([
      'running',
    ]);
  });
});

describe('active runs (reconciler)', () => {
  it('lists queued and running runs from the candidate set and prunes finished and gone ones', async () => {
    const running = await createRun(2);
    await store.execution.claimItems(running, [0], { withItems: false, withSpec: false });
    const queued = await createRun(1);
    const finished = await createRun(1);
    await store.execution.finishRun(finished, 'cancelled');
    const deleted = await createRun(1);
    await store.runs.deleteRun(deleted);
    const expired = await createRun(1);
    await redis.del(...store.keys.runKeyList(expired)); // as if its TTL ran out

    const active = await store.active.listActiveRuns();
    const mine = active.filter((r) => [running, queued, finished, deleted, expired].includes(r.id));
    expect(mine.map((r) => [r.id, r.status]).sort()).toEqual(
      [
        [running, 'running'],
        [queued, 'queued'],
      ].sort(),
    );
    expect(mine.find((r) => r.id === running)).toMatchObject({
      target: 'echo',
      totalItems: 2,
      chunkSize: 10,
    });
    // the finished run leaves the candidate set but stays listed; gone runs leave both
    expect(await redis.zscore(store.keys.activeRuns, finished)).toBeNull();
    expect(await redis.zscore(store.keys.runsIndex, finished)).not.toBeNull();
    for (const id of [deleted, expired]) {
      expect(await redis.zscore(store.keys.activeRuns, id)).toBeNull();
      expect(await redis.zscore(store.keys.runsIndex, id)).toBeNull();
    }
    expect(await redis.zscore(store.keys.activeRuns, running)).not.toBeNull();
  });
});

describe('idempotency, workers, metrics, cancel channel', () => {
  it('reserves an idempotency key once', async () => {
    expect(await store.idempotency.reserveIdempotencyKey('k1', 'RUN-A')).toBeNull();
    expect(await store.idempotency.reserveIdempotencyKey('k1', 'RUN-B')).toBe('RUN-A');
    await store.idempotency.releaseIdempotencyKey('k1');
    expect(await store.idempotency.reserveIdempotencyKey('k1', 'RUN-C')).toBeNull();
  });

  it('lists live workers and prunes stale ones', async () => {
    const now = Date.now();
    const info = (id: string, at: number) => ({
      id,
      host: 'h',
      pid: 1,
      targets: [{ name: 'echo', description: 'e' }],
      scorers: [],
      concurrency: 4,
      inFlight: 0,
      startedAt: new Date(at).toISOString(),
      heartbeatAt: new Date(at).toISOString(),
    });
    await store.fleet.heartbeatWorker(info('w-live', now));
    await store.fleet.heartbeatWorker(info('w-stale', now - 60_000));
    expect((await store.fleet.listWorkers(15_000, now)).map((w) => w.id)).toEqual(['w-live']);
    expect(await redis.hexists(store.keys.workers, 'w-stale')).toBe(0);
    await store.fleet.removeWorker('w-live');
    expect(await store.fleet.listWorkers(15_000, now)).toEqual([]);
  });

  it('increments and reads fleet metrics', async () => {
    await store.fleet.incrementMetrics({ 'items_total:succeeded': 3, item_latency_ms_sum: 1.5 });
    await store.fleet.incrementMetrics({ 'items_total:succeeded': 2, item_latency_ms_sum: 2 });
    expect(await store.fleet.readMetrics()).toEqual({
      'items_total:succeeded': 5,
      item_latency_ms_sum: 3.5,
    });
  });

  it('delivers cancel messages to subscribers', async () => {
    const sub = redis.duplicate();
    const got: string[] = [];
    await store.events.subscribeCancel(sub, (id) => got.push(id));
    expect(await store.events.publishCancel('RUN-X')).toBe(1);
    const deadline = Date.now() + 5000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(['RUN-X']);
    sub.disconnect();
  });
});
