/**
 * API routes against a real Redis and real BullMQ queues, through `app.request()`: submission
 * (JSON and streamed NDJSON), listing and paging, results, retention TTLs, cancel, delete,
 * idempotency, Server-Sent Events (replay, resume, live), workers, health, metrics, OpenAPI.
 * A worker is simulated with `store.execution.claimItems` + `store.execution.recordResults`.
 */
import { createHash } from 'node:crypto';
import type { createApp, Problem } from '@runledger/api';
import {
  type Config,
  chunkJobId,
  chunkSizeFor,
  createLogger,
  createRedis,
  type Logger,
  loadConfig,
  type Result,
  type ResultStatus,
  type Run,
  RunQueues,
  RunStore,
  type StoredItem,
  type WorkerInfo,
} from '@runledger/shared';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docsPage, testApp } from './helpers/app.js';
import { deletePrefix, redisUrl, uniquePrefix, waitFor } from './helpers/context.js';
import { advertiseWorker } from './helpers/fake-worker.js';

interface Harness {
  app: ReturnType<typeof createApp>;
  config: Config;
  store: RunStore;
  queues: RunQueues;
  redis: Redis;
  prefix: string;
  /** Connections the app opened for SSE streams. */
  streams: Redis[];
  close(): Promise<void>;
}

function createHarness(
  label: string,
  redisUrlOverride?: string,
  logger: Logger = createLogger({ level: 'silent' }),
): Harness {
  const prefix = uniquePrefix(label);
  const config = loadConfig({ REDIS_URL: redisUrl(), RUNLEDGER_PREFIX: prefix });
  const redis = createRedis(redisUrlOverride ?? config.REDIS_URL);
  if (redisUrlOverride) redis.on('error', () => {});
  const store = new RunStore(redis, { prefix });
  const queues = new RunQueues({ redisUrl: config.REDIS_URL, prefix });
  const streams: Redis[] = [];
  const app = testApp({ config, store, queues, logger, opened: streams });
  return {
    app,
    config,
    store,
    queues,
    redis,
    prefix,
    streams,
    async close() {
      await queues.close();
      for (const c of streams) c.disconnect();
      if (!redisUrlOverride) await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/**
 * Every target these tests submit to, served by an advertised worker (runs are checked at submit
 * against the live workers); the tests play the worker's part through the store.
 */
const SERVED_TARGETS = [
  'c',
  'd',
  'echo-json',
  'echo-nd',
  'g',
  'idem',
  'm1',
  'm2',
  'r',
  's',
  't1',
  't2',
  't3',
  'v',
];
const serveTargets = (store: RunStore) =>
  advertiseWorker(store, SERVED_TARGETS, { id: 'routes-fake' });

let h: Harness;
beforeAll(async () => {
  h = createHarness('api-routes');
  await serveTargets(h.store);
});
afterAll(async () => {
  await h.close();
});

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

async function createRun(body: Record<string, unknown>, app = h.app): Promise<Run> {
  const res = await app.request('/v1/runs', json(body));
  expect(res.status).toBe(201);
  return (await res.json()) as Run;
}

/** Items `0..n-1` with inputs `q<i>` and expected outputs `a<i>`. */
const items = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ input: `q${i}`, expectedOutput: `a${i}` }));

/** sha256 over the stored items' JSON lines, as the API computes `datasetVersion`. */
function versionOf(stored: StoredItem[]): string {
  const hash = createHash('sha256');
  for (const item of stored) hash.update(`${JSON.stringify(item)}\n`);
  return `sha256:${hash.digest('hex').slice(0, 16)}`;
}

/** Simulates a worker: claims `outcomes`' items, then records each with its status. */
async function work(
  runId: string,
  outcomes: Record<number, ResultStatus>,
  store = h.store,
): Promise<void> {
  const indexes = Object.keys(outcomes).map(Number);
  const claim = await store.execution.claimItems(runId, indexes, {
    withItems: true,
    withSpec: true,
  });
  expect(claim.state).toBe('ok');
  const outcome = await store.execution.recordResults(
    runId,
    indexes.map((index) => {
      const status = outcomes[index]!;
      return {
        index,
        result: {
          status,
          attempts: 1,
          latencyMs: 10 * (index + 1),
          startedAt: 1_700_000_000_000,
          completedAt: 1_700_000_000_000 + 10 * (index + 1),
          workerId: 'w1',
          ...(status === 'succeeded'
            ? { output: `a${index}` }
            : { error: { message: 'boom', type: 'target_error' } }),
        },
      };
    }),
  );
  expect(outcome).toMatchObject({ state: 'ok', recorded: indexes.length });
}

/** Keys of one run that exist, by name suffix. */
async function runKeys(runId: string, store = h.store, redis = h.redis): Promise<string[]> {
  const keys: string[] = [];
  for (const key of store.keys.runKeyList(runId)) {
    if ((await redis.exists(key)) === 1) keys.push(key.slice(key.lastIndexOf(':') + 1));
  }
  return keys;
}

