/**
 * Checks of a run as stored, shared by tests: every result in item order, waiting for a status,
 * and invariant 1 (one result per item; counters and status sets agree with them:
 * docs/architecture.md#invariant-1-exactly-one-result-per-item).
 */
import type { Result, Run, RunStatus, RunStore } from '@runledger/shared';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { waitFor } from './context.js';

/** Every result of `runId`, read from the store in item order. */
export async function storedResults(store: RunStore, runId: string): Promise<Result[]> {
  const out: Result[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.results.listResults(runId, {
      limit: 1000,
      cursor: cursor ?? undefined,
    });
    out.push(...page.results);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Polls the store until `runId` is terminal (for up to `timeoutMs`, default 20 s); returns the run. */
export const waitTerminal = (store: RunStore, runId: string, timeoutMs?: number): Promise<Run> =>
  waitFor(
    async () => {
      const run = await store.runs.getRun(runId);
      return run && ['completed', 'failed', 'cancelled'].includes(run.status) ? run : null;
    },
    `run ${runId} to finish`,
    timeoutMs,
  );

/** Polls the store until `runId` has `status`; returns the run. */
export const waitForRunStatus = (
  store: RunStore,
  runId: string,
  status: RunStatus,
  timeoutMs = 20_000,
): Promise<Run> =>
  waitFor(
    async () => {
      const run = await store.runs.getRun(runId);
      return run?.status === status ? run : null;
    },
    `run ${runId} ${status}`,
    timeoutMs,
  );

/**
 * Asserts invariant 1 as stored: `total` results, counters summing to it, and each status set
 * as large as its counter. Returns the run.
 */
export async function expectCountersExact(
  store: RunStore,
  redis: Redis,
  runId: string,
  total: number,
): Promise<Run> {
  const k = store.keys.run(runId);
  const run = (await store.runs.getRun(runId))!;
  const [hlen, zs, zf, zc] = await Promise.all([
    redis.hlen(k.results),
    redis.bitcount(k.succeeded),
    redis.bitcount(k.failed),
    redis.bitcount(k.cancelled),
  ]);
  expect(hlen).toBe(total);
  expect(run.succeededCount + run.failedCount + run.cancelledCount).toBe(total);
  expect([zs, zf, zc]).toEqual([run.succeededCount, run.failedCount, run.cancelledCount]);
  return run;
}
