/**
 * Reruns, replays and streamed exports against a real Redis, through `app.request()`, with an
 * in-process worker serving a scripted target (`flaky`: fails the item ids listed in `failing`,
 * records every call) and a target that never answers (`stuck`).
 */
import { type createApp, EXPORT_CSV_COLUMNS, type Problem } from '@runledger/api';
import {
  defineTarget,
  NonRetryableError,
  type Result,
  type Run,
  type RunStore,
  z,
} from '@runledger/shared';
import { parse } from 'csv-parse/sync';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, createAppHarness, requestJson } from './helpers/app.js';
import { waitFor } from './helpers/context.js';
import { storedResults, waitTerminal as waitTerminalRun } from './helpers/run-checks.js';

const ALPHA = 'alpha-key-0123456789abcdef';
const BETA = 'beta-key-0123456789abcdef';

let redis: Redis;
let store: RunStore;
let app: ReturnType<typeof createApp>;

/** Item ids the `flaky` target fails (NonRetryableError). */
const failing = new Set<string>();
/** Every call of `flaky`: run, item id, the config it saw. */
const calls: { runId: string; itemId: string; config: Record<string, unknown> }[] = [];

const flaky = defineTarget({
  name: 'flaky',
  description: 'fails the item ids in `failing`',
  configSchema: z.object({ apiKey: z.string().optional(), mode: z.string().optional() }).strict(),
  async run(input, { runId, itemId, config: cfg }) {
    calls.push({ runId, itemId, config: cfg });
    if (failing.has(itemId)) throw new NonRetryableError(`item ${itemId} refused`, 'refused', 422);
    return { output: input };
  },
});
const stuck = defineTarget({
  name: 'stuck',
  description: 'answers only when aborted',
  configSchema: z.object({}).strict(),
  run: (_input, { signal }) =>
    new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    }),
});

const call = <T>(method: string, path: string, body?: unknown, key = ALPHA) =>
  requestJson<T>(app, method, path, body, key);

const allResults = (runId: string) => storedResults(store, runId);

const waitTerminal = (runId: string) => waitTerminalRun(store, runId);

/** Reads a response body chunk by chunk; returns the text and the number of chunks. */
async function readChunks(res: Response): Promise<{ text: string; chunks: number }> {
  expect(res.body).toBeInstanceOf(ReadableStream);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks++;
    text += decoder.decode(value, { stream: true });
  }
  return { text: text + decoder.decode(), chunks };
}

let h: AppHarness;
beforeAll(async () => {
  h = await createAppHarness(
    'rerun',
    { RUNLEDGER_API_KEYS: `alpha:${ALPHA},beta:${BETA}`, RUNLEDGER_CLAIM_LEASE_MS: '50' },
    { targets: [flaky, stuck] },
  );
  ({ redis, store, app } = h);
});

afterAll(() => h.close());

const ITEMS = Array.from({ length: 12 }, (_, i) => ({
  id: `item-${i}`,
  input: { n: i },
  expectedOutput: { n: i },
}));

