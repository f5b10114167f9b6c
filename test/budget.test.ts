/**
 * Budget stops (`execution.maxFailures`, `execution.maxCostUsd`) against a real Redis with
 * in-process workers: the run ends `failed` with the reason, counters sum to totalItems, items in
 * flight are aborted (the stop is published like a cancel), and no attempt starts later than one
 * claim lease after the stop is visible in Redis (a claim made before the stop lets its items
 * start for one lease; every claim after it is refused).
 */
import {
  type Config,
  createLogger,
  defineTarget,
  ExecutionSchema,
  NonRetryableError,
  type RunQueues,
  type RunStore,
  z,
} from '@runledger/shared';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startWorker, type WorkerHandle } from '../apps/worker/src/index.js';
import { createTestQueues, waitFor, workerTestConfig } from './helpers/context.js';
import { expectCountersExact as expectRunCountersExact } from './helpers/run-checks.js';
import { submitRunDirect } from './helpers/submit.js';

let ctx: ReturnType<typeof createTestQueues>;
let store: RunStore;
let redis: Redis;
let queues: RunQueues;
const logger = createLogger({ level: 'silent' });
const handles: WorkerHandle[] = [];
const LEASE_MS = 250;

function config(extra: Record<string, string> = {}): Config {
  return workerTestConfig(ctx.prefix, {
    WORKER_HEARTBEAT_MS: '200',
    RUNLEDGER_CLAIM_LEASE_MS: String(LEASE_MS),
    ...extra,
  });
}

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

async function start(extra: Record<string, string> = {}): Promise<WorkerHandle> {
  const handle = await startWorker({ config: config(extra), logger, targets: [budgetTarget] });
  handles.push(handle);
  return handle;
}

async function waitTerminal(runId: string, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const run = await store.runs.getRun(runId);
      return run && ['completed', 'failed', 'cancelled'].includes(run.status) ? run : null;
    },
    `run ${runId} terminal`,
    timeoutMs,
  );
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

beforeAll(() => {
  ctx = createTestQueues('budget');
  ({ store, redis, queues } = ctx);
});

afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close(1000)));
});

afterAll(async () => {
  await ctx.close();
});

describe('budget', () => {
  it('validates maxCostUsd (> 0) and maxFailures (int >= 1) and stores them on the run hash', async () => {
    expect(ExecutionSchema.safeParse({ maxCostUsd: 0 }).success).toBe(false);
    expect(ExecutionSchema.safeParse({ maxFailures: 0 }).success).toBe(false);
    expect(ExecutionSchema.safeParse({ maxFailures: 1.5 }).success).toBe(false);
    const ok = ExecutionSchema.parse({ maxCostUsd: 2.5, maxFailures: 3 });
    expect([ok.maxCostUsd, ok.maxFailures]).toEqual([2.5, 3]);
    const runId = await submitRunDirect(store, queues, {
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
    await start({ WORKER_CONCURRENCY: '20' });
    // items 0..9 fail at once; items 10..19 hang until their signal fires
    const items = Array.from({ length: 20 }, (_, i) => ({
      input: i < 10 ? { fail: true } : { hang: true },
    }));
    const runId = await submitRunDirect(store, queues, {
      target: { name: 'budget-target' },
      dataset: { items },
      execution: { maxAttempts: 1, timeoutMs: 600_000, maxFailures: 10 },
    });
    const run = await waitTerminal(runId);
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

  it('maxFailures: no attempt starts after the stop plus the claim lease', async () => {
    await start({ WORKER_CONCURRENCY: '4' });
    const total = 400;
    const items = Array.from({ length: total }, () => ({ input: { fail: true, delayMs: 2 } }));
    const runId = await submitRunDirect(store, queues, {
      target: { name: 'budget-target' },
      dataset: { items },
      execution: { maxAttempts: 1, maxFailures: 5 },
    });
    const run = await waitTerminal(runId);
    const seenStoppedAt = Date.now();
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
    await start({ WORKER_CONCURRENCY: '2' });
    const total = 300;
    const items = Array.from({ length: total }, () => ({ input: { delayMs: 5 } }));
    const runId = await submitRunDirect(store, queues, {
      target: { name: 'budget-target' },
      dataset: { items },
      execution: { maxAttempts: 1, maxCostUsd: 0.05 },
    });
    const run = await waitTerminal(runId);
    const seenStoppedAt = Date.now();
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
    await start();
    const runId = await submitRunDirect(store, queues, {
      target: { name: 'budget-target' },
      dataset: { items: Array.from({ length: 10 }, () => ({ input: {} })) },
      execution: { maxAttempts: 1, maxCostUsd: 0.5, maxFailures: 1 },
    });
    const run = await waitTerminal(runId);
    expect(run.status).toBe('completed');
    expect(run.error).toBeNull();
    expect(run.succeededCount).toBe(10);
    expect(run.costUsd).toBeCloseTo(0.1, 12);
  });
});
