/**
 * The result builders (`failedResult`, `cancelledResult`) and the one result Lua still builds:
 * a `cancelled` result written by record-results-9.lua on a budget stop has the same fields,
 * in the same order, as the one the TypeScript builder makes; so has finishRun's.
 */

import { cancelledResult, decodeStoredResult, failedResult, type NewRun } from '@runledger/shared';
import { describe, expect, it } from 'vitest';
import { iso } from '../packages/shared/src/store/results.js';
import { useTestStore } from './helpers/context.js';
import { commitTestRun } from './helpers/submit.js';

const { store, redis } = useTestStore('results');

function createRun(n: number, execution: NewRun['execution']): Promise<string> {
  return commitTestRun(store, n, { execution });
}

const EXECUTION: NewRun['execution'] = {
  maxAttempts: 1,
  backoff: { type: 'fixed', delayMs: 10 },
  timeoutMs: 1000,
};

describe('result builders', () => {
  it('failedResult: status, attempts, error, completedAt, then startedAt and latencyMs when given', () => {
    const error = { message: 'boom', type: 'target_error', status: 500 };
    expect(failedResult(error, { completedAt: 5 })).toStrictEqual({
      status: 'failed',
      attempts: 0,
      error,
      completedAt: 5,
    });
    const full = failedResult(error, { completedAt: 9, attempts: 3, startedAt: 2, latencyMs: 1.5 });
    expect(full).toStrictEqual({
      status: 'failed',
      attempts: 3,
      error,
      completedAt: 9,
      startedAt: 2,
      latencyMs: 1.5,
    });
    expect(Object.keys(full)).toEqual([
      'status',
      'attempts',
      'error',
      'completedAt',
      'startedAt',
      'latencyMs',
    ]);
  });

  it('cancelledResult: error type `cancelled` with the message', () => {
    expect(
      cancelledResult('run cancelled', { completedAt: 7, attempts: 1, startedAt: 3 }),
    ).toStrictEqual({
      status: 'cancelled',
      attempts: 1,
      error: { message: 'run cancelled', type: 'cancelled' },
      completedAt: 7,
      startedAt: 3,
    });
  });
});

describe('cancelled results written by Lua and by TypeScript', () => {
  it('record-results-9 (budget stop) writes exactly what cancelledResult builds', async () => {
    const runId = await createRun(3, { ...EXECUTION, maxFailures: 1 });
    const now = 1_700_000_000_123;
    const outcome = await store.execution.recordResults(
      runId,
      [
        {
          index: 0,
          result: failedResult(
            { message: 'no', type: 'target_error' },
            { completedAt: now, attempts: 1 },
          ),
        },
      ],
      now,
    );
    expect(outcome).toMatchObject({ state: 'ok', recorded: 1, stopped: true });
    const reason = 'maxFailures reached: 1 failed items';
    const built = cancelledResult(reason, { completedAt: now });
    const k = store.keys.run(runId);
    // the stop began the run's ending with that result; the worker then fills the items left
    expect(await redis.hget(k.run, 'endingResult')).toBe(JSON.stringify(built));
    expect(await store.execution.finishRun(runId, 'failed')).toEqual({
      state: 'terminal',
      status: 'failed',
    });
    const resultsKey = k.results;
    for (const index of [1, 2]) {
      const raw = await redis.hget(resultsKey, String(index));
      expect(raw).toBe(JSON.stringify(built));
      expect(JSON.parse(raw!)).toStrictEqual(built);
    }
  });

  it('finish-run-9 (cancel) stores the result the store built with cancelledResult', async () => {
    const runId = await createRun(2, EXECUTION);
    const now = 1_700_000_000_456;
    expect(await store.execution.finishRun(runId, 'cancelled', undefined, now)).toEqual({
      state: 'finished',
      cancelledItems: 2,
    });
    const raw = await redis.hget(store.keys.run(runId).results, '0');
    expect(decodeStoredResult(raw!)).toStrictEqual(
      cancelledResult('run cancelled', { completedAt: now }),
    );
  });
});

describe('iso (result times)', () => {
  it('answers what Date#toISOString answers, also across seconds, before 1970 and past 9999', () => {
    const samples = [
      1764633600000, 1764633600005, 1764633600050, 1764633600999, 1764633601000, 1764633600007, 0,
      1, 999, -1, -999, -1000, -1001, 253402300799999, 253402300800000, 1.5, 1764633600000.7,
    ];
    expect(samples.map(iso)).toEqual(samples.map((ms) => new Date(ms).toISOString()));
    expect([iso(null), iso(undefined)]).toEqual([null, null]);
  });
});