describe('rerun', () => {
  let original: Run;

  it('reruns exactly the failed items, with the real spec, linked to the original', async () => {
    for (const id of ['item-2', 'item-5', 'item-11']) failing.add(id);
    const res = await call<Run>('POST', '/v1/runs', {
      name: 'nightly',
      target: { name: 'flaky', config: { apiKey: 'sk-secret-123', mode: 'x' } },
      dataset: { id: 'ds', version: 'v7', items: ITEMS },
      scorers: [{ name: 'exact_match' }],
      execution: { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 0 }, timeoutMs: 5000 },
      retention: { ttlSeconds: 7200 },
      tags: ['nightly'],
      metadata: { owner: 'qa' },
    });
    expect(res.status).toBe(201);
    original = await waitTerminal(res.body.id);
    expect(original).toMatchObject({ status: 'completed', succeededCount: 9, failedCount: 3 });
    expect(calls.filter((c) => c.runId === original.id)).toHaveLength(12);

    failing.clear();
    const rerun = await call<Run>('POST', `/v1/runs/${original.id}/rerun`, { only: 'failed' });
    expect(rerun.status).toBe(201);
    expect(rerun.body).toMatchObject({
      name: 'nightly (rerun)',
      parentRunId: original.id,
      datasetId: 'ds',
      datasetVersion: 'v7',
      datasetHash: original.datasetHash,
      totalItems: 3,
      tags: ['nightly'],
      metadata: { owner: 'qa' },
      retention: { ttlSeconds: 7200 },
      scorers: [{ name: 'exact_match' }],
      execution: original.execution,
    });
    // the answer is redacted, the stored spec is not
    expect(rerun.body.target).toEqual({
      name: 'flaky',
      config: { apiKey: '[redacted]', mode: 'x' },
    });
    const done = await waitTerminal(rerun.body.id);
    expect(done).toMatchObject({ status: 'completed', succeededCount: 3, failedCount: 0 });
    expect(done.target).toEqual({ name: 'flaky', config: { apiKey: 'sk-secret-123', mode: 'x' } });
    const rerunCalls = calls.filter((c) => c.runId === done.id);
    expect(rerunCalls.map((c) => c.itemId).sort()).toEqual(['item-11', 'item-2', 'item-5']);
    expect(rerunCalls.every((c) => c.config.apiKey === 'sk-secret-123')).toBe(true);
    const results = await allResults(done.id);
    expect(results.map((r) => [r.itemIndex, r.itemId, r.input, r.status])).toEqual([
      [0, 'item-2', { n: 2 }, 'succeeded'],
      [1, 'item-5', { n: 5 }, 'succeeded'],
      [2, 'item-11', { n: 11 }, 'succeeded'],
    ]);
    expect(await redis.hget(store.keys.run(done.id).run, 'parentRunId')).toBe(original.id);
  });

  it('reruns all items (and replays), 400 when nothing failed', async () => {
    const all = await call<Run>('POST', `/v1/runs/${original.id}/rerun`, { only: 'all' });
    expect(all.status).toBe(201);
    expect(all.body).toMatchObject({ totalItems: 12, parentRunId: original.id });
    const replay = await call<Run>('POST', `/v1/runs/${original.id}/replay`);
    expect(replay.status).toBe(201);
    expect(replay.body).toMatchObject({ totalItems: 12, parentRunId: original.id });
    const [a, b] = await Promise.all([waitTerminal(all.body.id), waitTerminal(replay.body.id)]);
    expect(a.succeededCount).toBe(12);
    expect(b.succeededCount).toBe(12);
    expect((await allResults(b.id)).map((r) => r.itemId)).toEqual(ITEMS.map((i) => i.id));

    const none = await call<Problem>('POST', `/v1/runs/${a.id}/rerun`, { only: 'failed' });
    expect(none.status).toBe(400);
    expect(none.body.errors).toEqual([{ path: 'only', message: 'no failed or cancelled items' }]);
    const bad = await call<Problem>('POST', `/v1/runs/${a.id}/rerun`, { only: 'some' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.path)).toEqual(['only']);
    // a misspelt `only` is refused, not read as the default
    const typo = await call<Problem>('POST', `/v1/runs/${a.id}/rerun`, { onyl: 'all' });
    expect(typo.status).toBe(400);
    expect(typo.body.errors).toEqual([{ path: 'onyl', message: 'unknown field "onyl"' }]);
  });

  it('refuses to rerun a run still going (409) and counts cancelled items as failed', async () => {
    const res = await call<Run>('POST', '/v1/runs', {
      target: { name: 'stuck' },
      dataset: { items: [{ input: 1 }, { input: 2 }] },
      execution: { maxAttempts: 1, timeoutMs: 60_000 },
    });
    expect(res.status).toBe(201);
    await waitFor(
      async () => (await store.runs.getRunStatus(res.body.id)) === 'running',
      'running',
    );
    const conflict = await call<Problem>('POST', `/v1/runs/${res.body.id}/rerun`, {
      only: 'failed',
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.detail).toBe(
      `run ${res.body.id} is running: only a finished run can be rerun`,
    );
    expect((await call('POST', `/v1/runs/${res.body.id}/cancel`)).status).toBe(200);
    const rerun = await call<Run>('POST', `/v1/runs/${res.body.id}/rerun`, { only: 'failed' });
    expect(rerun.status).toBe(201);
    expect(rerun.body).toMatchObject({ totalItems: 2, name: `rerun of ${res.body.id}` });
    expect((await call('POST', `/v1/runs/${rerun.body.id}/cancel`)).status).toBe(200);
  });

  it('answers 404 for unknown runs and runs of other projects', async () => {
    expect((await call('POST', `/v1/runs/${original.id}/rerun`, {}, BETA)).status).toBe(404);
    expect((await call('POST', `/v1/runs/${original.id}/replay`, undefined, BETA)).status).toBe(
      404,
    );
    expect((await call('GET', `/v1/runs/${original.id}/results.csv`, undefined, BETA)).status).toBe(
      404,
    );
    expect(
      (await call('GET', `/v1/runs/${original.id}/results.jsonl`, undefined, BETA)).status,
    ).toBe(404);
    expect((await call('GET', '/v1/runs/01JZ8X6T2M3N4P5Q6R7S8T9V0W/results.jsonl')).status).toBe(
      404,
    );
    expect((await call('POST', '/v1/runs/nope/rerun', {})).status).toBe(404);
  });
});

