/**
 * Issue 7 (sections 3-4, API and store side), against a real Redis through `app.request()` with
 * an in-process worker serving a scripted target:
 * - one pass rate (`summarizeScore`): `passed`, `failed`, `errors`, `passRate` (over every item)
 *   and `passRateOfScored` agree on the run, the run list, compare and the experiment summary;
 * - failed items grouped by error type (`errorTypes`: counts, first full message, TTL, exactly
 *   once; cancelled items are not failures);
 * - a run lists its reruns; `GET /v1/runs/:id/results?effective=true` gives per item the latest
 *   result across the run and its reruns, with counters and scores;
 * - `DELETE /v1/experiments/:id` deletes its runs; an experiment whose run is gone is `incomplete`;
 * - pushing a dataset version equal to the latest returns it (200, `created: false`).
 */
import type { createApp } from '@runledger/api';
import {
  type Compare,
  type Dataset,
  defineTarget,
  type EffectiveSummary,
  type ExperimentSummary,
  NonRetryableError,
  type Result,
  type Run,
  type RunStore,
  type StoredResult,
  z,
} from '@runledger/shared';
import type { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, createAppHarness, requestJson } from './helpers/app.js';
import { waitFor } from './helpers/context.js';
import { waitTerminal } from './helpers/run-checks.js';

const ALPHA = 'alpha-key-0123456789abcdef';
const BETA = 'beta-key-0123456789abcdef';

/** A message longer than any table cell: errorTypes keep it whole. */
const LONG_MESSAGE = `quota exceeded: ${'x'.repeat(1500)} (retry tomorrow)`;

/** Item ids `scripted` fails with `{ type, message }` (non-retryable). */
const failing = new Map<string, { type: string; message: string }>();

/**
 * `scripted`: input `{ out, hang? }`; answers `out`, fails the item ids in `failing`, and never
 * answers (until aborted) when `hang` is set.
 */
const scripted = defineTarget({
  name: 'scripted',
  description: 'answers input.out, fails the ids in `failing`, hangs on input.hang',
  configSchema: z.object({}).strict(),
  run: (input, { itemId, signal }) => {
    const { out, hang } = input as { out?: string; hang?: boolean };
    const failure = failing.get(itemId);
    if (failure) return Promise.reject(new NonRetryableError(failure.message, failure.type));
    if (hang) {
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    }
    return Promise.resolve({ output: out ?? null });
  },
});

let h: AppHarness;
let app: ReturnType<typeof createApp>;
let store: RunStore;
let redis: Redis;

beforeAll(async () => {
  h = await createAppHarness(
    'runstats',
    {
      RUNLEDGER_API_KEYS: `alpha:${ALPHA},beta:${BETA}`,
      RUNLEDGER_CLAIM_LEASE_MS: '50',
      WORKER_HEARTBEAT_MS: '200',
    },
    { targets: [scripted] },
  );
  ({ app, store, redis } = h);
});
afterAll(() => h.close());

const call = <T>(method: string, path: string, body?: unknown, key = ALPHA) =>
  requestJson<T>(app, method, path, body, key);

const EXECUTION = { maxAttempts: 1, backoff: { type: 'fixed', delayMs: 0 }, timeoutMs: 30_000 };

