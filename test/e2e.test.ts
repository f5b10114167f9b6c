/**
 * End to end over real HTTP: the API server (`startApi`), in-process workers (`startWorker`), a local
 * scripted HTTP target, and the test Redis. 500 items with retried and failing ones; cancel mid-run;
 * SSE replay, live and resume.
 */
import { type Config, createRedis, type Run, RunStore } from '@runledger/shared';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHttp, readSse } from './helpers/api-http.js';
import { deletePrefix, redisUrl, uniquePrefix, waitFor } from './helpers/context.js';
import { type ApiStack, expectSseReplayAndResume, startApiStack } from './helpers/engine-stack.js';
import { type HttpTargetServer, startHttpTarget } from './helpers/http-target.js';

let stack: ApiStack;
let config: Config;
let api: ApiStack['api'];
let target: HttpTargetServer;
let redis: Redis;
let store: RunStore;
const { http, allResults, waitForStatus } = createApiHttp(() => api.url);

beforeAll(async () => {
  const prefix = uniquePrefix('e2e');
  redis = createRedis(redisUrl());
  store = new RunStore(redis, { prefix });
  target = await startHttpTarget();
  stack = await startApiStack(redisUrl(), prefix, {
    RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1', // the scripted target listens on loopback
  });
  ({ config, api } = stack);
});

afterAll(async () => {
  await stack?.close();
  await target.close();
  await deletePrefix(redis, config.RUNLEDGER_PREFIX);
  redis.disconnect();
});

