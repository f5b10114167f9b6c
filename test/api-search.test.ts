/**
 * Search, sort and aggregates of the API (issue 8), through `app.request()` on a real Redis, over
 * runs written straight through the store with known results (no worker: every latency, score,
 * cost and time is chosen here):
 * - `GET /v1/runs?q=`: a case-insensitive substring of the name or id, with the other filters;
 * - `GET /v1/runs/aggregate`: exact totals and groups by target and model, `q` included, not
 *   taken for a run id;
 * - `GET /v1/runs/:id/results?q=&sort=`: matches by item id, input, output, expected and error
 *   message; latency and score orders (both directions), paged with opaque cursors; the bounded
 *   scan's short pages; the score index in Redis (TTL, rebuilt when results land, deleted with
 *   the run); bad sort / cursor / scorer -> 400 problems.
 */
import type { createApp } from '@runledger/api';
import {
  ExecutionSchema,
  type Result,
  ResultQueries,
  type Run,
  type RunAggregate,
  type RunStore,
  type StoredItem,
  type StoredResult,
  type TargetRef,
} from '@runledger/shared';
import type { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, createAppHarness, requestJson } from './helpers/app.js';

const KEY = 'search-key-0123456789abcdef';
let h: AppHarness;
let app: ReturnType<typeof createApp>;
let store: RunStore;
let redis: Redis;

beforeAll(async () => {
  h = await createAppHarness('search', {
    RUNLEDGER_API_KEYS: `default:${KEY}`,
  });
  ({ app, store, redis } = h);
});

afterAll(async () => {
  await h?.close();
});

const get = <T>(path: string) => requestJson<T>(app, 'GET', path, undefined, KEY);

