/**
 * The worker against a real Redis, in-process: runs complete with exact counters and results,
 * retries and timeouts, registered targets and scorers, two workers sharing a run, cancel, and
 * graceful shutdown handing items back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineScorer, defineTarget, RunExecution, z } from '@runledger/shared';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LATENCY_BUCKETS_MS } from '../apps/worker/src/index.js';
import { waitFor } from './helpers/context.js';
import { useWorkerFixture } from './helpers/engine-workers.js';
import { type HttpTargetServer, startHttpTarget } from './helpers/http-target.js';
import { expectCountersExact } from './helpers/run-checks.js';
import type { RunSpecInput, SubmitRunOptions } from './helpers/submit.js';

const {
  store,
  redis,
  queues,
  start,
  submit,
  waitForStatus,
  results: allResults,
} = useWorkerFixture('worker', {
  env: {
    WORKER_HEARTBEAT_MS: '200',
    WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    RUNLEDGER_TARGETS: '',
    RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1', // the scripted target listens on loopback
  },
});
let server: HttpTargetServer;

/** Invariant 1 as stored: one result per item, counters and status sets agree with them. */
async function expectExactlyOnce(runId: string, total: number) {
  const run = await expectCountersExact(store, redis, runId, total);
  const results = await allResults(runId);
  expect(results.map((r) => r.itemIndex)).toEqual([...Array(total).keys()]);
  return { run, results };
}

async function queueIdle(target: string) {
  return waitFor(async () => {
    const depth = (await queues.depth([target]))[target]!;
    return Object.values(depth).every((n) => n === 0);
  }, `queue of ${target} idle`);
}

beforeAll(async () => {
  server = await startHttpTarget();
});

afterAll(async () => {
  await server.close();
});

/**
 * Submits one item per input of `inputs` to the `http` target at the scripted server, `spec`
 * (execution, ...) on top. Returns the run id and `mine()`: the requests of the run the server
 * received so far, in arrival order.
 */
async function submitHttp(
  inputs: unknown[],
  spec: Partial<RunSpecInput> = {},
  options?: SubmitRunOptions,
) {
  const runId = await submit(
    {
      target: { name: 'http', config: { url: server.url } },
      dataset: { items: inputs.map((input) => ({ input })) },
      ...spec,
    },
    options,
  );
  return { runId, mine: () => server.requests.filter((r) => r.runId === runId) };
}

/**
 * Cancels as the API does: finishRun, publish (unless `publish: false`), then wait the claim
 * lease. Returns the finishRun outcome and the time cancel "returned" (ms since epoch).
 */
async function cancelAsApi(runId: string, leaseMs: number, options: { publish?: boolean } = {}) {
  const outcome = await store.execution.finishRun(runId, 'cancelled', 'cancelled by test');
  if (options.publish !== false) await store.events.publishCancel(runId);
  await new Promise((r) => setTimeout(r, leaseMs));
  return { outcome, returnedAt: Date.now() };
}

/** Counts `claimItems` calls for `runId` made by any store in this process (workers included). */
function countClaims(runId: string) {
  const spy = vi.spyOn(RunExecution.prototype, 'claimItems');
  return {
    get count() {
      return spy.mock.calls.filter((args) => args[0] === runId).length;
    },
    indexes: () => spy.mock.calls.filter((args) => args[0] === runId).map((args) => args[1]),
    restore: () => spy.mockRestore(),
  };
}

/**
 * `submitHttp` of `inputs` as one chunk, one attempt each (10 s timeout), under a run id whose
 * claims are counted (`countClaims`) from before the submission. Call `counted.restore()` when
 * done.
 */
async function submitOneChunkCounted(inputs: unknown[]) {
  const runId = ulid();
  const counted = countClaims(runId);
  try {
    const execution = { maxAttempts: 1, timeoutMs: 10_000 };
    const { mine } = await submitHttp(
      inputs,
      { execution },
      { chunkSize: inputs.length, id: runId },
    );
    return { runId, mine, counted };
  } catch (err) {
    counted.restore();
    throw err;
  }
}