/** What `runKeys` finds of a run once an item of it succeeded, in its order (`runKeyList`'s). */
const SUCCEEDED_RUN_KEYS = ['run', 'items', 'results', 'latency', 'succeeded'];

interface SseFrame {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

function parseFrame(block: string): SseFrame {
  const frame: SseFrame = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    else if (line.startsWith('event: ')) frame.event = line.slice(7);
    else if (line.startsWith('id: ')) frame.id = line.slice(4);
    else if (line.startsWith('data: ')) frame.data = line.slice(6);
  }
  return frame;
}

/** Reads SSE frames from a response body one at a time. */
function sseReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    /** The next frame, or null when the stream ended. Fails after `timeoutMs`. */
    async next(timeoutMs = 10_000): Promise<SseFrame | null> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          return parseFrame(block);
        }
        let timer: NodeJS.Timeout | undefined;
        const read = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error('timed out waiting for an SSE frame')),
              Math.max(1, deadline - Date.now()),
            );
          }),
        ]).finally(() => clearTimeout(timer));
        if (read.done) return null;
        buffer += decoder.decode(read.value, { stream: true });
      }
    },
    /** Every remaining frame until the stream ends. */
    async rest(): Promise<SseFrame[]> {
      const frames: SseFrame[] = [];
      for (let f = await this.next(); f; f = await this.next()) frames.push(f);
      return frames;
    },
    cancel: () => reader.cancel(),
  };
}

