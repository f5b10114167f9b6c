/**
 * Limits shared by the whole fleet, measured at a scripted HTTP target with 3 in-process
 * workers on a real Redis: requests per minute per target (`RUNLEDGER_TARGET_LIMITS`), tokens
 * per minute, per-run `execution.concurrency`, and HTTP 429 `Retry-After` (a wait that burns no
 * attempt and holds no worker slot).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadTargetLimits,
  MAX_RETRY_AFTER_WAITS,
  parseRetryAfter,
  WorkerTableError,
} from '../apps/worker/src/index.js';
import { useWorkerFixture } from './helpers/engine-workers.js';
import { createJsonServer, listenOnLoopback } from './helpers/http-target.js';

/** One request the target received (times in ms since epoch). */
interface Hit {
  runId: string;
  itemIndex: number;
  attempt: number;
  at: number;
  status: number;
}

/**
 * A scripted target: `input.delayMs` waits before answering; `input.throttle: n` answers the
 * first n requests of the item 429 with `Retry-After: input.retryAfter`. A 200 reports usage
 * 3 + 5 tokens. Tracks requests in flight (max per run).
 */
async function startTarget() {
  const hits: Hit[] = [];
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  const server = createJsonServer<{
    runId: string;
    itemIndex: number;
    attempt: number;
    input: { delayMs?: number; throttle?: number; retryAfter?: string };
  }>((body, _req, res, at) => {
    const seen = hits.filter(
      (h) => h.runId === body.runId && h.itemIndex === body.itemIndex,
    ).length;
    const hit: Hit = {
      runId: body.runId,
      itemIndex: body.itemIndex,
      attempt: body.attempt,
      at,
      status: 200,
    };
    hits.push(hit);
    const now = (inFlight.get(body.runId) ?? 0) + 1;
    inFlight.set(body.runId, now);
    maxInFlight.set(body.runId, Math.max(now, maxInFlight.get(body.runId) ?? 0));
    const answer = () => {
      inFlight.set(body.runId, (inFlight.get(body.runId) ?? 1) - 1);
      if (body.input.throttle !== undefined && seen < body.input.throttle) {
        hit.status = 429;
        res.writeHead(429, {
          'content-type': 'application/json',
          'retry-after': body.input.retryAfter ?? '0',
        });
        res.end('{"error":"slow down"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: body.itemIndex, usage: { input_tokens: 3, output_tokens: 5 } }));
    };
    if (body.input.delayMs) setTimeout(answer, body.input.delayMs);
    else answer();
  });
  return { ...(await listenOnLoopback(server)), hits, maxInFlight };
}

const {
  store,
  redis,
  start,
  submit,
  waitTerminal: completed,
  results,
} = useWorkerFixture('ratelimit', {
  env: { WORKER_LOCK_MS: '2000', RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1' },
});
let target: Awaited<ReturnType<typeof startTarget>>;

async function startWorkers(n: number, extra: Record<string, string> = {}) {
  for (let i = 0; i < n; i++) await start(extra);
}

beforeAll(async () => {
  target = await startTarget();
});

afterAll(async () => {
  await target.close();
});

describe('target limits (RUNLEDGER_TARGET_LIMITS)', () => {
  it('parses and validates limits', () => {
    expect(loadTargetLimits('')).toEqual({});
    expect(loadTargetLimits('{"http": {"rpm": 600}}')).toEqual({
      http: { rpm: 600, windowSeconds: 60 },
    });
    expect(() => loadTargetLimits('{"http": {}}')).toThrow(
      /^RUNLEDGER_TARGET_LIMITS: http: set rpm and\/or tpm/,
    );
    expect(() => loadTargetLimits('{"http": {"rpm": 100, "windowSeconds": 1}}')).toThrow(
      WorkerTableError,
    );
    expect(() => loadTargetLimits('{"http": {"rpm": 100, "windowSeconds": 1}}')).toThrow(
      /http\.rpm: rpm \* windowSeconds \/ 60 must be a whole number/,
    );
  });

  it('requests per minute: 3 workers together take at most one window of requests per window', async () => {
    // 600 rpm counted in 1-second windows: 10 requests per window for the whole fleet. A window
    // starts with the first request after the last one ended, so the k-th window starts at least
    // (k - 1) s after the first: attempts i and i + 10w are w windows apart, at least (w - 1) s.
    await startWorkers(3, {
      RUNLEDGER_TARGET_LIMITS: JSON.stringify({ http: { rpm: 600, windowSeconds: 1 } }),
    });
    const runId = await submit({
      target: { name: 'http', config: { url: target.url } },
      dataset: { items: Array.from({ length: 80 }, (_, i) => ({ input: { i } })) },
    });
    const run = await completed(runId);
    expect(run.status).toBe('completed');
    expect(run.succeededCount).toBe(80);
    const hits = target.hits.filter((h) => h.runId === runId);
    expect(hits.length).toBe(80);
    // when each attempt was admitted: `startedAt` is read right after the limiter said yes, so
    // it trails the admission by the worker's own delay only (the bounds below leave 1 s for it)
    const got = await results(runId);
    const at = got.map((r) => Date.parse(r.startedAt!)).sort((a, b) => a - b);
    expect(at).toHaveLength(80);
    // 80 requests need 8 windows: the last starts at least 7 s after the first (at twice the
    // limit, 4 windows: 3 s)
    expect(at[79]! - at[0]!).toBeGreaterThan(6000);
    // never 31 requests within 1 s (they span 4 windows, more than 2 s); unlimited, the 24
    // worker slots would start 24 at once
    for (let i = 0; i + 30 < at.length; i++) expect(at[i + 30]! - at[i]!).toBeGreaterThan(1000);
    // the limit is the fleet's: more than one worker sent requests
    const workers = new Set(got.map((r) => r.workerId));
    expect(workers.size).toBeGreaterThan(1);
  }, 30_000);

  it('tokens per minute: attempts wait once the window holds the reported tokens', async () => {
    // 960 tokens per minute in 1-second windows = 16 tokens a second; each request reports 8
    await startWorkers(1, {
      WORKER_CONCURRENCY: '1',
      RUNLEDGER_TARGET_LIMITS: JSON.stringify({ http: { tpm: 960, windowSeconds: 1 } }),
    });
    const runId = await submit({
      target: { name: 'http', config: { url: target.url } },
      dataset: { items: Array.from({ length: 6 }, (_, i) => ({ input: { i } })) },
    });
    const run = await completed(runId);
    expect(run.succeededCount).toBe(6);
    const hits = target.hits.filter((h) => h.runId === runId).map((h) => h.at);
    const first = Math.min(...hits);
    // 2 requests (16 tokens) per window: one at a time, the third waits for the end of the window
    // the first one's tokens opened, and the 6 requests need 3 windows
    expect(hits).toHaveLength(6);
    expect(hits[2]! - hits[0]!).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...hits) - first).toBeGreaterThanOrEqual(1900);
  }, 30_000);
});

describe('HTTP 429 Retry-After', () => {
  it('parses delay-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    // [header, ms to wait from `now`]; undefined: not a Retry-After value
    const cases: [string | null, number | undefined][] = [
      ['2', 2000],
      ['0.5', 500],
      ['Thu, 01 Jan 2026 00:00:03 GMT', 3000],
      ['Wed, 31 Dec 2025 00:00:00 GMT', 0],
      ['soon', undefined],
      [null, undefined],
    ];
    for (const [header, ms] of cases) expect(parseRetryAfter(header, now)).toBe(ms);
  });

  it('delays the item without burning an attempt or holding the worker slot', async () => {
    await startWorkers(1, { WORKER_CONCURRENCY: '1' });
    const runId = await submit(
      {
        target: { name: 'http', config: { url: target.url } },
        dataset: {
          items: [{ input: { throttle: 1, retryAfter: '1' } }, { input: { i: 1 } }],
        },
        execution: { maxAttempts: 1 },
      },
      { chunkSize: 2 },
    );
    const run = await completed(runId);
    expect(run.status).toBe('completed');
    expect(run.succeededCount).toBe(2);
    const got = await results(runId);
    expect(got.map((r) => [r.status, r.attempts])).toEqual([
      ['succeeded', 1],
      ['succeeded', 1],
    ]);
    const item0 = target.hits.filter((h) => h.runId === runId && h.itemIndex === 0);
    const item1 = target.hits.filter((h) => h.runId === runId && h.itemIndex === 1);
    expect(item0.map((h) => [h.status, h.attempt])).toEqual([
      [429, 1],
      [200, 1],
    ]);
    expect(item0[1]!.at - item0[0]!.at).toBeGreaterThanOrEqual(1000);
    // the only worker slot served item 1 while item 0 waited
    expect(item1.length).toBe(1);
    expect(item1[0]!.at).toBeLessThan(item0[1]!.at);
  });

  it(`after ${MAX_RETRY_AFTER_WAITS} waits a 429 counts as a failed attempt`, async () => {
    await startWorkers(1);
    const runId = await submit({
      target: { name: 'http', config: { url: target.url } },
      dataset: { items: [{ input: { throttle: 1000, retryAfter: '0' } }] },
      execution: { maxAttempts: 1 },
    });
    const run = await completed(runId);
    expect(run.status).toBe('completed');
    expect(run.failedCount).toBe(1);
    const [r] = await results(runId);
    expect(r!.attempts).toBe(1);
    expect(r!.error).toMatchObject({ type: 'http_error', status: 429 });
    expect(target.hits.filter((h) => h.runId === runId).length).toBe(MAX_RETRY_AFTER_WAITS + 1);
  });
});

describe('execution.concurrency across the fleet', () => {
  it('3 workers, concurrency 2: never more than 2 requests of the run in flight', async () => {
    await startWorkers(3);
    const runId = await submit({
      target: { name: 'http', config: { url: target.url } },
      dataset: { items: Array.from({ length: 40 }, () => ({ input: { delayMs: 30 } })) },
      execution: { concurrency: 2 },
    });
    const run = await completed(runId);
    expect(run.status).toBe('completed');
    expect(run.succeededCount).toBe(40);
    expect(target.maxInFlight.get(runId)).toBe(2);
    const workers = new Set((await results(runId)).map((r) => r.workerId));
    expect(workers.size).toBeGreaterThan(1);
    // slots are released: the run's slot set is empty (or gone)
    expect(await redis.zcard(store.keys.runSlots(runId))).toBe(0);
  }, 30_000);
});