async function submit(body: Record<string, unknown>): Promise<Run> {
  const res = await call<Run>('POST', '/v1/runs', {
    target: { name: 'scripted' },
    scorers: [{ name: 'exact_match' }],
    execution: EXECUTION,
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const getRun = async (id: string): Promise<Run> => {
  const res = await call<Run>('GET', `/v1/runs/${id}`);
  expect(res.status).toBe(200);
  return res.body;
};

type ResultPage = { results: Result[]; nextCursor: string | null; effective?: EffectiveSummary };

/** Every page of `GET /v1/runs/:id/results?<query>` with `limit`. */
async function pages(id: string, query: string, limit: number): Promise<ResultPage[]> {
  const out: ResultPage[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await call<ResultPage>('GET', `/v1/runs/${id}/results?${q}`);
    expect(res.status).toBe(200);
    out.push(res.body);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

describe('one pass rate and failures grouped by type', () => {
  it('counts passed, failed, errors, passRate and passRateOfScored; groups failures by type', async () => {
    // 0-3 pass, 4-5 scored and failed, 6-7 rate_limited, 8 bad_input, 9 hangs until cancelled
    failing.set('i6', { type: 'rate_limited', message: LONG_MESSAGE });
    failing.set('i7', { type: 'rate_limited', message: LONG_MESSAGE });
    failing.set('i8', { type: 'bad_input', message: 'input rejected: empty prompt' });
    const items = Array.from({ length: 10 }, (_, i) => ({
      id: `i${i}`,
      input: i === 9 ? { hang: true } : { out: i < 4 ? 'yes' : 'no' },
      expectedOutput: 'yes',
    }));
    const created = await submit({ name: 'pass-rate', dataset: { items } });
    // every item but the hanging one has its result; then cancel: item 9 becomes cancelled
    await waitFor(async () => {
      const run = await store.runs.getRun(created.id);
      return run && run.succeededCount + run.failedCount === 9 ? run : null;
    }, 'nine results');
    expect((await call('POST', `/v1/runs/${created.id}/cancel`)).status).toBe(200);
    const run = await getRun(created.id);
    expect(run).toMatchObject({
      status: 'cancelled',
      succeededCount: 6,
      failedCount: 3,
      cancelledCount: 1,
    });
    const expected = {
      mean: 4 / 6,
      passed: 4,
      failed: 2,
      errors: 4, // 3 failed to execute, 1 cancelled
      passRate: 0.4, // 4 of 10 items
      passRateOfScored: 4 / 6,
    };
    expect(run.scores).toEqual({ exact_match: expected });
    expect(run.errorTypes).toEqual([
      { type: 'rate_limited', count: 2, message: LONG_MESSAGE },
      { type: 'bad_input', count: 1, message: 'input rejected: empty prompt' },
    ]);
    // the same figures in the run list
    const list = await call<{ runs: Run[] }>('GET', '/v1/runs?limit=50');
    const listed = list.body.runs.find((r) => r.id === run.id);
    expect(listed?.scores).toEqual({ exact_match: expected });
    expect(listed?.errorTypes).toEqual(run.errorTypes);
    // and compare: pass rates of both sides are the runs' own (passed / totalItems)
    const replay = await call<Run>('POST', `/v1/runs/${run.id}/rerun`, { only: 'failed' });
    expect(replay.status).toBe(201);
    await call('POST', `/v1/runs/${replay.body.id}/cancel`); // item 9 hangs again
    const cmp = await call<Compare>('GET', `/v1/runs/${run.id}/compare/${replay.body.id}`);
    expect(cmp.status).toBe(200);
    const rerunRun = await getRun(replay.body.id);
    expect(cmp.body.scoreA).toEqual(expected);
    expect(cmp.body.passRateA).toBe(0.4);
    expect(cmp.body.scoreB).toEqual(rerunRun.scores.exact_match);
    expect(cmp.body.passRateB).toBe(rerunRun.scores.exact_match!.passRate);
    expect(cmp.body.diff).toBeCloseTo(
      rerunRun.scores.exact_match!.passRate! - expected.passRate,
      12,
    );
    failing.clear();
  });

  it('records each failed item once per type with the first message; keeps the run TTL', async () => {
    const id = ulid();
    const items = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, input: i }));
    await store.runs.stageItems(id, 0, items);
    await store.runs.commitRun({
      id,
      target: { name: 'scripted' },
      scorers: [],
      execution: { maxAttempts: 1, backoff: { type: 'fixed', delayMs: 0 }, timeoutMs: 1000 },
      datasetVersion: 'v',
      totalItems: 6,
      chunkSize: 6,
      ttlSeconds: 600,
      tags: [],
      metadata: {},
      createdAt: Date.now(),
    });
    const failed = (type: string | null, message: string): StoredResult => ({
      status: 'failed',
      attempts: 1,
      ...(type === null ? {} : { error: { type, message } }),
    });
    await store.execution.recordResults(id, [
      { index: 0, result: failed('timeout', 'first timeout') },
      { index: 1, result: failed('timeout', 'second timeout') },
    ]);
    // a second write for item 0 (another worker, a retry) changes nothing
    await store.execution.recordResults(id, [
      { index: 0, result: failed('timeout', 'late duplicate') },
      { index: 2, result: failed('http_error', 'HTTP 503') },
      { index: 3, result: failed(null, '') },
      { index: 4, result: { status: 'cancelled', attempts: 0 } },
    ]);
    expect((await store.runs.getRun(id))?.errorTypes).toEqual([
      { type: 'timeout', count: 2, message: 'first timeout' },
      { type: 'http_error', count: 1, message: 'HTTP 503' },
      { type: 'unknown', count: 1, message: '' },
    ]);
    const k = store.keys.run(id);
    expect(await redis.ttl(k.errtypes)).toBeGreaterThan(0);
    // the last item completes the run: every key, errtypes included, gets the retention
    await store.execution.recordResults(id, [
      { index: 5, result: failed('http_error', 'HTTP 500') },
    ]);
    const run = await store.runs.getRun(id);
    expect(run?.status).toBe('completed');
    expect(run?.errorTypes.map((e) => [e.type, e.count])).toEqual([
      ['http_error', 2],
      ['timeout', 2],
      ['unknown', 1],
    ]);
    const existing: string[] = [];
    for (const key of store.keys.runKeyList(id)) {
      const ttl = await redis.ttl(key);
      if (ttl === -2) continue; // never written (no latency, no succeeded item)
      existing.push(key.slice(key.lastIndexOf(':') + 1));
      expect(ttl, key).toBeGreaterThan(590);
      expect(ttl, key).toBeLessThanOrEqual(600);
    }
    expect(existing).toEqual([
      'run',
      'items',
      'results',
      'failed',
      'cancelled',
      'events',
      'errtypes',
    ]);
    expect(await store.runs.deleteRun(id)).toBe(true);
    expect(await redis.exists(...store.keys.allRunKeys(id))).toBe(0);
  });
});

describe('reruns and effective results', () => {
  const ITEMS = Array.from({ length: 8 }, (_, i) => ({
    id: `e${i}`,
    input: { out: 'yes' },
    expectedOutput: 'yes',
  }));

  it('lists reruns and gives per item the latest result across the run and its reruns', async () => {
    for (const id of ['e1', 'e3', 'e4', 'e6']) failing.set(id, { type: 'flaky', message: 'down' });
    const original = await waitTerminal(
      store,
      (await submit({ name: 'effective', dataset: { items: ITEMS } })).id,
    );
    expect(original).toMatchObject({ succeededCount: 4, failedCount: 4, reruns: [] });
    // plain results and effective results agree while there is no rerun
    const [alone] = await pages(original.id, 'effective=true', 100);
    expect(alone!.effective).toEqual({
      runIds: [original.id],
      totalItems: 8,
      succeeded: 4,
      failed: 4,
      cancelled: 0,
      pending: 0,
      scores: original.scores,
    });

    // rerun 1 repairs e1 and e3; rerun 2 (a rerun of rerun 1) repairs e4
    failing.delete('e1');
    failing.delete('e3');
    const r1 = await call<Run>('POST', `/v1/runs/${original.id}/rerun`, { only: 'failed' });
    expect(r1.status).toBe(201);
    await waitTerminal(store, r1.body.id);
    failing.delete('e4');
    const r2 = await call<Run>('POST', `/v1/runs/${r1.body.id}/rerun`, { only: 'failed' });
    expect(r2.status).toBe(201);
    await waitTerminal(store, r2.body.id);
    expect((await getRun(original.id)).reruns).toEqual([r1.body.id]);
    expect((await getRun(r1.body.id)).reruns).toEqual([r2.body.id]);
    // the reruns list lives as long as the parent's keys
    const parentTtl = await redis.pttl(store.keys.run(original.id).run);
    const listTtl = await redis.pttl(store.keys.run(original.id).reruns);
    expect(listTtl).toBeGreaterThan(0);
    expect(Math.abs(parentTtl - listTtl)).toBeLessThan(5000);

    const all = await pages(original.id, 'effective=true', 3);
    expect(all.map((p) => p.results.map((r) => r.itemIndex))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
    const results = all.flatMap((p) => p.results);
    const source: Record<string, string> = { e1: r1.body.id, e3: r1.body.id, e4: r2.body.id };
    expect(results.map((r) => [r.itemId, r.status, r.runId])).toEqual(
      ITEMS.map((item) => [
        item.id,
        item.id === 'e6' ? 'failed' : 'succeeded',
        source[item.id] ?? (item.id === 'e6' ? r2.body.id : original.id),
      ]),
    );
    const effective: EffectiveSummary = {
      runIds: [original.id, r1.body.id, r2.body.id],
      totalItems: 8,
      succeeded: 7,
      failed: 1,
      cancelled: 0,
      pending: 0,
      scores: {
        exact_match: {
          mean: 1,
          passed: 7,
          failed: 0,
          errors: 1,
          passRate: 7 / 8,
          passRateOfScored: 1,
        },
      },
    };
    for (const page of all) expect(page.effective).toEqual(effective);
    // the status filter applies to the effective status
    const failedOnly = await pages(original.id, 'effective=true&status=failed', 1);
    expect(failedOnly.flatMap((p) => p.results.map((r) => [r.itemId, r.runId]))).toEqual([
      ['e6', r2.body.id],
    ]);
    const succeeded = await pages(original.id, 'effective=true&status=succeeded', 4);
    expect(succeeded.map((p) => p.results.map((r) => r.itemId))).toEqual([
      ['e0', 'e1', 'e2', 'e3'],
      ['e4', 'e5', 'e7'],
    ]);
    // the run's own listing is unchanged
    const plain = (await pages(original.id, 'effective=false', 100))[0]!;
    expect(plain.effective).toBeUndefined();
    expect(plain.results.filter((r) => r.status === 'failed').map((r) => r.itemId)).toEqual([
      'e1',
      'e3',
      'e4',
      'e6',
    ]);

    // a deleted rerun leaves the list and the effective results
    expect((await call('DELETE', `/v1/runs/${r2.body.id}`)).status).toBe(204);
    expect((await getRun(r1.body.id)).reruns).toEqual([]);
    const after = (await pages(original.id, 'effective=true', 100))[0]!;
    expect(after.effective).toMatchObject({
      runIds: [original.id, r1.body.id],
      succeeded: 6,
      failed: 2,
    });
    expect(after.effective?.scores.exact_match?.passRate).toBe(6 / 8);
    // another project's key sees nothing
    expect(
      (await call('GET', `/v1/runs/${original.id}/results?effective=true`, undefined, BETA)).status,
    ).toBe(404);
    failing.clear();
  });
});

describe('experiments: delete, incomplete', () => {
  const items = Array.from({ length: 6 }, (_, i) => ({
    id: `x${i}`,
    input: { out: i % 2 === 0 ? 'yes' : 'no' },
    expectedOutput: 'yes',
  }));

  async function createExperiment(): Promise<ExperimentSummary> {
    const res = await call<ExperimentSummary>('POST', '/v1/experiments', {
      name: 'exp',
      dataset: { items },
      variants: [
        { name: 'a', target: { name: 'scripted' } },
        { name: 'b', target: { name: 'scripted' } },
      ],
      scorers: [{ name: 'exact_match' }],
      execution: EXECUTION,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    for (const v of res.body.variants) for (const id of v.runIds) await waitTerminal(store, id);
    return (await call<ExperimentSummary>('GET', `/v1/experiments/${res.body.id}`)).body;
  }

  it('says incomplete when a run is gone and counts only the runs that remain', async () => {
    const summary = await createExperiment();
    expect(summary).toMatchObject({ status: 'completed', incomplete: false, missingRunIds: [] });
    const [a, b] = summary.variants;
    // the variant's figures are the run's figures (one definition)
    const runA = await getRun(a!.runIds[0]!);
    expect(a!.scores.exact_match).toMatchObject(runA.scores.exact_match!);
    expect(a!.scores.exact_match).toMatchObject({ passed: 3, failed: 3, passRate: 0.5, n: 6 });

    const gone = b!.runIds[0]!;
    expect((await call('DELETE', `/v1/runs/${gone}`)).status).toBe(204);
    const after = (await call<ExperimentSummary>('GET', `/v1/experiments/${summary.id}`)).body;
    expect(after).toMatchObject({ incomplete: true, missingRunIds: [gone] });
    expect(after.variants[0]).toMatchObject({ missingRunIds: [], totalItems: 6 });
    expect(after.variants[0]!.scores.exact_match).toEqual(a!.scores.exact_match);
    expect(after.variants[1]).toMatchObject({
      missingRunIds: [gone],
      totalItems: 0,
      completedItems: 0,
    });
    expect(after.variants[1]!.scores.exact_match).toMatchObject({
      passed: 0,
      failed: 0,
      n: 0,
      passRate: null,
      ci95: null,
    });
  });

  it('DELETE /v1/experiments/:id deletes the experiment and every run (404 after)', async () => {
    const summary = await createExperiment();
    const runIds = summary.variants.flatMap((v) => v.runIds);
    expect(runIds).toHaveLength(2);
    // another project and unknown ids: 404, nothing deleted
    expect((await call('DELETE', `/v1/experiments/${summary.id}`, undefined, BETA)).status).toBe(
      404,
    );
    expect((await call('DELETE', `/v1/experiments/${ulid()}`)).status).toBe(404);
    expect((await call('GET', `/v1/runs/${runIds[0]}`)).status).toBe(200);

    expect((await call('DELETE', `/v1/experiments/${summary.id}`)).status).toBe(204);
    expect((await call('GET', `/v1/experiments/${summary.id}`)).status).toBe(404);
    for (const id of runIds) {
      expect((await call('GET', `/v1/runs/${id}`)).status).toBe(404);
      expect(await redis.keys(`${h.prefix}:{${id}}:*`)).toEqual([]);
    }
    const list = await call<{ experiments: { id: string }[] }>('GET', '/v1/experiments');
    expect(list.body.experiments.map((e) => e.id)).not.toContain(summary.id);
    expect((await call('DELETE', `/v1/experiments/${summary.id}`)).status).toBe(404);
  });
});

describe('dataset push dedup', () => {
  it('returns the latest version for unchanged content; a change creates the next version', async () => {
    const items = [
      { id: 'fr', input: 'France', expectedOutput: 'Paris' },
      { id: 'jp', input: 'Japan', expectedOutput: 'Tokyo' },
    ];
    type Change = Dataset & { created: boolean };
    const created = await call<Change>('POST', '/v1/datasets', { id: 'caps', name: 'caps', items });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ latestVersion: 1, created: true });
    const v1 = created.body.versions[0]!;

    const same = await call<Change>('POST', '/v1/datasets/caps/items', { mode: 'replace', items });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ latestVersion: 1, created: false, versions: [v1] });

    const changed = [...items, { id: 'de', input: 'Germany', expectedOutput: 'Berlin' }];
    const v2 = await call<Change>('POST', '/v1/datasets/caps/items', {
      mode: 'replace',
      items: changed,
    });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ latestVersion: 2, created: true });
    expect(v2.body.versions.map((v) => [v.version, v.itemCount])).toEqual([
      [1, 2],
      [2, 3],
    ]);
    // equal to v2 again (replace with the same items, or nothing new to append): v2 is answered
    const again = await call<Change>('POST', '/v1/datasets/caps/items', {
      mode: 'replace',
      items: changed,
      name: 'capitals',
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      latestVersion: 2,
      created: false,
      name: 'capitals', // a rename still applies
      versions: v2.body.versions,
    });
    // back to v1's content is a change against v2: a new version with v1's hash
    const back = await call<Change>('POST', '/v1/datasets/caps/items', { mode: 'replace', items });
    expect(back.status).toBe(201);
    expect(back.body.versions.map((v) => [v.version, v.contentHash])).toEqual([
      [1, v1.contentHash],
      [2, v2.body.versions[1]!.contentHash],
      [3, v1.contentHash],
    ]);
    expect(await redis.keys(`${h.prefix}:dataset:*staging*`)).toEqual([]);
  });
});