describe('POST /v1/runs', () => {
  it('creates a run from JSON: 201 with the full run, items stored, jobs enqueued', async () => {
    const before = Date.now();
    const run = await createRun({
      name: 'json run',
      target: { name: 'echo-json', config: { model: 'm1' } },
      dataset: {
        id: 'ds-1',
        items: [
          { id: 'first', input: { q: 1 }, expectedOutput: 'x', metadata: { k: 'v' } },
          { input: 'two' },
          { input: 3 },
        ],
      },
      scorers: [{ name: 'exact_match' }],
      tags: ['a', 'b'],
      metadata: { owner: 'me' },
    });
    expect(run).toEqual({
      id: run.id,
      project: 'default',
      name: 'json run',
      status: 'queued',
      target: { name: 'echo-json', config: { model: 'm1' } },
      scorers: [{ name: 'exact_match' }],
      execution: {
        maxAttempts: 3,
        backoff: { type: 'exponential', delayMs: 1000 },
        timeoutMs: 60_000,
      },
      datasetId: 'ds-1',
      datasetVersion: versionOf([
        { id: 'first', input: { q: 1 }, expectedOutput: 'x', metadata: { k: 'v' } },
        { id: '1', input: 'two' },
        { id: '2', input: 3 },
      ]),
      datasetHash: versionOf([
        { id: 'first', input: { q: 1 }, expectedOutput: 'x', metadata: { k: 'v' } },
        { id: '1', input: 'two' },
        { id: '2', input: 3 },
      ]),
      parentRunId: null,
      totalItems: 3,
      succeededCount: 0,
      failedCount: 0,
      cancelledCount: 0,
      progress: 0,
      latencyMs: { p50: null, p90: null, p99: null, mean: null, max: null },
      usage: { inputTokens: 0, outputTokens: 0 },
      costUsd: 0,
      unpriced: { results: 0, model: null },
      scores: {
        exact_match: {
          mean: null,
          passed: 0,
          failed: 0,
          errors: 0,
          passRate: 0,
          passRateOfScored: null,
        },
      },
      errorTypes: [],
      reruns: [],
      tags: ['a', 'b'],
      metadata: { owner: 'me' },
      retention: { ttlSeconds: h.config.RUNLEDGER_RETENTION_SECONDS },
      createdAt: run.createdAt,
      startedAt: null,
      completedAt: null,
      expiresAt: null,
      error: null,
      ending: null,
      traceId: null,
      privacy: null,
    });
    expect(run.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(Date.parse(run.createdAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(run.createdAt)).toBeLessThanOrEqual(Date.now());
    // items stored once, ids defaulted to the index
    const stored = await h.redis.hgetall(h.store.keys.run(run.id).items);
    expect(stored).toEqual({
      '0': JSON.stringify({
        id: 'first',
        input: { q: 1 },
        expectedOutput: 'x',
        metadata: { k: 'v' },
      }),
      '1': JSON.stringify({ id: '1', input: 'two' }),
      '2': JSON.stringify({ id: '2', input: 3 }),
    });
    // chunk size for 3 items is 1: three waiting jobs
    expect(await h.queues.queue('echo-json').getJobCountByTypes('waiting', 'prioritized')).toBe(3);
    const job = await h.queues.queue('echo-json').getJob(chunkJobId(run.id, 2));
    expect(job?.data).toEqual({ runId: run.id, chunk: 2, start: 2, end: 3 });
    expect(await h.redis.zscore(h.store.keys.runsIndex, run.id)).toBe(
      String(Date.parse(run.createdAt)),
    );
  });

  it('creates a run from a streamed NDJSON body of 2,500 items (CRLF, no final newline)', async () => {
    const header = { target: { name: 'echo-nd' }, dataset: { id: 'big' }, tags: ['nd'] };
    const lines = [JSON.stringify(header), ...items(2500).map((i) => JSON.stringify(i))];
    const bytes = new TextEncoder().encode(lines.join('\r\n'));
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(at, at + 777)); // chunks end mid-line and mid-CRLF
        at += 777;
      },
    });
    const res = await h.app.request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson; charset=utf-8' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(201);
    const run = (await res.json()) as Run;
    const stored = items(2500).map((item, i) => ({ id: String(i), ...item }));
    expect(run).toMatchObject({
      status: 'queued',
      target: { name: 'echo-nd' },
      datasetId: 'big',
      datasetVersion: versionOf(stored),
      totalItems: 2500,
      tags: ['nd'],
    });
    expect(await h.redis.hlen(h.store.keys.run(run.id).items)).toBe(2500);
    expect(await h.redis.hget(h.store.keys.run(run.id).items, '2499')).toBe(
      JSON.stringify(stored[2499]),
    );
    const chunkSize = chunkSizeFor(2500, h.config.RUNLEDGER_CHUNK_SIZE);
    expect(chunkSize).toBe(40);
    expect(await h.queues.queue('echo-nd').getJobCountByTypes('waiting', 'prioritized')).toBe(
      Math.ceil(2500 / chunkSize),
    );
  });

  it('gives JSON and NDJSON submissions of the same items the same datasetVersion', async () => {
    const data = items(4);
    const a = await createRun({ target: { name: 'v' }, dataset: { items: data } });
    const res = await h.app.request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: [{ target: { name: 'v' } }, ...data].map((l) => JSON.stringify(l)).join('\n'),
    });
    const b = (await res.json()) as Run;
    expect(res.status).toBe(201);
    expect(b.datasetVersion).toBe(a.datasetVersion);
    const c = await createRun({ target: { name: 'v' }, dataset: { version: 'v7', items: data } });
    expect(c.datasetVersion).toBe('v7');
    const d = await createRun({ target: { name: 'v' }, dataset: { items: items(5) } });
    expect(d.datasetVersion).not.toBe(a.datasetVersion);
  });

  it('uses the retention of the spec', async () => {
    const run = await createRun({
      target: { name: 'v' },
      dataset: { items: items(1) },
      retention: { ttlSeconds: 120 },
    });
    expect(run.retention).toEqual({ ttlSeconds: 120 });
  });

  it('accepts a scorer that a live worker advertises', async () => {
    const spec = {
      target: { name: 'v' },
      dataset: { items: items(1) },
      scorers: [{ name: 'judge' }],
    };
    expect((await h.app.request('/v1/runs', json(spec))).status).toBe(400);
    await h.store.fleet.heartbeatWorker(worker('w-judge', ['judge']));
    const run = await createRun(spec);
    expect(run.scorers).toEqual([{ name: 'judge' }]);
    await h.store.fleet.removeWorker('w-judge');
  });

  it('is idempotent per Idempotency-Key', async () => {
    const spec = { target: { name: 'idem' }, dataset: { items: items(2) } };
    const indexed = await h.redis.zcard(h.store.keys.runsIndex);
    const first = await h.app.request('/v1/runs', json(spec, { 'idempotency-key': 'key-1' }));
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const run = (await first.json()) as Run;
    const second = await h.app.request('/v1/runs', json(spec, { 'idempotency-key': 'key-1' }));
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(((await second.json()) as Run).id).toBe(run.id);
    // held 10 minutes while the submission runs, 24 h once the run exists
    const keyName = h.store.keys.idempotency(createHash('sha256').update('key-1').digest('hex'));
    expect(await h.redis.ttl(keyName)).toBeGreaterThan(24 * 3600 - 60);
    // NDJSON honours the same key
    const third = await h.app.request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': 'key-1' },
      body: `${JSON.stringify({ target: { name: 'idem' } })}\n{"input":1}\n`,
    });
    expect(third.status).toBe(200);
    expect(((await third.json()) as Run).id).toBe(run.id);
    expect(await h.redis.zcard(h.store.keys.runsIndex)).toBe(indexed + 1);
    expect(await h.queues.queue('idem').getJobCountByTypes('waiting', 'prioritized')).toBe(2);
  });

  it('answers 409 while the first request with a key is still in flight', async () => {
    await h.store.idempotency.reserveIdempotencyKey('key-busy', '01ARZ3NDEKTSV4RRFFQ69G5FAV');
    const res = await h.app.request(
      '/v1/runs',
      json(
        { target: { name: 'idem' }, dataset: { items: items(1) } },
        { 'idempotency-key': 'key-busy' },
      ),
    );
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});

