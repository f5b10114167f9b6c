/**
 * The arithmetic of `GET /v1/runs/aggregate` (packages/shared/src/run-aggregates.ts), on runs
 * made up here: sums, the mean duration of finished runs only, items-weighted pass rates per
 * scorer and pooled, groups by target and model with their order, empty input.
 */
import { type AggregatedRun, aggregateRuns, runModel } from '@runledger/shared';
import { describe, expect, it } from 'vitest';

const run = (over: Partial<AggregatedRun> & Pick<AggregatedRun, 'target'>): AggregatedRun => ({
  totalItems: 0,
  succeededCount: 0,
  failedCount: 0,
  cancelledCount: 0,
  usage: { inputTokens: 0, outputTokens: 0 },
  costUsd: 0,
  unpriced: { results: 0, model: null },
  startedAt: null,
  completedAt: null,
  scores: {},
  ...over,
});

describe('aggregateRuns', () => {
  it('sums, averages finished durations and weighs pass rates by items', () => {
    const runs = [
      run({
        target: { name: 'openai', config: { model: 'gpt-a' } },
        totalItems: 1000,
        succeededCount: 990,
        failedCount: 10,
        usage: { inputTokens: 5000, outputTokens: 1000 },
        costUsd: 0.1,
        unpriced: { results: 7, model: 'gpt-a-2026' },
        startedAt: '2026-01-01T00:00:00.000Z',
        completedAt: '2026-01-01T00:00:10.000Z',
        scores: { exact_match: { passed: 900 } },
      }),
      run({
        target: { name: 'openai', config: { model: 'gpt-b' } },
        totalItems: 10,
        succeededCount: 5,
        cancelledCount: 5,
        costUsd: 0.2,
        unpriced: { results: 5, model: null },
        startedAt: '2026-01-01T00:00:00.000Z',
        completedAt: '2026-01-01T00:00:30.000Z',
        scores: { exact_match: { passed: 0 }, contains: { passed: 5 } },
      }),
      run({
        target: { name: 'echo' },
        totalItems: 90,
        succeededCount: 30,
        startedAt: '2026-01-01T00:00:00.000Z', // running: no duration
        scores: { exact_match: { passed: 30 } },
      }),
    ];
    const agg = aggregateRuns(runs);
    expect(agg.totals).toEqual({
      runs: 3,
      items: 1100,
      succeededItems: 1025,
      failedItems: 10,
      cancelledItems: 5,
      inputTokens: 5000,
      outputTokens: 1000,
      costUsd: 0.3, // not 0.30000000000000004
      unpricedResults: 12,
      finishedRuns: 2,
      avgDurationMs: 20_000,
      passRate: (900 + 0 + 5 + 30) / (1000 + 10 + 10 + 90),
      scores: {
        contains: { passed: 5, totalItems: 10, passRate: 0.5 },
        // items-weighted: 930 / 1100, not the mean of 0.9, 0 and 0.333
        exact_match: { passed: 930, totalItems: 1100, passRate: 930 / 1100 },
      },
    });
    expect(Object.keys(agg.totals.scores)).toEqual(['contains', 'exact_match']);
    expect(agg.byTarget.map((g) => [g.key, g.runs, g.items])).toEqual([
      ['openai', 2, 1010],
      ['echo', 1, 90],
    ]);
    expect(agg.byTarget[0]?.avgDurationMs).toBe(20_000);
    expect(agg.byTarget[1]?.avgDurationMs).toBeNull();
    expect(agg.byTarget[1]?.scores).toEqual({
      exact_match: { passed: 30, totalItems: 90, passRate: 1 / 3 },
    });
    // one run each: by key
    expect(agg.byModel.map((g) => [g.key, g.runs, g.costUsd, g.unpricedResults])).toEqual([
      ['gpt-a', 1, 0.1, 7],
      ['gpt-b', 1, 0.2, 5],
    ]);
    expect(agg.scanned).toBe(3);
    expect(agg.truncated).toBe(false);
  });

  it('answers zeros and nulls for no runs, and passes the scan through', () => {
    const agg = aggregateRuns([], { scanned: 10_000, truncated: true });
    expect(agg.totals).toEqual({
      runs: 0,
      items: 0,
      succeededItems: 0,
      failedItems: 0,
      cancelledItems: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      unpricedResults: 0,
      finishedRuns: 0,
      avgDurationMs: null,
      passRate: null,
      scores: {},
    });
    expect(agg.byTarget).toEqual([]);
    expect(agg.byModel).toEqual([]);
    expect(agg).toMatchObject({ scanned: 10_000, truncated: true });
  });

  it('groups by model only when target.config.model is a non-empty string', () => {
    expect(runModel({ target: { name: 't', config: { model: 'm' } } })).toBe('m');
    expect(runModel({ target: { name: 't', config: { model: '' } } })).toBeNull();
    expect(runModel({ target: { name: 't', config: { model: 3 } } })).toBeNull();
    expect(runModel({ target: { name: 't' } })).toBeNull();
    const agg = aggregateRuns([
      run({ target: { name: 'a', config: { model: 'm' } }, totalItems: 1 }),
      run({ target: { name: 'b', config: { model: 'm' } }, totalItems: 2 }),
      run({ target: { name: 'b' }, totalItems: 4 }),
    ]);
    expect(agg.byModel.map((g) => [g.key, g.runs, g.items])).toEqual([['m', 2, 3]]);
    expect(agg.byTarget.map((g) => [g.key, g.runs])).toEqual([
      ['b', 2],
      ['a', 1],
    ]);
    expect(agg.totals.passRate).toBeNull(); // no scorer anywhere
  });
});
