/**
 * Budget stops (`execution.maxFailures`, `execution.maxCostUsd`) against a real Redis with
 * in-process workers: the run ends `failed` with the reason, counters sum to totalItems, items in
 * flight are aborted (the stop is published like a cancel), and no attempt starts later than one
 * claim lease after the stop is visible in Redis (a claim made before the stop lets its items
 * start for one lease; every claim after it is refused).
 */
import { defineTarget, ExecutionSchema, NonRetryableError, z } from '@runledger/shared';
import { describe, expect, it } from 'vitest';
import { sleep } from '../apps/worker/src/index.js';
import { waitFor } from './helpers/context.js';
import { useWorkerFixture } from './helpers/engine-workers.js';
import { expectCountersExact as expectRunCountersExact } from './helpers/run-checks.js';
import type { RunSpecInput } from './helpers/submit.js';

const LEASE_MS = 250;

/** Calls of the test targets: item index, start time (ms), whether the attempt's signal fired. */
const calls: { runId: string; index: number; at: number; aborted: boolean }[] = [];

const budgetTarget = defineTarget({
  name: 'budget-target',
  description: 'input.fail: fails (non-retryable) after input.delayMs; input.hang: waits for abort',
  configSchema: z.object({}).strict(),
  async run(input, { signal, runId, itemIndex }) {
    const call = { runId, index: itemIndex, at: Date.now(), aborted: false };
    calls.push(call);
    const script = input as { fail?: boolean; hang?: boolean; delayMs?: number };
    try {
      if (script.hang) await sleep(600_000, signal);
      else if (script.delayMs) await sleep(script.delayMs, signal);
    } catch (err) {
      call.aborted = true;
      throw err;
    }
    if (script.fail) throw new NonRetryableError('scripted failure', 'scripted');
    return { output: 'ok', costUsd: 0.01 };
  },
});

const { store, redis, queues, start, submit, waitTerminal } = useWorkerFixture('budget', {
  env: { WORKER_HEARTBEAT_MS: '200', RUNLEDGER_CLAIM_LEASE_MS: String(LEASE_MS) },
  targets: [budgetTarget],
});

/**
 * Starts a worker taking `concurrency` items at a time (default: `workerTestConfig`'s), submits
 * `items` to `budget-target` with `execution`, and waits for the run to end. Returns the run
 * id, the run, and when (ms since epoch) the test saw it end.
 */
async function runToEnd(
  items: RunSpecInput['dataset']['items'],
  execution: RunSpecInput['execution'],
  concurrency?: number,
) {
  await start(concurrency === undefined ? {} : { WORKER_CONCURRENCY: String(concurrency) });
  const runId = await submit({ target: { name: 'budget-target' }, dataset: { items }, execution });
  const run = await waitTerminal(runId);
  return { runId, run, seenStoppedAt: Date.now() };
}

const expectCountersExact = (runId: string, total: number) =>
  expectRunCountersExact(store, redis, runId, total);

/**
 * Calls of `runId` that started more than one claim lease after `seenStoppedAt` (ms, this
 * process's clock, read after the test saw the run terminal in Redis). Exact, no slack: an
 * attempt starts only while its claim's lease holds, the lease counts from before the claim was
 * sent, and a claim that said "go on" ran in Redis before the stop, which ran before the test's
 * read; the workers run in this process, so both sides use one clock.
 */
function lateCalls(runId: string, seenStoppedAt: number) {
  return calls.filter((c) => c.runId === runId && c.at > seenStoppedAt + LEASE_MS);
}

/** `%.6g` as the record script formats USD amounts. */
const usd = (x: number) => String(Number(x.toPrecision(6)));