/**
 * Starts worker A (2 items at a time), then submits `total` http items answered after `delayMs`
 * each, in two chunks. Returns A, the run id and `mine()` (see `submitHttp`).
 */
async function twoChunksOnWorkerA(total: number, delayMs: number) {
  const a = await start({ WORKER_CONCURRENCY: '2' });
  const inputs = Array(total).fill({ delayMs });
  return { a, ...(await submitHttp(inputs, {}, { chunkSize: total / 2 })) };
}

describe('worker', () => {
  it('completes an echo run: exact counters, results, scores, metrics, heartbeat', async () => {
    const metricsBefore = await store.fleet.readMetrics();
    const handle = await start();
    const items = Array.from({ length: 50 }, (_, i) => ({
      id: `item-${i}`,
      input: { n: i },
      expectedOutput: i % 2 === 0 ? { n: i } : { n: -1 },
    }));
    const runId = await submit({
      target: { name: 'echo' },
      dataset: { items },
      scorers: [{ name: 'exact_match' }],
    });
    await waitForStatus(runId, 'completed');
    const { run, results } = await expectExactlyOnce(runId, 50);
    expect(run).toMatchObject({
      succeededCount: 50,
      failedCount: 0,
      cancelledCount: 0,
      progress: 1,
      scores: {
        exact_match: {
          mean: 0.5,
          passed: 25,
          failed: 25,
          errors: 0,
          passRate: 0.5,
          passRateOfScored: 0.5,
        },
      },
    });
    expect(run.startedAt).not.toBeNull();
    expect(run.latencyMs.p50).not.toBeNull();
    for (const r of results) {
      expect(r).toMatchObject({
        status: 'succeeded',
        itemId: `item-${r.itemIndex}`,
        input: { n: r.itemIndex },
        output: { n: r.itemIndex },
        error: null,
        attempts: 1,
        workerId: handle.id,
        scores: {
          exact_match: { score: r.itemIndex % 2 === 0 ? 1 : 0, passed: r.itemIndex % 2 === 0 },
        },
      });
      expect(r.latencyMs).toBeGreaterThanOrEqual(0);
      expect(r.queueMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(r.completedAt!)).toBeGreaterThanOrEqual(Date.parse(r.startedAt!));
    }

    // fleet metrics, with the field names the API reads
    const m = await waitFor(async () => {
      const now = await store.fleet.readMetrics();
      const d = (f: string) => (now[f] ?? 0) - (metricsBefore[f] ?? 0);
      return d('runs_finished:completed') === 1 ? d : null;
    }, 'metrics');
    expect(m('items_total:succeeded')).toBe(50);
    expect(m('items_total:failed')).toBe(0);
    expect(m('item_latency_ms_count')).toBe(50);
    const buckets = [...LATENCY_BUCKETS_MS.map(String), 'inf'].map((le) =>
      m(`item_latency_ms_bucket:${le}`),
    );
    expect(buckets.reduce((a, b) => a + b, 0)).toBe(50);
    expect(m('item_latency_ms_sum')).toBeCloseTo(
      results.reduce((a, r) => a + r.latencyMs!, 0),
      1,
    );

    // heartbeat while running, deregistered on close
    const live = await store.fleet.listWorkers(10_000);
    const me = live.find((w) => w.id === handle.id);
    expect(me).toMatchObject({ pid: process.pid, concurrency: 8 });
    expect(me!.targets.map((t) => t.name)).toEqual(['echo', 'http', 'openai']);
    // each advertises its config JSON Schema (what the API rebuilds a validator from)
    expect(me!.targets.map((t) => t.configSchema?.additionalProperties)).toEqual([
      false,
      false,
      false,
    ]);
    expect(me!.targets[0]?.configSchema?.properties).toEqual({
      delayMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
    });
    expect(me!.scorers.map((s) => s.name)).toContain('numeric_close');
    await handle.close();
    expect((await store.fleet.listWorkers(10_000)).some((w) => w.id === handle.id)).toBe(false);
  });

  it('http target: 503/429 once -> 2 attempts and succeeded; 400 -> 1 attempt, failed with status', async () => {
    await start();
    const items = [
      { input: { ok: true } },
      { input: { failOnce: 503 } },
      { input: { fail: 400 } },
      { input: { failOnce: 429 } },
    ];
    const runId = await submit({
      target: { name: 'http', config: { url: server.url, outputPath: 'echo' } },
      dataset: { items },
      execution: { maxAttempts: 3, backoff: { type: 'fixed', delayMs: 100 }, timeoutMs: 5000 },
    });
    await waitForStatus(runId, 'completed');
    const { run, results } = await expectExactlyOnce(runId, 4);
    expect(run).toMatchObject({
      succeededCount: 3,
      failedCount: 1,
      usage: { inputTokens: 9, outputTokens: 15 },
    });
    expect(results.map((r) => [r.status, r.attempts])).toEqual([
      ['succeeded', 1],
      ['succeeded', 2],
      ['failed', 1],
      ['succeeded', 2],
    ]);
    expect(results[1]!.output).toEqual({ failOnce: 503 });
    expect(results[1]!.usage).toEqual({ inputTokens: 3, outputTokens: 5, model: 'test-model' });
    expect(results[2]!.error).toMatchObject({ type: 'http_error', status: 400 });
    expect(results[2]!.error!.message).toContain('HTTP 400');
    const mine = server.requests.filter((r) => r.runId === runId);
    expect(mine.map((r) => [r.itemIndex, r.attempt]).sort()).toEqual(
      [
        [0, 1],
        [1, 1],
        [1, 2],
        [2, 1],
        [3, 1],
        [3, 2],
      ].sort(),
    );
    // the retry started after the backoff (fixed 100 ms, equal jitter: >= 50 ms)
    for (const index of [1, 3]) {
      const [a1, a2] = mine.filter((r) => r.itemIndex === index);
      expect(a2!.arrivedAt - a1!.arrivedAt).toBeGreaterThanOrEqual(50);
    }
  });

  it('times out attempts: the signal fires (request aborted), error type timeout', async () => {
    await start();
    const runId = await submit({
      target: { name: 'http', config: { url: server.url } },
      dataset: { items: [{ input: { hang: true } }] },
      execution: { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 0 }, timeoutMs: 500 },
    });
    await waitForStatus(runId, 'completed');
    const { results } = await expectExactlyOnce(runId, 1);
    expect(results[0]).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: { type: 'timeout', message: 'attempt timed out after 500 ms' },
    });
    expect(results[0]!.latencyMs).toBeGreaterThanOrEqual(499);
    // an attempt whose timeout fires before its request is written (a busy machine: the timer
    // and the connect callback due in the same event-loop turn, timers first) never reaches the
    // server; every request that did is one of the two attempts, in order, and was aborted
    const mine = server.requests.filter((r) => r.runId === runId);
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect([[1], [2], [1, 2]]).toContainEqual(mine.map((r) => r.attempt));
    await waitFor(() => mine.every((r) => r.aborted), 'requests aborted');
  });

  it('serves registered targets and scorers given as options; unknown scorers fail items', async () => {
    let calls = 0;
    const upper = defineTarget({
      name: 'upper',
      description: 'uppercases',
      configSchema: z.object({}).strict(),
      async run(input) {
        calls++;
        return { output: String(input).toUpperCase(), costUsd: 0.5 };
      },
    });
    const length = defineScorer({
      name: 'length_ratio',
      description: 'len(output) / len(expected)',
      score: ({ output, expectedOutput }) => String(output).length / String(expectedOutput).length,
    });
    await start({}, { targets: [upper], scorers: [length] });
    const runId = await submit({
      target: { name: 'upper' },
      dataset: {
        items: [
          { input: 'abc', expectedOutput: 'ABC' },
          { input: 'ab', expectedOutput: 'ABCDEFGH' },
        ],
      },
      scorers: [{ name: 'length_ratio' }, { name: 'exact_match' }],
    });
    await waitForStatus(runId, 'completed');
    const { run, results } = await expectExactlyOnce(runId, 2);
    expect(results.map((r) => [r.output, r.scores, r.costUsd])).toEqual([
      [
        'ABC',
        { length_ratio: { score: 1, passed: true }, exact_match: { score: 1, passed: true } },
        0.5,
      ],
      [
        'AB',
        { length_ratio: { score: 0.25, passed: false }, exact_match: { score: 0, passed: false } },
        0.5,
      ],
    ]);
    expect(run.costUsd).toBe(1);
    expect(run.scores.length_ratio).toEqual({
      mean: 0.625,
      passed: 1,
      failed: 1,
      errors: 0,
      passRate: 0.5,
      passRateOfScored: 0.5,
    });
    expect(calls).toBe(2);

    const unknownRun = await submit({
      target: { name: 'upper' },
      dataset: { items: [{ input: 'x' }, { input: 'y' }] },
      scorers: [{ name: 'llm_judge' }],
    });
    await waitForStatus(unknownRun, 'completed');
    const unknown = await expectExactlyOnce(unknownRun, 2);
    expect(unknown.run.failedCount).toBe(2);
    for (const r of unknown.results) {
      expect(r).toMatchObject({ status: 'failed', attempts: 0, error: { type: 'unknown_scorer' } });
      expect(r.error!.message).toContain('llm_judge');
    }
    expect(calls).toBe(2);
  });

  /** The ESM entry of the repo's zod, importable from a module written outside the repo. */
  const zodModuleUrl = (): string => {
    const pkg = createRequire(import.meta.url).resolve('zod/package.json');
    return pathToFileURL(join(dirname(pkg), 'index.js')).href;
  };

  it('loads targets and scorers from a module path relative to the cwd', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-worker-mod-'));
    const file = join(dir, 'plugin.mjs');
    writeFileSync(
      file,
      `import { z } from ${JSON.stringify(zodModuleUrl())};
      export default {
        targets: [{ name: 'reverse', description: 'reverses a string',
          configSchema: z.object({}).strict(),
          async run(input) { return { output: String(input).split('').reverse().join('') }; } }],
        scorers: [{ name: 'is_palindrome', description: 'output reads the same both ways',
          score: ({ output }) => ({ score: String(output) === String(output).split('').reverse().join('') ? 1 : 0,
            passed: String(output) === String(output).split('').reverse().join('') }) }],
      };\n`,
    );
    try {
      await start({}, { modules: [relative(process.cwd(), file)] });
      const runId = await submit({
        target: { name: 'reverse' },
        dataset: { items: [{ input: 'abc' }, { input: 'aba' }] },
        scorers: [{ name: 'is_palindrome' }],
      });
      await waitForStatus(runId, 'completed');
      const { results } = await expectExactlyOnce(runId, 2);
      expect(results.map((r) => [r.output, r.scores.is_palindrome?.passed])).toEqual([
        ['cba', false],
        ['aba', true],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two workers share a run with exactly one result per item', async () => {
    const a = await start({ WORKER_CONCURRENCY: '4' });
    const b = await start({ WORKER_CONCURRENCY: '4' });
    const total = 200;
    const runId = await submit(
      {
        target: { name: 'echo', config: { delayMs: 10 } },
        dataset: { items: Array.from({ length: total }, (_, i) => ({ input: i })) },
      },
      { chunkSize: 10 },
    );
    await waitForStatus(runId, 'completed');
    const { run, results } = await expectExactlyOnce(runId, total);
    expect(run.succeededCount).toBe(total);
    expect(results.every((r) => r.output === r.itemIndex && r.attempts === 1)).toBe(true);
    const byWorker = new Set(results.map((r) => r.workerId));
    expect([...byWorker].sort()).toEqual([a.id, b.id].sort());
  });

  it('cancel mid-run: in-flight signals fire, no request after cancel returned, counters exact', async () => {
    await start({ WORKER_CONCURRENCY: '4' });
    const total = 40;
    const { runId, mine } = await submitHttp(Array(total).fill({ delayMs: 5000 }), {
      execution: { maxAttempts: 3, backoff: { type: 'fixed', delayMs: 10 }, timeoutMs: 30_000 },
    });
    await waitFor(() => mine().length === 4, '4 requests in flight');
    const { outcome, returnedAt: cancelReturnedAt } = await cancelAsApi(runId, 250);
    expect(outcome).toEqual({ state: 'finished', cancelledItems: total });

    await waitFor(() => mine().every((r) => r.aborted), 'in-flight requests aborted');
    await queueIdle('http');
    const requests = mine();
    expect(requests).toHaveLength(4);
    for (const r of requests) expect(r.arrivedAt).toBeLessThanOrEqual(cancelReturnedAt);
    const { run, results } = await expectExactlyOnce(runId, total);
    expect(run).toMatchObject({
      status: 'cancelled',
      succeededCount: 0,
      failedCount: 0,
      cancelledCount: total,
      error: 'cancelled by test',
    });
    expect(results.every((r) => r.status === 'cancelled')).toBe(true);
  });

  it('cancel during backoff: no retry attempt starts after cancel returned', async () => {
    await start({ WORKER_CONCURRENCY: '4' });
    const total = 4;
    const { runId, mine } = await submitHttp(Array(total).fill({ fail: 503 }), {
      execution: { maxAttempts: 5, backoff: { type: 'fixed', delayMs: 2000 }, timeoutMs: 5000 },
    });
    await waitFor(
      () => mine().length === total && mine().every((r) => r.status === 503),
      'first attempts failed',
    );
    const { returnedAt: cancelReturnedAt } = await cancelAsApi(runId, 250);
    await queueIdle('http');
    expect(mine().map((r) => r.attempt)).toEqual([1, 1, 1, 1]);
    for (const r of mine()) expect(r.arrivedAt).toBeLessThanOrEqual(cancelReturnedAt);
    const { run } = await expectExactlyOnce(runId, total);
    expect(run).toMatchObject({ status: 'cancelled', cancelledCount: total });
  });

  it('claim lease: pending items that outlived their lease claim again; after cancel + lease wait nothing starts', async () => {
    const leaseMs = 100;
    await start({ WORKER_CONCURRENCY: '2', RUNLEDGER_CLAIM_LEASE_MS: String(leaseMs) });
    const total = 10;
    const { runId, mine, counted } = await submitOneChunkCounted(
      Array(total).fill({ delayMs: 1000 }),
    );
    try {
      // round 1 (items 0, 1) ran on the chunk's claim; round 2 (items 2, 3) started 1 s later,
      // past the lease: it took a claim of its own, of every item still pending
      await waitFor(() => mine().length === 4, 'second round in flight');
      await waitFor(
        async () => (await store.runs.getRun(runId))!.succeededCount === 2,
        'round 1 recorded',
      );
      // (on a loaded machine item 0 or 1 may also be claimed again before it starts, when the
      // 100 ms lease ran out first: all pending items, or the item alone)
      const before = counted.indexes();
      expect(before[0]).toEqual([...Array(total).keys()]);
      expect(before).toContainEqual([2, 3, 4, 5, 6, 7, 8, 9]);
      for (const claim of before.slice(1, before.indexOf(before.find((c) => c[0] === 2)!))) {
        expect([[...Array(total).keys()], [1, 2, 3, 4, 5, 6, 7, 8, 9], [0], [1]]).toContainEqual(
          claim,
        );
      }
      // cancel WITHOUT the pub/sub message: only the Redis gate and the lease protect the run.
      // Both slots stay busy for the whole lease wait (the requests take 1 s, round 1's
      // results are written within the writer's 100 ms delay).
      const { outcome, returnedAt } = await cancelAsApi(runId, leaseMs, { publish: false });
      expect(outcome).toEqual({ state: 'finished', cancelledItems: total - 2 });
      await queueIdle('http');
      // round 2 finished, then item 4's lease had run out: its claim saw the run cancelled
      expect(mine()).toHaveLength(4);
      for (const r of mine()) expect(r.arrivedAt).toBeLessThan(returnedAt);
      const after = counted.indexes().slice(before.length);
      expect(after).toContainEqual([4, 5, 6, 7, 8, 9]);
      for (const claim of after) expect(claim[0]).toBeGreaterThanOrEqual(4);
      const { run, results } = await expectExactlyOnce(runId, total);
      expect(run).toMatchObject({ status: 'cancelled', succeededCount: 2, cancelledCount: 8 });
      expect(results.filter((r) => r.status === 'succeeded').map((r) => r.itemIndex)).toEqual([
        0, 1,
      ]);
    } finally {
      counted.restore();
    }
  });

  it('claim lease, as the API cancels (publish + lease wait): no request arrives after cancel returned', async () => {
    const leaseMs = 100;
    await start({ WORKER_CONCURRENCY: '3', RUNLEDGER_CLAIM_LEASE_MS: String(leaseMs) });
    const total = 30;
    // 1 s a request: the second round is surely still in flight when the test has seen the
    // first recorded and cancels, even on a loaded machine (250 ms was not always)
    const { runId, mine } = await submitHttp(
      Array(total).fill({ delayMs: 1000 }),
      { execution: { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 10 }, timeoutMs: 10_000 } },
      { chunkSize: 10 },
    );
    // past the first round: the items in flight now started after their chunk's lease ran out
    await waitFor(() => mine().length === 6, 'second round in flight');
    await waitFor(
      async () => (await store.runs.getRun(runId))!.succeededCount === 3,
      'first round recorded',
    );
    const { returnedAt } = await cancelAsApi(runId, leaseMs);
    await waitFor(() => mine().every((r) => r.status !== null || r.aborted), 'requests ended');
    await queueIdle('http');
    expect(mine()).toHaveLength(6);
    for (const r of mine()) expect(r.arrivedAt).toBeLessThan(returnedAt);
    expect(mine().filter((r) => r.aborted)).toHaveLength(3);
    const { run } = await expectExactlyOnce(runId, total);
    expect(run).toMatchObject({ status: 'cancelled', succeededCount: 3, cancelledCount: 27 });
  });

  it('claim lease: a pending item recorded elsewhere while it waited is dropped by the re-claim, never started', async () => {
    await start({ WORKER_CONCURRENCY: '1', RUNLEDGER_CLAIM_LEASE_MS: '50' });
    const total = 6;
    // item 0 runs 500 ms: ample time to record item 3 from outside before the next re-claim
    const inputs = Array.from({ length: total }, (_, i) => ({ delayMs: i === 0 ? 500 : 100 }));
    const { runId, mine, counted } = await submitOneChunkCounted(inputs);
    try {
      await waitFor(() => mine().length === 1, 'item 0 in flight');
      // another worker (simulated) records item 3 while it waits for the slot
      const outside = await store.execution.recordResults(runId, [
        {
          index: 3,
          result: {
            status: 'succeeded',
            output: 'from elsewhere',
            attempts: 1,
            completedAt: Date.now(),
          },
        },
      ]);
      expect(outside).toMatchObject({ state: 'ok', recorded: 1 });
      await waitForStatus(runId, 'completed');
      expect(mine().map((r) => r.itemIndex)).toEqual([0, 1, 2, 4, 5]);
      // the chunk's claim, and again for item 0 when its lease ran out before it started (a loaded
      // machine): every item still pending, or item 0 alone
      const claims = counted.indexes();
      const next = claims.findIndex((claim) => claim[0] !== 0);
      expect(next).toBeGreaterThan(0);
      expect(claims[0]).toEqual([0, 1, 2, 3, 4, 5]);
      for (const claim of claims.slice(1, next)) {
        expect([[0, 1, 2, 3, 4, 5], [0]]).toContainEqual(claim);
      }
      // then (item 0 done, item 1's lease gone while it waited) one claim of every item still
      // pending: item 3, recorded by then, was not returned by it
      expect(claims[next]).toEqual([1, 2, 3, 4, 5]);
      // so item 3 left the chunk: no later claim asks for it. Each later claim is made for the
      // item about to start (items start in order, one at a time), of every item still pending
      // when that item's lease ran out while it waited, or of that item alone when its new lease
      // ran out before it started (a loaded machine); items 2, 4 and 5 each waited a 100 ms item
      // with a 50 ms lease, so each is claimed again. (How many claims a lease makes, exactly:
      // test/claim-lease.test.ts, with a driven clock.)
      const later = claims.slice(next + 1);
      for (const claim of later) {
        expect(claim.length).toBeGreaterThan(0);
        expect(claim.every((i) => [1, 2, 4, 5].includes(i))).toBe(true);
        expect(claim).toEqual([...claim].sort((a, b) => a - b));
      }
      const firsts = later.map((claim) => claim[0]!);
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
      for (const item of [2, 4, 5]) expect(firsts).toContain(item);
      const { run, results } = await expectExactlyOnce(runId, total);
      expect(run.succeededCount).toBe(total);
      expect(results[3]).toMatchObject({ itemIndex: 3, output: 'from elsewhere' });
    } finally {
      counted.restore();
    }
  });

  it("execution.concurrency bounds a run's items in flight in one process", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const probe = defineTarget({
      name: 'probe',
      description: 'counts concurrent calls',
      configSchema: z.object({}).strict(),
      async run(input, { signal }) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(resolve, 20);
            signal.addEventListener('abort', () => {
              clearTimeout(t);
              reject(signal.reason);
            });
          });
          return { output: input };
        } finally {
          inFlight--;
        }
      },
    });
    await start({ WORKER_CONCURRENCY: '8' }, { targets: [probe] });
    const runId = await submit(
      {
        target: { name: 'probe' },
        dataset: { items: Array.from({ length: 24 }, (_, i) => ({ input: i })) },
        execution: { maxAttempts: 1, timeoutMs: 5000, concurrency: 3 },
      },
      { chunkSize: 4 },
    );
    await waitForStatus(runId, 'completed');
    await expectExactlyOnce(runId, 24);
    expect(maxInFlight).toBe(3);
  });

  it('graceful close lets in-flight items finish, hands the rest back; a second worker finishes', async () => {
    const total = 12;
    const { a, runId, mine } = await twoChunksOnWorkerA(total, 300);
    await waitFor(() => mine().length >= 2, 'first requests in flight');
    await a.close(5000);
    const fromA = (await allResults(runId)).filter((r) => r.workerId === a.id);
    // exactly the items A had started finished (within the deadline) and were recorded
    expect(fromA.length).toBe(mine().length);
    expect(fromA.length).toBeLessThan(total);
    expect((await store.runs.getRun(runId))!.status).toBe('running');

    const b = await start({ WORKER_CONCURRENCY: '4' });
    await waitForStatus(runId, 'completed');
    const { run, results } = await expectExactlyOnce(runId, total);
    expect(run.succeededCount).toBe(total);
    expect(results.filter((r) => r.workerId === b.id).length).toBe(total - fromA.length);
    expect(mine().length).toBe(total);
    expect(new Set(mine().map((r) => r.itemIndex)).size).toBe(total);
  });

  it('close past its deadline aborts in-flight items without a result; they run again elsewhere', async () => {
    const total = 6;
    const { a, runId, mine } = await twoChunksOnWorkerA(total, 1500);
    await waitFor(() => mine().length === 2, 'two requests in flight');
    await a.close(100);
    await waitFor(() => mine().every((r) => r.aborted), 'aborted at the deadline');
    expect(await redis.hlen(store.keys.run(runId).results)).toBe(0);

    await start({ WORKER_CONCURRENCY: '6' });
    await waitForStatus(runId, 'completed');
    const { run } = await expectExactlyOnce(runId, total);
    expect(run.succeededCount).toBe(total);
    // the two aborted items ran again (attempt 1 on the new worker)
    expect(mine().length).toBe(total + 2);
  });
});