/** Nearest-rank percentile (the definition the run store uses). */
function nearestRank(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('a 500-item run through the API and two workers', () => {
  const N = 500;
  const failsForGood = (i: number) => i % 50 === 7; // 400: attempts 1, failed
  const failsOnce = (i: number) => i % 25 === 3; // 503 then 200: attempts 2, succeeded
  const expectedMatches = (i: number) => i % 4 !== 0; // exact_match passes on these

  it('records exactly one result per item with exact counters, scores, latency and TTLs', async () => {
    const items = Array.from({ length: N }, (_, i) => {
      const input = failsForGood(i)
        ? { i, fail: 400 }
        : failsOnce(i)
          ? { i, failOnce: 503 }
          : { i };
      return { id: `item-${i}`, input, expectedOutput: expectedMatches(i) ? input : { other: i } };
    });
    const created = await http<Run>('POST', '/v1/runs', {
      name: 'e2e-500',
      target: { name: 'http', config: { url: target.url, outputPath: 'echo' } },
      dataset: { id: 'e2e', items },
      scorers: [{ name: 'exact_match' }],
      execution: { maxAttempts: 3, backoff: { type: 'fixed', delayMs: 20 }, timeoutMs: 5000 },
      retention: { ttlSeconds: 3600 },
      tags: ['e2e'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ totalItems: N, datasetId: 'e2e' });
    expect(['queued', 'running']).toContain(created.body.status); // workers may have started already
    const runId = created.body.id;

    const run = await waitForStatus(runId, 'completed');
    const failedIdx = Array.from({ length: N }, (_, i) => i).filter(failsForGood);
    const retriedIdx = Array.from({ length: N }, (_, i) => i).filter(
      (i) => failsOnce(i) && !failsForGood(i),
    );
    const succeededIdx = Array.from({ length: N }, (_, i) => i).filter((i) => !failsForGood(i));
    expect(failedIdx).toHaveLength(10);
    expect(retriedIdx).toHaveLength(20);
    expect(run).toMatchObject({
      totalItems: N,
      succeededCount: N - 10,
      failedCount: 10,
      cancelledCount: 0,
      progress: 1,
      usage: { inputTokens: 3 * (N - 10), outputTokens: 5 * (N - 10) },
    });
    const passed = succeededIdx.filter(expectedMatches).length;
    expect(run.scores.exact_match).toEqual({
      mean: passed / succeededIdx.length,
      passed,
      failed: succeededIdx.length - passed,
      errors: 10, // the items that failed for good have no score
      passRate: passed / N,
      passRateOfScored: passed / succeededIdx.length,
    });

    // results: complete, in item order, exact attempts and errors
    const results = await allResults(runId);
    expect(results.map((r) => r.itemIndex)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(results.map((r) => r.itemId)).toEqual(items.map((it) => it.id));
    for (const r of results) {
      if (failsForGood(r.itemIndex)) {
        expect(r).toMatchObject({ status: 'failed', attempts: 1, output: null });
        expect(r.error).toMatchObject({ type: 'http_error', status: 400 });
      } else {
        expect(r.status).toBe('succeeded');
        expect(r.attempts).toBe(failsOnce(r.itemIndex) ? 2 : 1);
        expect(r.output).toEqual(items[r.itemIndex]!.input);
        expect(r.scores.exact_match?.passed).toBe(expectedMatches(r.itemIndex));
      }
      expect(r.latencyMs).toBeGreaterThanOrEqual(0);
      expect(r.queueMs).toBeGreaterThanOrEqual(0);
      expect(r.workerId).toMatch(/.+/);
    }
    // failed items grouped by error type, with the (here identical) full message
    const messages = new Set(results.filter((r) => r.error).map((r) => r.error!.message));
    expect(messages.size).toBe(1);
    expect(run.errorTypes).toEqual([{ type: 'http_error', count: 10, message: [...messages][0] }]);
    // the target saw exactly the attempts the results report
    for (const r of results)
      expect(target.requestsOf(r.itemIndex).filter((q) => q.runId === runId)).toHaveLength(
        r.attempts,
      );

    const failed = await allResults(runId, 'failed');
    expect(failed.map((r) => r.itemIndex)).toEqual(failedIdx);
    expect(await allResults(runId, 'cancelled')).toEqual([]);

    // latency figures equal the nearest-rank percentiles of the results' own latencies
    const latencies = results.map((r) => r.latencyMs!).sort((a, b) => a - b);
    // (from the run's log histogram: within 1%; max and mean exact)
    for (const p of [50, 90, 99] as const) {
      const exact = nearestRank(latencies, p);
      expect(Math.abs(run.latencyMs[`p${p}`]! - exact)).toBeLessThanOrEqual(exact * 0.01);
    }
    expect(run.latencyMs.max).toBeCloseTo(latencies.at(-1)!, 6);
    expect(run.latencyMs.mean).toBeCloseTo(latencies.reduce((a, b) => a + b, 0) / N, 6);

    // retention: every key of the run carries the run's TTL; no BullMQ job of it is left
    const keys = await redis.keys(`${config.RUNLEDGER_PREFIX}:{${runId}}:*`);
    expect(keys.map((k) => k.split(':').at(-1)).sort()).toEqual(
      ['errtypes', 'events', 'failed', 'items', 'latency', 'results', 'run', 'succeeded'].sort(),
    );
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      expect(ttl, key).toBeGreaterThan(3500);
      expect(ttl, key).toBeLessThanOrEqual(3600);
    }
    expect(await redis.keys(`{${config.RUNLEDGER_PREFIX}}:items.http:${runId}*`)).toEqual([]);

    // SSE replay of the finished run: queued, running, progress..., completed, then the stream
    // ends; resumed after a middle event: exactly the later events
    await expectSseReplayAndResume(api.url, runId, N);
  });
});

describe('cancel and live events', () => {
  it('cancel mid-run: nothing starts after it returns, in-flight items are aborted and recorded cancelled', async () => {
    const N = 200;
    const items = Array.from({ length: N }, (_, i) => ({
      id: `slow-${i}`,
      input: { i, delayMs: 400 },
    }));
    const created = await http<Run>('POST', '/v1/runs', {
      target: { name: 'http', config: { url: target.url, outputPath: 'echo' } },
      dataset: { items },
      execution: { maxAttempts: 1, timeoutMs: 10_000 },
    });
    expect(created.status).toBe(201);
    const runId = created.body.id;
    const mine = () => target.requests.filter((r) => r.runId === runId);

    // live SSE while it runs: opened now, read after the cancel
    const live = fetch(`${api.url}/v1/runs/${runId}/events`).then((res) => readSse(res));

    await waitFor(
      async () => (await http<Run>('GET', `/v1/runs/${runId}`)).body.succeededCount >= 20,
      '20 results',
    );
    const cancelled = await http<Run>('POST', `/v1/runs/${runId}/cancel`);
    const cancelReturnedAt = Date.now();
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');

    // in-flight requests see their connection aborted (their AbortSignal fired)
    await waitFor(
      () => mine().every((r) => r.status !== null || r.aborted),
      'in-flight requests to end',
      10_000,
    );
    const started = mine();
    expect(started.every((r) => r.arrivedAt <= cancelReturnedAt)).toBe(true);
    const aborted = started.filter((r) => r.aborted);
    expect(aborted.length).toBeGreaterThan(0);
    expect(started.length).toBeLessThan(N);

    const run = (await http<Run>('GET', `/v1/runs/${runId}`)).body;
    expect(run.status).toBe('cancelled');
    expect(run.succeededCount + run.failedCount + run.cancelledCount).toBe(N);
    const results = await allResults(runId);
    expect(results).toHaveLength(N);
    const byIndex = new Map(results.map((r) => [r.itemIndex, r]));
    for (const r of aborted) expect(byIndex.get(r.itemIndex)?.status).toBe('cancelled');
    expect(results.filter((r) => r.status === 'succeeded')).toHaveLength(run.succeededCount);
    expect(await redis.hlen(store.keys.run(runId).results)).toBe(N);

    // a second cancel is a conflict; the live stream ended with the cancelled status
    expect((await http('POST', `/v1/runs/${runId}/cancel`)).status).toBe(409);
    const events = await live;
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'cancelled' } });
    expect(events.filter((e) => e.event === 'status').map((e) => e.data.status)).toEqual([
      'queued',
      'running',
      'cancelled',
    ]);

    // nothing of the run starts later either
    const countAfter = mine().length;
    await new Promise((r) => setTimeout(r, 300));
    expect(mine()).toHaveLength(countAfter);
  });

  it('delete removes every key of the run and its queued jobs', async () => {
    const items = Array.from({ length: 300 }, (_, i) => ({ input: { i, delayMs: 200 } }));
    const created = await http<Run>('POST', '/v1/runs', {
      target: { name: 'http', config: { url: target.url } },
      dataset: { items },
    });
    const runId = created.body.id;
    expect((await http('DELETE', `/v1/runs/${runId}`)).status).toBe(204);
    expect(await redis.keys(`${config.RUNLEDGER_PREFIX}:{${runId}}:*`)).toEqual([]);
    expect((await http('GET', `/v1/runs/${runId}`)).status).toBe(404);
    // no waiting chunk job of it remains (an active one ends by itself when it sees the run gone)
    await waitFor(
      async () =>
        (await redis.keys(`{${config.RUNLEDGER_PREFIX}}:items.http:${runId}*`)).length === 0,
      'jobs of the deleted run to go',
      10_000,
    );
    expect(await redis.keys(`${config.RUNLEDGER_PREFIX}:{${runId}}:*`)).toEqual([]);
  });
});