function worker(id: string, scorers: string[] = []): WorkerInfo {
  const now = new Date().toISOString();
  return {
    id,
    host: 'test-host',
    pid: 4242,
    targets: [{ name: 'echo', description: 'echoes' }],
    scorers: scorers.map((name) => ({ name, description: name })),
    concurrency: 8,
    inFlight: 0,
    startedAt: now,
    heartbeatAt: now,
  };
}

describe('GET /v1/runs/:id and GET /v1/runs', () => {
  it('returns a run by id', async () => {
    const run = await createRun({ target: { name: 'g' }, dataset: { items: items(2) } });
    const res = await h.app.request(`/v1/runs/${run.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(run);
  });

  it('lists runs newest first with every filter and cursor paging', async () => {
    const l = createHarness('api-list');
    try {
      await serveTargets(l.store);
      const specs = [
        { target: 't1', ds: 'd1', tags: ['x'] },
        { target: 't2', ds: 'd1', tags: ['y'] },
        { target: 't1', ds: 'd2', tags: ['x', 'y'] },
        { target: 't2', ds: 'd2', tags: [] },
        { target: 't1', ds: 'd1', tags: ['y'] },
        { target: 't1', ds: 'd3', tags: ['x'] },
        { target: 't3', ds: 'd1', tags: [] },
      ];
      const runs: Run[] = [];
      for (const s of specs) {
        runs.push(
          await createRun(
            { target: { name: s.target }, dataset: { id: s.ds, items: items(1) }, tags: s.tags },
            l.app,
          ),
        );
      }
      await work(runs[1]!.id, { 0: 'succeeded' }, l.store); // completed
      expect(
        (await l.app.request(`/v1/runs/${runs[3]!.id}/cancel`, { method: 'POST' })).status,
      ).toBe(200);
      // newest first: createdAt desc, then id desc (the index order)
      const newest = [...runs].sort((a, b) =>
        a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1,
      );
      const ids = (list: Run[]) => list.map((r) => r.id);
      const list = async (query: string) => {
        const res = await l.app.request(`/v1/runs${query}`);
        expect(res.status).toBe(200);
        return (await res.json()) as { runs: Run[]; nextCursor: string | null };
      };
      const all = await list('');
      expect(ids(all.runs)).toEqual(ids(newest));
      expect(all.nextCursor).toBeNull();
      const where = (f: (r: Run) => boolean) => ids(newest.filter(f));
      expect(ids((await list('?target=t1')).runs)).toEqual(where((r) => r.target.name === 't1'));
      expect(ids((await list('?datasetId=d1')).runs)).toEqual(where((r) => r.datasetId === 'd1'));
      expect(ids((await list('?tag=y')).runs)).toEqual(where((r) => r.tags.includes('y')));
      expect(ids((await list('?status=completed')).runs)).toEqual([runs[1]!.id]);
      expect(ids((await list('?status=cancelled')).runs)).toEqual([runs[3]!.id]);
      expect((await list('?status=queued')).runs).toHaveLength(5);
      expect(ids((await list('?target=t1&datasetId=d1&tag=y')).runs)).toEqual([runs[4]!.id]);
      // since / until, as ISO and as ms
      const t0 = Date.parse(runs[2]!.createdAt);
      const t1 = Date.parse(runs[4]!.createdAt);
      const inRange = where((r) => Date.parse(r.createdAt) >= t0 && Date.parse(r.createdAt) <= t1);
      expect(ids((await list(`?since=${runs[2]!.createdAt}&until=${t1}`)).runs)).toEqual(inRange);
      expect(
        ids((await list(`?since=${t0}&until=${encodeURIComponent(runs[4]!.createdAt)}`)).runs),
      ).toEqual(inRange);
      // cursor paging: 3 + 3 + 1
      const page1 = await list('?limit=3');
      expect(ids(page1.runs)).toEqual(ids(newest.slice(0, 3)));
      expect(page1.nextCursor).toEqual(expect.any(String));
      const page2 = await list(`?limit=3&cursor=${page1.nextCursor}`);
      expect(ids(page2.runs)).toEqual(ids(newest.slice(3, 6)));
      const page3 = await list(`?limit=3&cursor=${page2.nextCursor}`);
      expect(ids(page3.runs)).toEqual(ids(newest.slice(6)));
      expect(page3.nextCursor).toBeNull();
      // paging with a filter
      const x1 = await list('?tag=x&limit=2');
      const x2 = await list(`?tag=x&limit=2&cursor=${x1.nextCursor}`);
      expect([...ids(x1.runs), ...ids(x2.runs)]).toEqual(where((r) => r.tags.includes('x')));
      expect(x2.nextCursor).toBeNull();
    } finally {
      await l.close();
    }
  });
});

describe('results, retention and cancel', () => {
  it('pages results in item order and filters them by status', async () => {
    const run = await createRun({
      target: { name: 'r' },
      dataset: { items: items(5) },
      retention: { ttlSeconds: 3600 },
    });
    await work(run.id, {
      0: 'succeeded',
      1: 'failed',
      2: 'succeeded',
      3: 'failed',
      4: 'succeeded',
    });
    const page = async (query: string) => {
      const res = await h.app.request(`/v1/runs/${run.id}/results${query}`);
      expect(res.status).toBe(200);
      return (await res.json()) as { results: Result[]; nextCursor: string | null };
    };
    const p1 = await page('?limit=2');
    expect(p1.results.map((r) => r.itemIndex)).toEqual([0, 1]);
    expect(p1.nextCursor).toBe('2');
    expect(p1.results[1]).toEqual({
      runId: run.id,
      itemId: '1',
      itemIndex: 1,
      status: 'failed',
      input: 'q1',
      expectedOutput: 'a1',
      metadata: null,
      output: null,
      error: { message: 'boom', type: 'target_error' },
      attempts: 1,
      latencyMs: 20,
      queueMs: null,
      startedAt: new Date(1_700_000_000_000).toISOString(),
      completedAt: new Date(1_700_000_000_020).toISOString(),
      usage: null,
      costUsd: null,
      scores: {},
      workerId: 'w1',
      masked: {},
    });
    const p2 = await page(`?limit=2&cursor=${p1.nextCursor}`);
    expect(p2.results.map((r) => r.itemIndex)).toEqual([2, 3]);
    const p3 = await page(`?limit=2&cursor=${p2.nextCursor}`);
    expect(p3.results.map((r) => r.itemIndex)).toEqual([4]);
    expect(p3.nextCursor).toBeNull();
    const all = await page('');
    expect(all.results.map((r) => r.output)).toEqual(['a0', null, 'a2', null, 'a4']);
    const failed = await page('?status=failed');
    expect(failed.results.map((r) => r.itemIndex)).toEqual([1, 3]);
    expect(failed.nextCursor).toBeNull();
    const f1 = await page('?status=succeeded&limit=2');
    expect(f1.results.map((r) => r.itemIndex)).toEqual([0, 2]);
    const f2 = await page(`?status=succeeded&limit=2&cursor=${f1.nextCursor}`);
    expect(f2.results.map((r) => r.itemIndex)).toEqual([4]);
    expect((await page('?status=cancelled')).results).toEqual([]);
    // a mistyped parameter is refused by name, not dropped (which would answer every result),
    // on the filtered lists and on the exports, which take none
    for (const [path, name] of [
      [`/v1/runs/${run.id}/results?stauts=failed&limit=2`, 'stauts'],
      [`/v1/runs/${run.id}/results.csv?status=failed`, 'status'],
      [`/v1/runs/${run.id}/results.jsonl?status=failed`, 'status'],
      ['/v1/runs?stat=running', 'stat'],
      ['/v1/runs/aggregate?tags=a', 'tags'],
      ['/v1/datasets?offset=10', 'offset'],
    ] as const) {
      const res = await h.app.request(path);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as Problem;
      expect(body.errors, path).toEqual([
        { path: name, message: `unknown query parameter "${name}"` },
      ]);
      expect(body.detail, path).toBe(`invalid query: ${name}: unknown query parameter "${name}"`);
    }

    // completion: status, counters, latency, and every key of the run carries the retention TTL
    const done = (await (await h.app.request(`/v1/runs/${run.id}`)).json()) as Run;
    expect(done).toMatchObject({
      status: 'completed',
      succeededCount: 3,
      failedCount: 2,
      cancelledCount: 0,
      progress: 1,
      latencyMs: { p50: 30, p90: 50, p99: 50, mean: 30, max: 50 },
    });
    expect(Date.parse(done.expiresAt!) - Date.parse(done.completedAt!)).toBe(3600 * 1000);
    expect(await runKeys(run.id)).toEqual([...SUCCEEDED_RUN_KEYS, 'failed', 'events', 'errtypes']);
    for (const key of h.store.keys.runKeyList(run.id)) {
      if ((await h.redis.exists(key)) === 0) continue;
      const ttl = await h.redis.ttl(key);
      expect(ttl, key).toBeGreaterThan(3600 - 10);
      expect(ttl, key).toBeLessThanOrEqual(3600);
    }
  });

  it('cancels a run: the rest of its items become cancelled, its jobs leave the queue', async () => {
    const run = await createRun({ target: { name: 'c' }, dataset: { items: items(10) } });
    const queue = h.queues.queue('c');
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(10);
    await work(run.id, { 0: 'succeeded', 1: 'failed', 2: 'succeeded' });

    const listener = createRedis(redisUrl(), 'blocking');
    const heard: string[] = [];
    await h.store.events.subscribeCancel(listener, (id) => heard.push(id));
    try {
      const res = await h.app.request(`/v1/runs/${run.id}/cancel`, { method: 'POST' });
      expect(res.status).toBe(200);
      const cancelled = (await res.json()) as Run;
      expect(cancelled).toMatchObject({
        id: run.id,
        status: 'cancelled',
        succeededCount: 2,
        failedCount: 1,
        cancelledCount: 7,
        progress: 1,
        error: 'cancelled by request',
      });
      expect(cancelled.succeededCount + cancelled.failedCount + cancelled.cancelledCount).toBe(
        cancelled.totalItems,
      );
      const results = (await (
        await h.app.request(`/v1/runs/${run.id}/results?status=cancelled`)
      ).json()) as { results: Result[] };
      expect(results.results.map((r) => r.itemIndex)).toEqual([3, 4, 5, 6, 7, 8, 9]);
      expect(results.results[0]).toMatchObject({
        status: 'cancelled',
        attempts: 0,
        error: { message: 'cancelled by request', type: 'cancelled' },
      });
      expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(0);
      for (let chunk = 0; chunk < 10; chunk++) {
        expect(await queue.getJob(chunkJobId(run.id, chunk))).toBeUndefined();
      }
      await waitFor(() => heard.includes(run.id), 'the cancel message');

      const again = await h.app.request(`/v1/runs/${run.id}/cancel`, { method: 'POST' });
      expect(again.status).toBe(409);
      const problem = (await again.json()) as { detail: string; type: string };
      expect(problem.detail).toBe(`run ${run.id} is already cancelled`);
      expect(problem.type).toBe('urn:runledger:problem:conflict');
    } finally {
      listener.disconnect();
    }
  });

  it('deletes a run: 204, every key gone, jobs gone, then 404', async () => {
    const run = await createRun({ target: { name: 'd' }, dataset: { items: items(3) } });
    await work(run.id, { 0: 'succeeded' });
    expect(await runKeys(run.id)).toEqual([...SUCCEEDED_RUN_KEYS, 'events']);
    const res = await h.app.request(`/v1/runs/${run.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await runKeys(run.id)).toEqual([]);
    const [, left] = await h.redis.scan('0', 'MATCH', `${h.prefix}:{${run.id}}:*`, 'COUNT', 10_000);
    expect(left).toEqual([]);
    expect(await h.redis.zscore(h.store.keys.runsIndex, run.id)).toBeNull();
    expect(await h.queues.queue('d').getJobCountByTypes('waiting', 'prioritized')).toBe(0);
    expect((await h.app.request(`/v1/runs/${run.id}`)).status).toBe(404);
    expect((await h.app.request(`/v1/runs/${run.id}`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('GET /v1/runs/:id/events (SSE)', () => {
  it('replays every event of a finished run and ends', async () => {
    const run = await createRun({ target: { name: 's' }, dataset: { items: items(2) } });
    await work(run.id, { 0: 'succeeded', 1: 'failed' });
    const opened = h.streams.length;
    const stored = await h.store.events.readEvents(run.id);
    expect(stored.map((e) => e.type)).toEqual(['status', 'status', 'progress', 'status']);
    const res = await h.app.request(`/v1/runs/${run.id}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const frames = await sseReader(res).rest();
    expect(frames).toEqual(
      stored.map((e) => ({ event: e.type, id: e.id, data: JSON.stringify(e.data) })),
    );
    expect(frames.map((f) => JSON.parse(f.data!))).toEqual([
      { status: 'queued', at: expect.any(Number) },
      { status: 'running', at: expect.any(Number) },
      { done: 2, total: 2, succeeded: 1, failed: 1, cancelled: 0 },
      { status: 'completed', at: expect.any(Number) },
    ]);
    expect(h.streams.length).toBe(opened); // a finished run needs no live connection
  });

  it('resumes after Last-Event-ID (header or query) with only later events', async () => {
    const run = await createRun({ target: { name: 's' }, dataset: { items: items(2) } });
    await work(run.id, { 0: 'succeeded', 1: 'succeeded' });
    const stored = await h.store.events.readEvents(run.id);
    const byHeader = await sseReader(
      await h.app.request(`/v1/runs/${run.id}/events`, {
        headers: { 'last-event-id': stored[1]!.id },
      }),
    ).rest();
    expect(byHeader.map((f) => f.id)).toEqual([stored[2]!.id, stored[3]!.id]);
    const byQuery = await sseReader(
      await h.app.request(`/v1/runs/${run.id}/events?lastEventId=${stored[2]!.id}`),
    ).rest();
    expect(byQuery.map((f) => f.id)).toEqual([stored[3]!.id]);
  });

  it('streams live events of a running run and ends after the terminal one', async () => {
    const run = await createRun({ target: { name: 's' }, dataset: { items: items(3) } });
    const opened = h.streams.length;
    const sse = sseReader(await h.app.request(`/v1/runs/${run.id}/events`));
    expect(await sse.next()).toMatchObject({
      event: 'status',
      data: expect.stringContaining('"queued"'),
    });
    await waitFor(() => h.streams.length === opened + 1, 'the live connection');
    await work(run.id, { 0: 'succeeded' });
    expect(JSON.parse((await sse.next())!.data!)).toMatchObject({ status: 'running' });
    expect(JSON.parse((await sse.next())!.data!)).toEqual({
      done: 1,
      total: 3,
      succeeded: 1,
      failed: 0,
      cancelled: 0,
    });
    await work(run.id, { 1: 'succeeded', 2: 'failed' });
    const rest = await sse.rest();
    expect(rest.map((f) => f.event)).toEqual(['progress', 'status']);
    expect(JSON.parse(rest[1]!.data!)).toMatchObject({ status: 'completed' });
    const stored = await h.store.events.readEvents(run.id);
    expect(rest.map((f) => f.id)).toEqual(stored.slice(-2).map((e) => e.id));
    const connection = h.streams[opened]!;
    await waitFor(() => connection.status === 'end', 'the live connection to close');
  });

  it('closes its connection when the client goes away', async () => {
    const run = await createRun({ target: { name: 's' }, dataset: { items: items(1) } });
    const opened = h.streams.length;
    const sse = sseReader(await h.app.request(`/v1/runs/${run.id}/events`));
    expect((await sse.next())?.event).toBe('status');
    await waitFor(() => h.streams.length === opened + 1, 'the live connection');
    await sse.cancel();
    const connection = h.streams[opened]!;
    await waitFor(() => connection.status === 'end', 'the live connection to close');
  });

  it('ends a live stream when the run is cancelled', async () => {
    const run = await createRun({ target: { name: 's' }, dataset: { items: items(2) } });
    const sse = sseReader(await h.app.request(`/v1/runs/${run.id}/events`));
    expect((await sse.next())?.event).toBe('status');
    expect((await h.app.request(`/v1/runs/${run.id}/cancel`, { method: 'POST' })).status).toBe(200);
    const rest = await sse.rest();
    expect(rest.map((f) => f.event)).toEqual(['progress', 'status']);
    expect(JSON.parse(rest[1]!.data!)).toEqual({
      status: 'cancelled',
      at: expect.any(Number),
      error: 'cancelled by request',
    });
  });
});

describe('workers, health, metrics and docs', () => {
  it('lists live workers', async () => {
    const w = createHarness('api-workers');
    try {
      expect(await (await w.app.request('/v1/workers')).json()).toEqual({ workers: [] });
      const info = worker('w-1', ['judge']);
      await w.store.fleet.heartbeatWorker(info);
      await w.store.fleet.heartbeatWorker({
        ...worker('w-stale'),
        heartbeatAt: new Date(Date.now() - 3 * w.config.WORKER_HEARTBEAT_MS - 1000).toISOString(),
      });
      const res = await w.app.request('/v1/workers');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ workers: [info] });
    } finally {
      await w.close();
    }
  });

  it('answers /healthz and /readyz', async () => {
    const health = await h.app.request('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await h.app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      redis: {
        usedMemoryBytes: expect.any(Number),
        maxMemoryBytes: expect.any(Number),
        admitting: true,
      },
    });
    expect(ready.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers /readyz with 503 when Redis is unreachable', async () => {
    const down = createHarness('api-down', 'redis://127.0.0.1:1');
    try {
      const res = await down.app.request('/readyz');
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({
        type: 'urn:runledger:problem:unavailable',
        status: 503,
      });
    } finally {
      await down.close();
    }
  });

  it('logs one line per request with its request id, and Redis unreachable once as 503', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const down = createHarness('api-log', 'redis://127.0.0.1:1', logger);
    try {
      const ok = await down.app.request('/healthz', { headers: { 'x-request-id': 'req-abc' } });
      expect(ok.headers.get('x-request-id')).toBe('req-abc');
      expect(lines).toEqual([
        expect.objectContaining({
          level: 30,
          reqId: 'req-abc',
          method: 'GET',
          path: '/healthz',
          status: 200,
          ms: expect.any(Number),
          msg: 'request',
        }),
      ]);
      lines.length = 0;
      const res = await down.app.request('/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV');
      // Redis unreachable is no internal error: 503 naming the cause (issue 13)
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(await res.json()).toEqual({
        type: 'urn:runledger:problem:unavailable',
        title: 'Service Unavailable',
        status: 503,
        detail: 'Redis is unreachable',
        instance: '/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV',
      });
      const reqId = res.headers.get('x-request-id');
      expect(lines.map((l) => [l.level, l.msg, l.reqId])).toEqual([
        [40, 'Redis is unreachable', reqId],
        [30, 'request', reqId],
      ]);
      expect(lines[0]).toMatchObject({ redisKind: 'connection' });
      expect(lines[1]).toMatchObject({ status: 503 });
    } finally {
      await down.close();
    }
  });

  it('exposes Prometheus metrics', async () => {
    const m = createHarness('api-metrics');
    try {
      await serveTargets(m.store);
      const a = await createRun({ target: { name: 'm1' }, dataset: { items: items(3) } }, m.app);
      await createRun({ target: { name: 'm1' }, dataset: { items: items(130) } }, m.app);
      await createRun({ target: { name: 'm2' }, dataset: { items: items(2) } }, m.app);
      expect((await m.app.request(`/v1/runs/${a.id}/cancel`, { method: 'POST' })).status).toBe(200);
      await m.store.fleet.incrementMetrics({
        'items_total:succeeded': 5,
        'items_total:failed': 2,
        'item_latency_ms_bucket:5': 1,
        'item_latency_ms_bucket:100': 2,
        'item_latency_ms_bucket:inf': 1,
        item_latency_ms_sum: 70_123,
        item_latency_ms_count: 4,
      });
      expect((await m.app.request('/healthz')).status).toBe(200);
      const res = await m.app.request('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const lines = (await res.text()).split('\n');
      const expected = [
        '# TYPE runledger_runs gauge',
        'runledger_runs{status="queued"} 2',
        'runledger_runs{status="running"} 0',
        'runledger_runs{status="cancelled"} 1',
        '# TYPE runledger_items_total counter',
        'runledger_items_total{status="succeeded"} 5',
        'runledger_items_total{status="failed"} 2',
        '# TYPE runledger_item_latency_seconds histogram',
        'runledger_item_latency_seconds_bucket{le="0.005"} 1',
        'runledger_item_latency_seconds_bucket{le="0.05"} 1',
        'runledger_item_latency_seconds_bucket{le="0.1"} 3',
        'runledger_item_latency_seconds_bucket{le="60"} 3',
        'runledger_item_latency_seconds_bucket{le="+Inf"} 4',
        'runledger_item_latency_seconds_sum 70.123',
        'runledger_item_latency_seconds_count 4',
        // 130 items: chunk size 3 -> 44 jobs; 3 items: chunk size 1 (cancelled: removed); chunk jobs carry priorities
        'runledger_queue_jobs{target="m1",state="prioritized"} 44',
        'runledger_queue_jobs{target="m2",state="prioritized"} 2',
        'runledger_queue_jobs{target="m2",state="active"} 0',
        '# TYPE runledger_http_request_duration_seconds histogram',
        'runledger_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 1',
        'runledger_http_request_duration_seconds_count{method="POST",route="/v1/runs",status="201"} 3',
        'runledger_http_request_duration_seconds_count{method="POST",route="/v1/runs/:id/cancel",status="200"} 1',
      ];
      for (const line of expected) expect(lines, line).toContain(line);
      expect(lines.some((l) => l.startsWith('process_cpu_user_seconds_total '))).toBe(true);
    } finally {
      await m.close();
    }
  });

  it('serves the OpenAPI 3.1 document and Swagger UI', async () => {
    const res = await h.app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz',
      '/metrics',
      '/readyz',
      '/v1/audit',
      '/v1/datasets',
      '/v1/datasets/{id}',
      '/v1/datasets/{id}/items',
      '/v1/datasets/{id}/versions/{version}/items',
      '/v1/experiments',
      '/v1/experiments/{id}',
      '/v1/experiments/{id}/report',
      '/v1/keys',
      '/v1/keys/{id}',
      '/v1/queues',
      '/v1/runs',
      '/v1/runs/aggregate',
      '/v1/runs/cleanup',
      '/v1/runs/import',
      '/v1/runs/{a}/compare/{b}',
      '/v1/runs/{id}',
      '/v1/runs/{id}/cancel',
      '/v1/runs/{id}/events',
      '/v1/runs/{id}/items/{index}/request',
      '/v1/runs/{id}/latency',
      '/v1/runs/{id}/replay',
      '/v1/runs/{id}/rerun',
      '/v1/runs/{id}/results',
      '/v1/runs/{id}/results.csv',
      '/v1/runs/{id}/results.jsonl',
      '/v1/runs/{id}/snapshot',
      '/v1/workers',
    ]);
    expect(Object.keys(doc.paths['/v1/runs']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/runs/{id}']!).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(doc.paths['/v1/runs']!.post!.requestBody!.content).sort()).toEqual([
      'application/json',
      'application/x-ndjson',
    ]);
    for (const name of ['Run', 'Result', 'Problem', 'RunSpec', 'Item', 'Worker']) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
    const html = await docsPage(h.app);
    expect(html).toContain('/openapi.json');
  });
});