describe('OpenAPI', () => {
  it('documents the pass rate, error types, reruns, effective results, experiment delete and dedup', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
      components: { schemas: Record<string, SchemaObject> };
    };
    type SchemaObject = {
      properties?: Record<string, unknown>;
      allOf?: SchemaObject[];
      $ref?: string;
    };
    /** Property names of a component, through `allOf` and `$ref` (extended schemas). */
    const propsOf = (schema: SchemaObject | undefined): string[] => {
      if (!schema) return [];
      if (schema.$ref) return propsOf(doc.components.schemas[schema.$ref.split('/').at(-1)!]);
      return [...Object.keys(schema.properties ?? {}), ...(schema.allOf ?? []).flatMap(propsOf)];
    };
    const props = (name: string) => propsOf(doc.components.schemas[name]);
    expect(props('ScoreSummary').sort()).toEqual(
      ['errors', 'failed', 'mean', 'passRate', 'passRateOfScored', 'passed'].sort(),
    );
    expect(props('Run')).toEqual(expect.arrayContaining(['errorTypes', 'reruns', 'scores']));
    expect(props('ErrorType').sort()).toEqual(['count', 'message', 'type']);
    expect(props('ResultList')).toEqual(['results', 'nextCursor', 'effective']);
    expect(props('EffectiveSummary')).toEqual([
      'runIds',
      'totalItems',
      'succeeded',
      'failed',
      'cancelled',
      'pending',
      'scores',
    ]);
    expect(props('ExperimentSummary')).toEqual(
      expect.arrayContaining(['incomplete', 'missingRunIds']),
    );
    expect(props('Compare')).toEqual(expect.arrayContaining(['scoreA', 'scoreB', 'passRateA']));
    expect(props('VariantScore')).toEqual(
      expect.arrayContaining(['passRate', 'passRateOfScored', 'errors', 'ci95', 'n']),
    );
    expect(props('DatasetChange')).toEqual(expect.arrayContaining(['created', 'versions']));
    const results = doc.paths['/v1/runs/{id}/results']?.get;
    expect(results?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['query:effective', 'query:status']),
    );
    expect(Object.keys(doc.paths['/v1/experiments/{id}'] ?? {})).toEqual(
      expect.arrayContaining(['get', 'delete']),
    );
    expect(Object.keys(doc.paths['/v1/datasets/{id}/items']?.post ?? {})).toContain('responses');
  });
});
