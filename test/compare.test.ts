/**
 * `GET /v1/runs/:a/compare/:b` on a constructed pair of runs (results recorded directly with
 * claimItems + recordResults) with known improvements, regressions and score changes; 409 on
 * different dataset versions; 400 for a scorer not on both runs; 404 for unknown and other
 * projects' runs.
 */
import type { createApp } from '@runledger/api';
import {
  type Compare,
  pairedBootstrapDiff,
  type Run,
  type RunStore,
  type StoredResult,
} from '@runledger/shared';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, createAppHarness } from './helpers/app.js';

let store: RunStore;
let app: ReturnType<typeof createApp>;

let h: AppHarness;
beforeAll(async () => {
  h = await createAppHarness('compare');
  ({ store, app } = h);
});
afterAll(() => h.close());

const N = 40;
const dataset = (n = N, tag = '') => ({
  items: Array.from({ length: n }, (_, i) => ({
    id: `i${i}`,
    input: `q${i}${tag}`,
    expectedOutput: 'yes',
  })),
});

/** Submits a run (no worker serves it here: results are recorded directly, so waitForWorkers). */
async function createRun(body: Record<string, unknown>): Promise<Run> {
  const res = await app.request('/v1/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ execution: { waitForWorkers: true }, ...body }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Run;
}

/** Records every item: `score(i)` null = the target failed (no score), else exact_match's score. */
async function record(runId: string, score: (i: number) => number | null): Promise<void> {
  const indexes = Array.from({ length: N }, (_, i) => i);
  expect(
    (await store.execution.claimItems(runId, indexes, { withItems: false, withSpec: false })).state,
  ).toBe('ok');
  const outcome = await store.execution.recordResults(
    runId,
    indexes.map((index) => {
      const s = score(index);
      const result: StoredResult =
        s === null
          ? { status: 'failed', attempts: 1, error: { message: 'boom', type: 'target_error' } }
          : {
              status: 'succeeded',
              attempts: 1,
              output: s === 1 ? 'yes' : 'no',
              latencyMs: 5,
              scores: { exact_match: { score: s, passed: s === 1 } },
            };
      return { index, result };
    }),
  );
  expect(outcome).toMatchObject({ state: 'ok', recorded: N, finished: true });
}

async function compare(a: string, b: string, query = ''): Promise<Response> {
  return app.request(`/v1/runs/${a}/compare/${b}${query}`);
}

describe('GET /v1/runs/:a/compare/:b', () => {
  let a: Run;
  let b: Run;
  // a: items 0-19 pass, 20-34 fail (score 0; 30-33 score 0.2), 35-39 target failed
  const scoreA = (i: number) => (i < 20 ? 1 : i >= 35 ? null : i >= 30 && i <= 33 ? 0.2 : 0);
  // b: 0-14 pass, 15-19 fail (5 regressed), 20-29 pass (10 improved), 30-33 score 0.4
  // (better score, still failed), 34 fails, 35-39 target failed again
  const scoreB = (i: number) =>
    i < 15 ? 1 : i < 20 ? 0 : i < 30 ? 1 : i <= 33 ? 0.4 : i === 34 ? 0 : null;

  beforeAll(async () => {
    const spec = {
      target: { name: 'echo' },
      scorers: [{ name: 'exact_match' }],
      dataset: dataset(),
    };
    a = await createRun({ ...spec, name: 'baseline' });
    b = await createRun({
      ...spec,
      name: 'candidate',
      scorers: [{ name: 'exact_match' }, { name: 'contains' }],
    });
    expect(b.datasetVersion).toBe(a.datasetVersion);
    await record(a.id, scoreA);
    await record(b.id, scoreB);
  });

  it('counts improved, regressed and unchanged items by pass/fail and by score, with a paired bootstrap CI', async () => {
    const res = await compare(a.id, b.id);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Compare;
    const ids = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => `i${from + k}`);
    expect(body).toMatchObject({
      a: a.id,
      b: b.id,
      scorer: 'exact_match',
      datasetVersion: a.datasetVersion,
      items: 40,
      unmatched: 0,
      byPass: {
        improved: 10,
        regressed: 5,
        unchanged: 25,
        improvedItems: ids(20, 30),
        regressedItems: ids(15, 20),
      },
      byScore: {
        improved: 14,
        regressed: 5,
        unchanged: 21,
        improvedItems: ids(20, 34),
        regressedItems: ids(15, 20),
      },
      passRateA: 0.5,
      passRateB: 0.625,
      bootstrap: { resamples: 2000, seed: 1 },
    });
    // each side's figures are its run's own (one pass rate: passed / totalItems)
    for (const [run, score] of [
      [a, body.scoreA],
      [b, body.scoreB],
    ] as const) {
      const res = await app.request(`/v1/runs/${run.id}`);
      expect(score).toEqual(((await res.json()) as Run).scores.exact_match);
    }
    // a: 20 passed, 15 scored and failed, 5 target failures (no score)
    expect(body.scoreA.mean).toBeCloseTo((20 + 4 * 0.2) / 35, 12);
    expect(body.scoreA).toEqual({
      mean: body.scoreA.mean,
      passed: 20,
      failed: 15,
      errors: 5,
      passRate: 0.5,
      passRateOfScored: 20 / 35,
    });
    expect(body.diff).toBeCloseTo(0.125, 12);
    // the interval of the same outcomes computed here, and it contains the observed difference
    const passA = Array.from({ length: N }, (_, i) => (scoreA(i) === 1 ? 1 : 0));
    const passB = Array.from({ length: N }, (_, i) => (scoreB(i) === 1 ? 1 : 0));
    expect(body.ci95).toEqual(pairedBootstrapDiff(passA, passB, { seed: 1 }).ci);
    expect(body.ci95![0]).toBeLessThan(0.125);
    expect(body.ci95![1]).toBeGreaterThan(0.125);
    // deterministic for a seed; another seed moves the interval but not the counts
    const again = (await (await compare(a.id, b.id)).json()) as Compare;
    expect(again).toEqual(body);
    const seeded = (await (await compare(a.id, b.id, '?seed=99')).json()) as Compare;
    expect(seeded.bootstrap).toEqual({ resamples: 2000, seed: 99 });
    expect(seeded.ci95).toEqual(pairedBootstrapDiff(passA, passB, { seed: 99 }).ci);
    expect(seeded.byPass).toEqual(body.byPass);
  });

  it('reversed, improvements become regressions', async () => {
    const body = (await (await compare(b.id, a.id)).json()) as Compare;
    expect(body.byPass).toMatchObject({ improved: 5, regressed: 10, unchanged: 25 });
    expect(body.diff).toBeCloseTo(-0.125, 12);
  });

  it('answers 409 for runs over different dataset versions', async () => {
    const other = await createRun({
      target: { name: 'echo' },
      scorers: [{ name: 'exact_match' }],
      dataset: dataset(N, '-changed'),
    });
    expect(other.datasetVersion).not.toBe(a.datasetVersion);
    const res = await compare(a.id, other.id);
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { type: string; detail: string };
    expect(problem.type).toBe('urn:runledger:problem:conflict');
    expect(problem.detail).toContain('different dataset versions');
    expect(problem.detail).toContain(String(a.datasetVersion));
    expect(problem.detail).toContain(String(other.datasetVersion));
  });

  it('answers 400 for a scorer not on both runs', async () => {
    const res = await compare(a.id, b.id, '?scorer=contains');
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { errors: { path: string; message: string }[] };
    expect(problem.errors).toEqual([
      {
        path: 'scorer',
        message: 'scorer "contains" is not on both runs (a: exact_match; b: exact_match, contains)',
      },
    ]);
  });

  it('answers 404 for unknown runs and for runs of another project', async () => {
    const missing = ulid();
    expect((await compare(a.id, missing)).status).toBe(404);
    expect((await compare('not-a-run', a.id)).status).toBe(404);
    // a run of project "other" with the same items: exists, but not for this (keyless) project
    const id = ulid();
    const items = dataset().items;
    await store.runs.stageItems(id, 0, items);
    await store.runs.commitRun({
      id,
      target: { name: 'echo' },
      scorers: [{ name: 'exact_match' }],
      execution: { maxAttempts: 1, backoff: { type: 'fixed', delayMs: 0 }, timeoutMs: 1000 },
      datasetVersion: a.datasetVersion!,
      totalItems: items.length,
      chunkSize: 10,
      ttlSeconds: 600,
      tags: [],
      metadata: {},
      createdAt: Date.now(),
      project: 'other',
    });
    const res = await compare(a.id, id);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: string }).detail).toBe(`run ${id} not found`);
  });
});