interface Problem {
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

/**
 * Asserts that for each field path of `queriesByPath`, `GET /v1/runs/:runId/results?<query>` of
 * each of its queries answers 400 with a problem naming that path (in order, one by one).
 */
async function expectResultsProblems(
  runId: string,
  queriesByPath: Record<string, string[]>,
): Promise<void> {
  for (const [path, queries] of Object.entries(queriesByPath)) {
    for (const query of queries) {
      const { status, body } = await get<Problem>(`/v1/runs/${runId}/results?${query}`);
      expect(status, query).toBe(400);
      expect(
        body.errors?.map((e) => e.path),
        query,
      ).toContain(path);
    }
  }
}

/** One page of `GET /v1/runs/:id/results`. */
type ResultPage = { results: Result[]; nextCursor: string | null };

/**
 * Every page of the results of `runId` for `query` (`cursor=` appended, URI-encoded, from the
 * second page on), each asserted 200; the pages' bodies in order.
 */
async function resultPages(runId: string, query: string): Promise<ResultPage[]> {
  const pages: ResultPage[] = [];
  let cursor: string | null = null;
  do {
    const next: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const { status, body }: { status: number; body: ResultPage } = await get<ResultPage>(
      `/v1/runs/${runId}/results?${query}${next}`,
    );
    expect(status, JSON.stringify(body)).toBe(200);
    pages.push(body);
    cursor = body.nextCursor;
  } while (cursor !== null);
  return pages;
}

let clock = Date.now() - 3_600_000;

/**
 * Writes a run through the store (staged items, commit, index), claims all its items at
 * `startedAt` when given and records `results[i]` for item i (null: no result yet) at
 * `completedAt`. Returns its id.
 */
async function makeRun(opts: {
  name?: string;
  target: TargetRef;
  scorers: string[];
  items: StoredItem[];
  results: (StoredResult | null)[];
  startedAt?: number;
  completedAt?: number;
}): Promise<string> {
  const id = ulid();
  clock += 1000; // distinct createdAt: the list is newest first
  await store.runs.stageItems(id, 0, opts.items);
  await store.runs.commitRun({
    id,
    name: opts.name,
    target: opts.target,
    scorers: opts.scorers.map((name) => ({ name })),
    execution: ExecutionSchema.parse({}),
    datasetVersion: 'v1',
    totalItems: opts.items.length,
    chunkSize: 100,
    ttlSeconds: 3600,
    tags: [],
    metadata: {},
    createdAt: clock,
  });
  if (opts.startedAt !== undefined) {
    const all = opts.items.map((_, i) => i);
    await store.execution.claimItems(id, all, {
      withItems: false,
      withSpec: false,
      now: opts.startedAt,
    });
  }
  const records = opts.results.flatMap((result, index) => (result ? [{ index, result }] : []));
  if (records.length > 0) await store.execution.recordResults(id, records, opts.completedAt);
  return id;
}

/** A succeeded result scored by `scores` (name -> score; passed when 1). */
const ok = (
  output: unknown,
  latencyMs: number,
  scores: Record<string, number>,
  extra: Partial<StoredResult> = {},
): StoredResult => ({
  status: 'succeeded',
  output,
  attempts: 1,
  latencyMs,
  scores: Object.fromEntries(
    Object.entries(scores).map(([n, score]) => [n, { score, passed: score === 1 }]),
  ),
  ...extra,
});

describe('GET /v1/runs/aggregate and GET /v1/runs?q=', () => {
  let alpha: string;
  let beta: string;
  let gamma: string;

  beforeAll(async () => {
    const items = (n: number): StoredItem[] =>
      Array.from({ length: n }, (_, i) => ({ id: `x${i}`, input: i, expectedOutput: i }));
    // alpha: t1 / m-big, 4 items, 3 pass exact_match, 1000 ms, 40+20 tokens, $0.50
    alpha = await makeRun({
      name: 'Alpha Search',
      target: { name: 't1', config: { model: 'm-big' } },
      scorers: ['exact_match'],
      items: items(4),
      results: [0, 1, 2, 3].map((i) =>
        ok(
          i,
          10,
          { exact_match: i < 3 ? 1 : 0 },
          {
            usage: { inputTokens: 10, outputTokens: 5 },
            costUsd: 0.125,
          },
        ),
      ),
      startedAt: 10_000,
      completedAt: 11_000,
    });
    // beta: t1 / m-small, 2 items, 1 passes, 3000 ms, $0.25
    beta = await makeRun({
      name: 'beta',
      target: { name: 't1', config: { model: 'm-small' } },
      scorers: ['exact_match'],
      items: items(2),
      results: [
        ok(
          0,
          10,
          { exact_match: 1 },
          { usage: { inputTokens: 7, outputTokens: 3 }, costUsd: 0.25 },
        ),
        { status: 'failed', attempts: 1, error: { type: 'x', message: 'no' } },
      ],
      startedAt: 20_000,
      completedAt: 23_000,
    });
    // gamma: t2 without a model, 5 items with two scorers, 2 results so far (not finished)
    gamma = await makeRun({
      name: 'gamma',
      target: { name: 't2' },
      scorers: ['exact_match', 'contains'],
      items: items(5),
      results: [
        ok(0, 10, { exact_match: 1, contains: 1 }),
        ok(1, 10, { exact_match: 0, contains: 1 }),
      ],
      startedAt: 30_000,
    });
  });

  it('totals, per target and per model, with exact figures', async () => {
    const { status, body } = await get<RunAggregate>('/v1/runs/aggregate');
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.scanned).toBe(3);
    expect(body.truncated).toBe(false);
    expect(body.totals).toEqual({
      runs: 3,
      items: 11,
      succeededItems: 4 + 1 + 2,
      failedItems: 1,
      cancelledItems: 0,
      inputTokens: 47,
      outputTokens: 23,
      costUsd: 0.75,
      unpricedResults: 0,
      finishedRuns: 2,
      avgDurationMs: 2000,
      // exact_match: (3 + 1 + 1) / (4 + 2 + 5); contains: 2 / 5; pooled: 7 / 16
      passRate: 7 / 16,
      scores: {
        contains: { passed: 2, totalItems: 5, passRate: 0.4 },
        exact_match: { passed: 5, totalItems: 11, passRate: 5 / 11 },
      },
    });
    expect(body.byTarget.map((g) => [g.key, g.runs, g.items, g.costUsd])).toEqual([
      ['t1', 2, 6, 0.75],
      ['t2', 1, 5, 0],
    ]);
    expect(body.byTarget[0]?.scores).toEqual({
      exact_match: { passed: 4, totalItems: 6, passRate: 4 / 6 },
    });
    expect(body.byTarget[0]?.avgDurationMs).toBe(2000);
    expect(body.byTarget[1]?.avgDurationMs).toBeNull();
    expect(body.byModel.map((g) => [g.key, g.runs, g.items, g.avgDurationMs])).toEqual([
      ['m-big', 1, 4, 1000],
      ['m-small', 1, 2, 3000],
    ]);
  });

  it('takes the list filters, q among them', async () => {
    const byQ = await get<RunAggregate>('/v1/runs/aggregate?q=ALPHA');
    expect(byQ.body.totals.runs).toBe(1);
    expect(byQ.body.totals.items).toBe(4);
    expect(byQ.body.totals.scores).toEqual({
      exact_match: { passed: 3, totalItems: 4, passRate: 0.75 },
    });
    const byTarget = await get<RunAggregate>('/v1/runs/aggregate?target=t2');
    expect(byTarget.body.totals.runs).toBe(1);
    expect(byTarget.body.byModel).toEqual([]);
    // model: the run's target.config.model, exactly
    const byModel = await get<RunAggregate>('/v1/runs/aggregate?model=m-small');
    expect([byModel.body.totals.runs, byModel.body.totals.items]).toEqual([1, 2]);
    expect(byModel.body.byModel.map((g) => g.key)).toEqual(['m-small']);
    const list = await get<{ runs: { id: string }[] }>('/v1/runs?model=m-big');
    expect(list.body.runs.map((r) => r.id)).toEqual([alpha]);
    expect((await get<{ runs: unknown[] }>('/v1/runs?model=m')).body.runs).toEqual([]);
    const bad = await get<Problem>('/v1/runs/aggregate?since=yesterday');
    expect(bad.status).toBe(400);
  });

  it('lists runs whose name or id holds q, case-insensitively, with the other filters', async () => {
    const names = async (query: string) =>
      (await get<{ runs: Run[] }>(`/v1/runs?${query}`)).body.runs.map((r) => r.id);
    expect(await names('q=SEARCH')).toEqual([alpha]);
    expect(await names('q=a')).toEqual([gamma, beta, alpha]);
    expect(await names(`q=${beta.slice(-8).toLowerCase()}`)).toEqual([beta]);
    expect(await names('q=a&target=t1')).toEqual([beta, alpha]);
    expect(await names('q=nothing-like-it')).toEqual([]);
    // pages of one follow the cursor
    const first = await get<{ runs: Run[]; nextCursor: string }>('/v1/runs?q=a&limit=1');
    expect(first.body.runs.map((r) => r.id)).toEqual([gamma]);
    const second = await get<{ runs: Run[] }>(
      `/v1/runs?q=a&limit=1&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.runs.map((r) => r.id)).toEqual([beta]);
  });
});

describe('GET /v1/runs/:id/results?q=&sort=', () => {
  /** Latency of item i. */
  const LATENCY = [50, 10, 90, 30, 70, 20, 80, 40, 60, 100];
  /** `contains` score of item i (i9 failed: no score). */
  const CONTAINS = [0.5, 0.2, 0.9, 0.2, 1, 0, 0.7, 0.2, 0.4];
  let runId: string;

  beforeAll(async () => {
    const items: StoredItem[] = Array.from({ length: 10 }, (_, i) => ({
      id: `i${i}`,
      input: { question: `Q${i}` },
      expectedOutput: `answer ${i}`,
    }));
    const results: StoredResult[] = LATENCY.map((latencyMs, i) =>
      i === 9
        ? {
            status: 'failed',
            attempts: 2,
            latencyMs,
            error: { type: 'timeout', message: 'Upstream TIMEOUT after 100 ms' },
          }
        : ok(i === 3 ? 'Paris is the capital' : `answer ${i}`, latencyMs, {
            exact_match: i === 3 ? 0 : 1,
            contains: CONTAINS[i]!,
          }),
    );
    runId = await makeRun({
      target: { name: 't1' },
      scorers: ['exact_match', 'contains'],
      items,
      results,
    });
  });

  const page = (query: string) =>
    get<{ results: Result[]; nextCursor: string | null }>(`/v1/runs/${runId}/results?${query}`);
  const ids = async (query: string) => {
    const { status, body } = await page(query);
    expect(status, JSON.stringify(body)).toBe(200);
    return body.results.map((r) => r.itemId);
  };
  /** Every page of `query`, following nextCursor. */
  const allIds = async (query: string) =>
    (await resultPages(runId, query)).flatMap((p) => p.results.map((r) => r.itemId));

  it('q finds items by id, input, output, expected output and error message', async () => {
    expect(await ids('q=paris')).toEqual(['i3']); // output
    expect(await ids('q=timeout')).toEqual(['i9']); // error message
    expect(await ids('q=I7')).toEqual(['i7']); // item id
    expect(await ids('q=q5')).toEqual(['i5']); // input {"question":"Q5"}
    expect(await ids('q=answer%203')).toEqual(['i3']); // expected output only
    expect(await ids('q=answer')).toEqual([
      'i0',
      'i1',
      'i2',
      'i3',
      'i4',
      'i5',
      'i6',
      'i7',
      'i8',
      'i9',
    ]);
    expect(await ids('q=answer&status=failed')).toEqual(['i9']);
    expect(await ids('q=zzz')).toEqual([]);
    expect((await page('q=zzz')).body.nextCursor).toBeNull();
  });

  it('q pages in item order with digit cursors', async () => {
    const first = await page('q=answer&limit=4');
    expect(first.body.results.map((r) => r.itemId)).toEqual(['i0', 'i1', 'i2', 'i3']);
    expect(first.body.nextCursor).toBe('4');
    expect(await allIds('q=answer&limit=4')).toHaveLength(10);
  });

  it('a search stops at its scan budget with a short page and a cursor', async () => {
    const queries = new ResultQueries(redis, store.keys, { scanBudget: 3 });
    const first = await queries.list(runId, { q: 'i8', limit: 100 });
    expect(first).toEqual({ results: [], nextCursor: '3' });
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const p = await queries.list(runId, { q: 'i8', limit: 100, cursor });
      pages.push(p.results.map((r) => r.itemId));
      cursor = p.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(pages).toEqual([[], [], ['i8'], []]);
  });

  it('sorts by latency both ways, paged with opaque cursors', async () => {
    const byLatency = LATENCY.map((l, i) => [l, `i${i}`] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, id]) => id);
    expect(await ids('sort=latency')).toEqual(byLatency);
    expect(await ids('sort=-latency')).toEqual([...byLatency].reverse());
    const first = await page('sort=latency&limit=3');
    expect(first.body.results.map((r) => r.latencyMs)).toEqual([10, 20, 30]);
    expect(first.body.nextCursor).not.toMatch(/^\d+$/);
    expect(await allIds('sort=latency&limit=3')).toEqual(byLatency);
    expect(await allIds('sort=-latency&limit=4')).toEqual([...byLatency].reverse());
    // with a status filter: the failed i9 (100 ms) is left out
    expect(await ids('sort=-latency&status=succeeded&limit=3')).toEqual(['i2', 'i6', 'i4']);
    expect(await ids('sort=latency&q=paris')).toEqual(['i3']);
  });

  it('sorts by a scorer, ties by item index, items without that score left out', async () => {
    // contains: i5 0, i1 i3 i7 0.2, i8 0.4, i0 0.5, i6 0.7, i2 0.9, i4 1 (i9 failed: none)
    const asc = ['i5', 'i1', 'i3', 'i7', 'i8', 'i0', 'i6', 'i2', 'i4'];
    expect(await ids('sort=score:contains')).toEqual(asc);
    expect(await allIds('sort=score:contains&limit=2')).toEqual(asc);
    const desc = ['i4', 'i2', 'i6', 'i0', 'i8', 'i7', 'i3', 'i1', 'i5'];
    expect(await ids('sort=-score:contains')).toEqual(desc);
    expect(await allIds('sort=-score:contains&limit=4')).toEqual(desc);
    // exact_match: i3 is the only 0
    expect(await ids('sort=score:exact_match&limit=2')).toEqual(['i3', 'i0']);
    // descending is the exact reverse of ascending (ties by item index, last first)
    expect((await allIds('sort=-score:exact_match&limit=3')).join(',')).toBe(
      'i8,i7,i6,i5,i4,i2,i1,i0,i3',
    );
    // the index lives in Redis with a short TTL
    const sort = store.keys.runScoreSort(runId);
    expect(await redis.zcard(sort.index)).toBe(18); // 9 scored items x 2 scorers
    const ttl = await redis.pttl(sort.index);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300_000);
    expect(await redis.get(sort.builtCount)).toMatch(/^10:\d+$/); // result count : built at (ms)
  });

  /**
   * A run of t1 scored by `contains` with one item per entry of `results` (id `<idPrefix><i>`,
   * input i) and those results recorded (null: none yet). Returns its id.
   */
  const containsRun = (idPrefix: string, results: (StoredResult | null)[]) =>
    makeRun({
      target: { name: 't1' },
      scorers: ['contains'],
      items: results.map((_, i) => ({ id: `${idPrefix}${i}`, input: i })),
      results,
    });

  it("rebuilds a running run's score index at most once per interval, a finished run's only when its result count changed, and DELETE removes it", async () => {
    const id = await containsRun('p', [ok('a', 1, { contains: 0.5 }), null, null, null]);
    const status = async () => (await get<Run>(`/v1/runs/${id}`)).body.status;
    // the clock and the interval injected: no wall-clock window
    let now = 1_000_000;
    const queries = new ResultQueries(redis, store.keys, {
      minRebuildIntervalMs: 5000,
      now: () => now,
    });
    const sorted = async () =>
      (await queries.list(id, { sort: '-score:contains' })).results.map((r) => r.itemId);
    const sort = store.keys.runScoreSort(id);
    expect(await sorted()).toEqual(['p0']);
    expect(await redis.get(sort.builtCount)).toBe('1:1000000');
    // 2 results land while the run goes on: for 5 s after the build its pages come from it
    await store.execution.recordResults(id, [
      { index: 2, result: ok('b', 1, { contains: 0.9 }) },
      { index: 3, result: ok('c', 1, { contains: 0.1 }) },
    ]);
    expect(await status()).toBe('queued');
    now += 4999;
    expect(await sorted()).toEqual(['p0']);
    expect(await redis.get(sort.builtCount)).toBe('1:1000000');
    now += 1;
    expect(await sorted()).toEqual(['p2', 'p0', 'p3']);
    expect(await redis.get(sort.builtCount)).toBe('3:1005000');
    // the last result lands and the run completes; while another process holds the build lock,
    // the previous index serves
    await redis.set(sort.lock, 'another-api-process', 'PX', 30_000);
    await store.execution.recordResults(id, [{ index: 1, result: ok('d', 1, { contains: 1 }) }]);
    expect(await status()).toBe('completed');
    expect(await sorted()).toEqual(['p2', 'p0', 'p3']);
    expect(await redis.get(sort.builtCount)).toBe('3:1005000');
    await redis.del(sort.lock);
    // finished with another count: rebuilt at once (0 ms after the last build)
    expect(await sorted()).toEqual(['p1', 'p2', 'p0', 'p3']);
    expect(await redis.get(sort.builtCount)).toBe('4:1005000');
    expect(await redis.exists(sort.lock)).toBe(0); // released after the build
    // and never again while its count stays, however long after
    now += 3_600_000;
    expect(await sorted()).toEqual(['p1', 'p2', 'p0', 'p3']);
    expect(await redis.get(sort.builtCount)).toBe('4:1005000');
    // a bare count (written before the build time was kept) is read as that count
    await redis.set(sort.builtCount, '4', 'KEEPTTL');
    expect(await sorted()).toEqual(['p1', 'p2', 'p0', 'p3']);
    expect(await redis.get(sort.builtCount)).toBe('4');
    // the API answers from the same index
    const api = await get<{ results: Result[] }>(`/v1/runs/${id}/results?sort=-score:contains`);
    expect(api.body.results.map((r) => r.itemId)).toEqual(['p1', 'p2', 'p0', 'p3']);
    expect(await redis.get(sort.builtCount)).toBe('4');
    await redis.set(sort.lock, 'a build in flight', 'PX', 30_000);
    expect(await redis.exists(sort.index, sort.builtCount, sort.lock)).toBe(3);
    const res = await requestJson(app, 'DELETE', `/v1/runs/${id}`, undefined, KEY);
    expect(res.status).toBe(204);
    expect(await redis.exists(sort.index, sort.builtCount, sort.lock)).toBe(0);
  });

  it('a sorted request on a run in flight builds its index when there is none', async () => {
    const id = await containsRun('r', [
      ok('a', 1, { contains: 0.3 }),
      ok('b', 1, { contains: 0.6 }),
      null,
    ]);
    const queries = new ResultQueries(redis, store.keys, {
      minRebuildIntervalMs: 3_600_000,
      now: () => 42,
    });
    const page = await queries.list(id, { sort: 'score:contains' });
    expect(page.results.map((r) => r.itemId)).toEqual(['r0', 'r1']);
    expect(await redis.get(store.keys.runScoreSort(id).builtCount)).toBe('2:42');
  });

  it('answers 400 problems for a bad sort, scorer or cursor', async () => {
    const latencyCursor = (await page('sort=latency&limit=2')).body.nextCursor!;
    await expectResultsProblems(runId, {
      sort: ['sort=speed', 'sort=score:', 'sort=score:nope'],
      cursor: [
        'cursor=not%20a%20cursor',
        `sort=-latency&cursor=${latencyCursor}`, // another sort's
        `cursor=${latencyCursor}`, // a sort cursor without its sort
        'sort=latency&cursor=4', // a digit cursor on a sorted page
        'sort=latency&cursor=sAAAAAAA', // not one we handed out
      ],
      effective: ['q=x&effective=true'],
    });
    const missing = await get<Problem>('/v1/runs/01JZ8X6T2M3N4P5Q6R7S8T9V0W/results?sort=latency');
    expect(missing.status).toBe(404);
  });
});

describe('GET /v1/runs/:id/results?scorer=&passed=', () => {
  /**
   * exact_match of item i: 1 passed, 0 not; i6 failed and i7 cancelled (no score), i8 succeeded
   * but its exact_match errored (only `contains`), i9 has no result yet.
   */
  const EXACT = [1, 0, 1, 1, 0, 0];
  /** The items whose exact_match did not pass, in item order: k9 has no result to list. */
  const NOT_PASSED = ['k1', 'k4', 'k5', 'k6', 'k7', 'k8'];
  let runId: string;

  beforeAll(async () => {
    const items: StoredItem[] = Array.from({ length: 10 }, (_, i) => ({
      id: `k${i}`,
      input: `question ${i}`,
      expectedOutput: `answer ${i}`,
    }));
    const results: (StoredResult | null)[] = [
      ...EXACT.map((score, i) =>
        ok(score === 1 ? `answer ${i}` : `wrong ${i}`, 10 * (i + 1), {
          exact_match: score,
          contains: score,
        }),
      ),
      {
        status: 'failed',
        attempts: 1,
        latencyMs: 5,
        error: { type: 'http', message: 'HTTP 500' },
      },
      { status: 'cancelled', attempts: 0 },
      ok('answer 8', 15, { contains: 1 }),
      null,
    ];
    runId = await makeRun({
      target: { name: 't-scorefail' },
      scorers: ['exact_match', 'contains'],
      items,
      results,
    });
  });

  const ids = async (query: string) => {
    const { status, body } = await get<{ results: Result[]; nextCursor: string | null }>(
      `/v1/runs/${runId}/results?${query}`,
    );
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.nextCursor).toBeNull();
    return body.results.map((r) => r.itemId);
  };

  it('passed=false lists every result without a passing score (totalItems - passed, less items without a result)', async () => {
    expect(await ids('scorer=exact_match&passed=false')).toEqual(NOT_PASSED);
    // the run's own figures: passed 3 of 10, so 7 not passed; k9 has no result to list
    const run = await get<Run>(`/v1/runs/${runId}`);
    expect(run.body.scores.exact_match?.passed).toBe(3);
    expect(run.body.totalItems - run.body.scores.exact_match!.passed).toBe(7);
    // contains passed on k8: not listed for contains
    expect(await ids('scorer=contains&passed=false')).toEqual(['k1', 'k4', 'k5', 'k6', 'k7']);
  });

  it('passed=true lists exactly the passing results', async () => {
    expect(await ids('scorer=exact_match&passed=true')).toEqual(['k0', 'k2', 'k3']);
    expect(await ids('scorer=contains&passed=true')).toEqual(['k0', 'k2', 'k3', 'k8']);
  });

  it('combines with status, q, sort and paging', async () => {
    expect(await ids('scorer=exact_match&passed=false&status=succeeded')).toEqual([
      'k1',
      'k4',
      'k5',
      'k8',
    ]);
    expect(await ids('scorer=exact_match&passed=false&status=failed')).toEqual(['k6']);
    expect(await ids('scorer=exact_match&passed=false&q=wrong')).toEqual(['k1', 'k4', 'k5']);
    // latency ms: k5 60, k4 50, k1 20, k8 15, k6 5; the cancelled k7 has none: left out
    const slowestFirst = ['k5', 'k4', 'k1', 'k8', 'k6'];
    expect(await ids('scorer=exact_match&passed=false&sort=-latency')).toEqual(slowestFirst);
    expect(await ids('scorer=exact_match&passed=true&sort=-score:contains')).toEqual([
      'k3',
      'k2',
      'k0',
    ]);
    const pages = await resultPages(runId, 'scorer=exact_match&passed=false&limit=2');
    for (const p of pages) expect(p.results.length).toBeLessThanOrEqual(2);
    const out = pages.flatMap((p) => p.results.map((r) => r.itemId));
    expect(out).toEqual(NOT_PASSED);
  });

  it('answers 400 problems naming the field', async () => {
    await expectResultsProblems(runId, {
      scorer: ['passed=false', 'scorer=nope&passed=false'],
      passed: ['scorer=exact_match', 'scorer=exact_match&passed=maybe'],
      effective: ['scorer=exact_match&passed=false&effective=true'],
    });
  });
});
