/** The CLI's run summary lines (apps/cli/src/format.ts). */

import { timeLeft } from '@runledger/client';
import { describe, expect, it } from 'vitest';
import type { Run } from '../apps/cli/src/client.js';
import { formatRunSummary, formatRunsTable, statusText } from '../apps/cli/src/format.js';
import { etaNote } from '../apps/cli/src/watch.js';
import { summaryFields } from './helpers/cli.js';

describe('statusText (runs get, submit --watch summary)', () => {
  it('says a run is being ended while its remaining items are recorded', () => {
    expect(statusText({ status: 'running', ending: 'cancelled' })).toBe(
      'running (being cancelled: the remaining items are recorded as cancelled)',
    );
    expect(statusText({ status: 'queued', ending: 'failed' })).toBe(
      'queued (being failed: the remaining items are recorded as cancelled)',
    );
  });

  it('is the bare status otherwise', () => {
    expect(statusText({ status: 'running', ending: null })).toBe('running');
    expect(statusText({ status: 'completed', ending: null })).toBe('completed');
    // a terminal run never shows an ending, whatever a stale read says
    expect(statusText({ status: 'cancelled', ending: 'cancelled' })).toBe('cancelled');
  });
});

/** A completed run of 2 items with tokens, as the API answers it; `overrides` on top. */
function usageRun(overrides: Partial<Run> = {}): Run {
  return {
    id: '01RUN',
    project: 'default',
    name: null,
    status: 'completed',
    target: { name: 'openai', config: { model: 'toy-1' } },
    scorers: [],
    execution: {
      maxAttempts: 3,
      backoff: { type: 'exponential', delayMs: 1000 },
      timeoutMs: 60000,
    },
    datasetId: null,
    datasetVersion: null,
    datasetHash: null,
    parentRunId: null,
    totalItems: 2,
    succeededCount: 2,
    failedCount: 0,
    cancelledCount: 0,
    progress: 1,
    latencyMs: { p50: null, p90: null, p99: null, mean: null, max: null },
    usage: { inputTokens: 20, outputTokens: 2 },
    costUsd: 0,
    unpriced: { results: 0, model: null },
    scores: {},
    errorTypes: [],
    reruns: [],
    tags: [],
    metadata: {},
    retention: { ttlSeconds: 86400 },
    createdAt: '2026-12-02T00:00:00.000Z',
    startedAt: null,
    completedAt: null,
    expiresAt: null,
    error: null,
    ending: null,
    traceId: null,
    privacy: null,
    ...overrides,
  } as Run;
}

describe('the cost row of the run summary', () => {
  const cost = (run: Run) => summaryFields(formatRunSummary(run)).cost;

  it('is the cost alone when every result with tokens was priced', () => {
    expect(cost(usageRun({ costUsd: 0.0125 }))).toBe('$0.0125');
  });

  it('says how many results have tokens and no price, and for which model', () => {
    expect(cost(usageRun({ unpriced: { results: 2, model: 'toy-1' } }))).toBe(
      '$0.0000; 2 results with token usage have no price (model "toy-1"): set RUNLEDGER_PRICES on the workers',
    );
    expect(cost(usageRun({ costUsd: 0.5, unpriced: { results: 1, model: null } }))).toBe(
      '$0.5000; 1 result with token usage has no price and no model to price by (the target reports none)',
    );
  });
});

describe('runs list', () => {
  it("names each run's target with its model", () => {
    const rows = formatRunsTable([
      usageRun({ id: 'A', name: 'with a model' }),
      usageRun({ id: 'B', target: { name: 'echo' } }),
    ]).split('\n');
    expect(rows[0]).toMatch(/^ID +STATUS +TARGET +DONE/);
    expect(rows[1]).toMatch(
      /^A +completed +openai \(toy-1\) +2\/2 +0 +- +2026-12-02T00:00:00.000Z +with a model$/,
    );
    expect(rows[2]).toMatch(/^B +completed +echo +2\/2 /);
  });
});

describe('the score rows of the run summary', () => {
  it('say so when the run has no scorer', () => {
    expect(summaryFields(formatRunSummary(usageRun())).score).toBe(
      'none: the run has no scorer (submit with --scorer exact_match, or another)',
    );
  });
});

describe('the time left on the watch bar', () => {
  const start = { atMs: 1_000_000, done: 100 };
  it('is the items left at the pace seen since the watch began', () => {
    // 50 items in 10 s: 5 items/s; 850 left -> 170 s
    expect(etaNote(start, 150, 1000, 1_010_000)).toBe(' | eta 2m50s');
    expect(etaNote(start, 150, 200, 1_010_000)).toBe(' | eta 10s');
    // 1 item in 10 s, 9,000 left: 25 h
    expect(etaNote(start, 101, 9101, 1_010_000)).toBe(' | eta 25h00m');
  });

  it('is empty before an item finished since the watch began, and when nothing is left', () => {
    expect(etaNote(start, 100, 1000, 1_010_000)).toBe('');
    expect(etaNote(start, 150, 1000, 1_000_000)).toBe('');
    expect(etaNote(start, 1000, 1000, 1_010_000)).toBe('');
  });
});

describe('timeLeft (the CLI bars and the run page)', () => {
  it('is null without a pace or with nothing left', () => {
    expect(timeLeft(0, 1000, 5)).toBeNull();
    expect(timeLeft(5, 0, 5)).toBeNull();
    expect(timeLeft(5, 1000, 0)).toBeNull();
    expect(timeLeft(5, 1000, 1)).toBe('1s');
  });
});

describe('the left row of the run summary', () => {
  const running = usageRun({
    status: 'running',
    totalItems: 1000,
    succeededCount: 200,
    startedAt: '2026-12-02T00:00:00.000Z',
  });
  const at = Date.parse('2026-12-02T00:00:10.000Z'); // 200 items in 10 s, 800 left

  it('says the time left of a running run at its pace since it started', () => {
    expect(summaryFields(formatRunSummary(running, undefined, at)).left).toBe(
      'about 40s at its pace so far',
    );
  });

  it('is absent before an item finished, while the run is ending, and once it ended', () => {
    const rows = (run: Run) => summaryFields(formatRunSummary(run, undefined, at));
    expect(rows({ ...running, succeededCount: 0 }).left).toBeUndefined();
    expect(rows({ ...running, ending: 'cancelled' }).left).toBeUndefined();
    expect(rows({ ...running, status: 'completed' }).left).toBeUndefined();
  });
});