describe('export', () => {
  const get = (path: string) =>
    app.request(path, { headers: { authorization: `Bearer ${ALPHA}` } });

  it('exports every result as JSON Lines and CSV, exactly, with RFC 4180 quoting', async () => {
    failing.add('q');
    const tricky = [
      { id: 'c', input: 'a, "quoted"\nsecond line', expectedOutput: 'a, "quoted"\nsecond line' },
      { id: 'q', input: { nested: [1, 'x,y'] } },
      { id: 'u', input: 'é ü — 日本', expectedOutput: 'nope' },
    ];
    const res = await call<Run>('POST', '/v1/runs', {
      target: { name: 'flaky' },
      dataset: { items: tricky },
      scorers: [{ name: 'exact_match' }],
      execution: { maxAttempts: 1 },
    });
    const run = await waitTerminal(res.body.id);
    failing.clear();
    const results = await allResults(run.id);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'failed', 'succeeded']);

    const jsonl = await get(`/v1/runs/${run.id}/results.jsonl`);
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(jsonl.headers.get('content-disposition')).toBe(
      `attachment; filename="run-${run.id}-results.jsonl"`,
    );
    const { text } = await readChunks(jsonl);
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(JSON.parse(JSON.stringify(results)));

    const csv = await get(`/v1/runs/${run.id}/results.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(
      `attachment; filename="run-${run.id}-results.csv"`,
    );
    const rows = parse((await readChunks(csv)).text) as string[][];
    expect(rows[0]).toEqual([...EXPORT_CSV_COLUMNS]);
    const expected = results.map((r) => [
      run.id,
      r.itemId,
      String(r.itemIndex),
      r.status,
      '1',
      String(r.latencyMs),
      String(r.queueMs),
      '',
      '',
      '',
      r.status === 'failed' ? 'refused' : '',
      r.status === 'failed' ? 'item q refused' : '',
      typeof r.input === 'string' ? r.input : JSON.stringify(r.input),
      r.expectedOutput === null ? '' : String(r.expectedOutput),
      r.output === null ? '' : typeof r.output === 'string' ? r.output : JSON.stringify(r.output),
      JSON.stringify(r.scores),
    ]);
    expect(rows.slice(1)).toEqual(expected);
    // the cells a spreadsheet would show
    expect(rows[1]?.[12]).toBe('a, "quoted"\nsecond line');
    expect(rows[2]?.[12]).toBe('{"nested":[1,"x,y"]}');
    expect(rows[2]?.[14]).toBe('');
    expect(rows[3]?.[15]).toBe('{"exact_match":{"score":0,"passed":false}}');
  });

  it('streams a 5,000-item run page by page, every row in item order', async () => {
    const n = 5000;
    const res = await call<Run>('POST', '/v1/runs', {
      target: { name: 'offline-target' },
      dataset: { items: Array.from({ length: n }, (_, i) => ({ input: `row ${i}` })) },
      execution: { waitForWorkers: true },
    });
    expect(res.status).toBe(201);
    const runId = res.body.id;
    // record every result directly (no worker serves `offline-target`)
    for (let start = 0; start < n; start += 1000) {
      const indexes = Array.from({ length: 1000 }, (_, i) => start + i);
      await store.execution.claimItems(runId, indexes, { withItems: false, withSpec: false });
      await store.execution.recordResults(
        runId,
        indexes.map((index) => ({
          index,
          result: { status: 'succeeded', output: `out ${index}`, attempts: 1, latencyMs: index },
        })),
      );
    }
    expect((await store.runs.getRun(runId))?.status).toBe('completed');

    const jsonl = await readChunks(await get(`/v1/runs/${runId}/results.jsonl`));
    const lines = jsonl.text.trimEnd().split('\n');
    expect(lines).toHaveLength(n);
    expect(lines.map((l) => (JSON.parse(l) as Result).itemIndex)).toEqual(
      Array.from({ length: n }, (_, i) => i),
    );
    expect((JSON.parse(lines[4999]!) as Result).output).toBe('out 4999');
    // one write per page of 500: at least 10 chunks, never one buffered body
    expect(jsonl.chunks).toBeGreaterThanOrEqual(n / 500);

    const csv = await readChunks(await get(`/v1/runs/${runId}/results.csv`));
    const rows = parse(csv.text) as string[][];
    expect(rows).toHaveLength(n + 1);
    expect(rows.slice(1).map((r) => r[2])).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    expect(rows[n]?.slice(0, 6)).toEqual([runId, '4999', '4999', 'succeeded', '1', '4999']);
    expect(csv.chunks).toBeGreaterThanOrEqual(n / 500);
  });
});