describe('budget', () => {
  it('validates maxCostUsd (> 0) and maxFailures (int >= 1) and stores them on the run hash', async () => {
    expect(ExecutionSchema.safeParse({ maxCostUsd: 0 }).success).toBe(false);
    expect(ExecutionSchema.safeParse({ maxFailures: 0 }).success).toBe(false);
    expect(ExecutionSchema.safeParse({ maxFailures: 1.5 }).success).toBe(false);
    const ok = ExecutionSchema.parse({ maxCostUsd: 2.5, maxFailures: 3 });
    expect([ok.maxCostUsd, ok.maxFailures]).toEqual([2.5, 3]);
    const runId = await submit({
      target: { name: 'nobody-serves-this' },
      dataset: { items: [{ input: 1 }] },
      execution: { maxCostUsd: 2.5, maxFailures: 3 },
    });
    const fields = await redis.hmget(store.keys.run(runId).run, 'maxCostUsd', 'maxFailures');
    expect(fields).toEqual(['2.5', '3']);
    expect((await store.runs.getRun(runId))!.execution).toMatchObject({
      maxCostUsd: 2.5,
      maxFailures: 3,
    });
    await store.runs.deleteRun(runId);
    await queues.removeRunJobs(runId, 'nobody-serves-this', 1, 1);
  });

  it('maxFailures: the run fails with the reason and items in flight are aborted as on cancel', async () => {
    // items 0..9 fail at once; items 10..19 hang until their signal fires
    const items = Array.from({ length: 20 }, (_, i) => ({
      input: i < 10 ? { fail: true } : { hang: true },
    }));
    const execution = { maxAttempts: 1, timeoutMs: 600_000, maxFailures: 10 };
    const { runId, run } = await runToEnd(items, execution, 20);
    expect(run.status).toBe('failed');
    expect(run.error).toBe('maxFailures reached: 10 failed items');
    expect([run.succeededCount, run.failedCount, run.cancelledCount]).toEqual([0, 10, 10]);
    await expectCountersExact(runId, 20);
    // every hanging item started and was aborted by the published stop
    await waitFor(
      () => calls.filter((c) => c.runId === runId && c.index >= 10 && c.aborted).length === 10,
      'hanging items aborted',
      5000,
    );
    const page = await store.results.listResults(runId, { status: 'cancelled', limit: 100 });
    expect(page.results.map((r) => r.itemIndex)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    for (const r of page.results) {
      expect(r.error).toEqual({
        message: 'maxFailures reached: 10 failed items',
        type: 'cancelled',
      });
    }
    const events = await store.events.readEvents(runId);
    const last = events.at(-1)!;
    expect(last).toMatchObject({
      type: 'status',
      data: { status: 'failed', error: 'maxFailures reached: 10 failed items' },
    });
  });

  it('maxFailures past a slice: the worker records the items left cancelled, 3 per script', async () => {
    // items 0..4 fail at once (the 5th failure stops the run); items 5..29 hang until aborted
    const items = Array.from({ length: 30 }, (_, i) => ({
      input: i < 5 ? { fail: true } : { hang: true },
    }));
    await start({ WORKER_CONCURRENCY: '30', RUNLEDGER_FINISH_SLICE_ITEMS: '3' });
    const runId = await submit({
      target: { name: 'budget-target' },
      dataset: { items },
      execution: { maxAttempts: 1, timeoutMs: 600_000, maxFailures: 5 },
    });
    const run = await waitTerminal(runId);
    expect(run.status).toBe('failed');
    expect(run.error).toBe('maxFailures reached: 5 failed items');
    expect([run.succeededCount, run.failedCount, run.cancelledCount]).toEqual([0, 5, 25]);
    await expectCountersExact(runId, 30);
    // one progress event per script that recorded items: slices [0,3) (all failed: none), [3,6)
    // (item 5), [6,9), ... [27,30)
    const events = await store.events.readEvents(runId);
    const stop = events.findIndex((e) => e.type === 'progress' && e.data.failed === 5);
    expect(events.slice(stop + 1).map((e) => e.data.cancelled ?? e.data.status)).toEqual([
      1,
      4,
      7,
      10,
      13,
      16,
      19,
      22,
      25,
      'failed',
    ]);
    await waitFor(
      () => calls.filter((c) => c.runId === runId && c.index >= 5 && c.aborted).length === 25,
      'hanging items aborted',
      5000,
    );
  });

  it('maxFailures: no attempt starts after the stop plus the claim lease', async () => {
    const total = 400;
    const items = Array.from({ length: total }, () => ({ input: { fail: true, delayMs: 2 } }));
    const execution = { maxAttempts: 1, maxFailures: 5 };
    const { runId, run, seenStoppedAt } = await runToEnd(items, execution, 4);
    expect(run.status).toBe('failed');
    expect(run.failedCount).toBeGreaterThanOrEqual(5);
    expect(run.error).toBe(`maxFailures reached: ${run.failedCount} failed items`);
    await expectCountersExact(runId, total);
    await sleep(LEASE_MS + 500);
    expect(lateCalls(runId, seenStoppedAt)).toEqual([]);
    const started = calls.filter((c) => c.runId === runId).length;
    expect(started).toBeLessThan(total);
    // what ran is what was recorded (nothing ran that has no failed result, but cancelled ones)
    expect(run.failedCount).toBeLessThanOrEqual(started);
  });

  it('maxCostUsd: a target reporting a fixed cost stops the run once the total reaches it', async () => {
    const total = 300;
    const items = Array.from({ length: total }, () => ({ input: { delayMs: 5 } }));
    const execution = { maxAttempts: 1, maxCostUsd: 0.05 };
    const { runId, run, seenStoppedAt } = await runToEnd(items, execution, 2);
    expect(run.status).toBe('failed');
    expect(run.costUsd).toBeGreaterThanOrEqual(0.05);
    expect(run.costUsd).toBeCloseTo(run.succeededCount * 0.01, 12);
    expect(run.error).toBe(`budget exceeded: cost $${usd(run.costUsd)} >= maxCostUsd $0.05`);
    expect(run.succeededCount).toBeGreaterThanOrEqual(5);
    expect(run.succeededCount).toBeLessThan(total);
    expect(run.failedCount).toBe(0);
    await expectCountersExact(runId, total);
    await sleep(LEASE_MS + 300);
    expect(lateCalls(runId, seenStoppedAt)).toEqual([]);
  });

  it('a run that stays under its budget completes', async () => {
    const items = Array.from({ length: 10 }, () => ({ input: {} }));
    const { run } = await runToEnd(items, { maxAttempts: 1, maxCostUsd: 0.5, maxFailures: 1 });
    expect(run.status).toBe('completed');
    expect(run.error).toBeNull();
    expect(run.succeededCount).toBe(10);
    expect(run.costUsd).toBeCloseTo(0.1, 12);
  });
});
