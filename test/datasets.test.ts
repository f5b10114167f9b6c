/**
 * Datasets and versions against a real Redis, through `app.request()`: create, append, replace,
 * immutability of versions, paging, delete, projects; runs over a stored version (pinning,
 * content hash equal to the same items submitted inline, executed by an in-process worker).
 */
import { createHash } from 'node:crypto';
import type { createApp, Problem } from '@runledger/api';
import {
  ContentHasher,
  type Dataset,
  type DatasetStore,
  ItemJsonBatches,
  type Run,
  type RunStore,
} from '@runledger/shared';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, createAppHarness, openApp, requestJson } from './helpers/app.js';
import { storedResults, waitTerminal as waitTerminalRun } from './helpers/run-checks.js';

const ALPHA = 'alpha-key-0123456789abcdef';
const BETA = 'beta-key-0123456789abcdef';

let redis: Redis;
let store: RunStore;
let datasets: DatasetStore;
let app: ReturnType<typeof createApp>;
let prefix: string;

const call = <T>(method: string, path: string, body?: unknown, key = ALPHA) =>
  requestJson<T>(app, method, path, body, key);

/** The content hash as documented: sha256 over each stored item's JSON and `\n`, 16 hex chars. */
function hashOf(items: object[]): string {
  const h = createHash('sha256');
  for (const item of items) h.update(`${JSON.stringify(item)}\n`);
  return `sha256:${h.digest('hex').slice(0, 16)}`;
}

const allResults = (runId: string) => storedResults(store, runId);

const waitTerminal = (runId: string) => waitTerminalRun(store, runId);

let h: AppHarness;
beforeAll(async () => {
  h = await createAppHarness(
    'datasets',
    {
      RUNLEDGER_API_KEYS: `alpha:${ALPHA},beta:${BETA}`,
      RUNLEDGER_MAX_ITEMS: '6',
      RUNLEDGER_MAX_ITEM_BYTES: '200',
    },
    {},
  );
  ({ redis, store, app, prefix } = h);
  datasets = store.datasets;
});

afterAll(() => h.close());

const V1 = [
  { id: 'fr', input: 'France', expectedOutput: 'France' },
  { input: 'Japan', metadata: { region: 'asia' } },
];
const V1_STORED = [
  { id: 'fr', input: 'France', expectedOutput: 'France' },
  { id: '1', input: 'Japan', metadata: { region: 'asia' } },
];

describe('datasets', () => {
  it('creates, appends and replaces as new immutable versions', async () => {
    const created = await call<Dataset>('POST', '/v1/datasets', {
      id: 'capitals',
      name: 'Capitals',
      items: V1,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'capitals',
      name: 'Capitals',
      project: 'alpha',
      latestVersion: 1,
      versions: [{ version: 1, itemCount: 2, contentHash: hashOf(V1_STORED) }],
    });

    const appended = await call<Dataset>('POST', '/v1/datasets/capitals/items', {
      mode: 'append',
      items: [{ input: 'Peru' }, { id: 'de', input: 'Germany' }],
    });
    expect(appended.status).toBe(201);
    const v2Stored = [...V1_STORED, { id: '2', input: 'Peru' }, { id: 'de', input: 'Germany' }];
    expect(appended.body.latestVersion).toBe(2);
    expect(appended.body.versions.map((v) => [v.version, v.itemCount, v.contentHash])).toEqual([
      [1, 2, hashOf(V1_STORED)],
      [2, 4, hashOf(v2Stored)],
    ]);

    const replaced = await call<Dataset>('POST', '/v1/datasets/capitals/items', {
      mode: 'replace',
      items: [{ id: 'it', input: 'Italy' }],
      name: 'Capitals (small)',
    });
    expect(replaced.status).toBe(201);
    expect(replaced.body.name).toBe('Capitals (small)');
    expect(replaced.body.versions.map((v) => [v.version, v.itemCount])).toEqual([
      [1, 2],
      [2, 4],
      [3, 1],
    ]);

    // every version keeps exactly its own items
    const items = async (v: string) =>
      (
        await call<{ items: { index: number }[]; version: number }>(
          'GET',
          `/v1/datasets/capitals/versions/${v}/items`,
        )
      ).body;
    expect((await items('1')).items).toEqual(V1_STORED.map((it, index) => ({ index, ...it })));
    expect((await items('v2')).items).toEqual(v2Stored.map((it, index) => ({ index, ...it })));
    expect(await items('latest')).toEqual({
      datasetId: 'capitals',
      version: 3,
      items: [{ index: 0, id: 'it', input: 'Italy' }],
      nextCursor: null,
    });
    // committed versions carry no TTL
    const k = store.keys.dataset('alpha', 'capitals');
    for (const key of [k.meta, k.versions, k.version(1), k.version(2), k.version(3)]) {
      expect(await redis.ttl(key), key).toBe(-1);
    }
    // no staging hash is left behind
    expect(await redis.keys(`${prefix}:dataset:*staging*`)).toEqual([]);
  });

  it('pages through a version', async () => {
    const first = await call<{ items: { id: string }[]; nextCursor: string | null }>(
      'GET',
      '/v1/datasets/capitals/versions/2/items?limit=3',
    );
    expect(first.body.items.map((i) => i.id)).toEqual(['fr', '1', '2']);
    expect(first.body.nextCursor).toBe('3');
    const second = await call<{ items: { id: string }[]; nextCursor: string | null }>(
      'GET',
      '/v1/datasets/capitals/versions/2/items?limit=3&cursor=3',
    );
    expect(second.body.items.map((i) => i.id)).toEqual(['de']);
    expect(second.body.nextCursor).toBeNull();
    const missing = await call<Problem>('GET', '/v1/datasets/capitals/versions/9/items');
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe('dataset capitals version 9 not found');
  });

  it('rejects bad changes with the field path and writes no version', async () => {
    const dup = await call<Problem>('POST', '/v1/datasets/capitals/items', {
      mode: 'append',
      items: [
        { id: 'x', input: 1 },
        { id: 'it', input: 2 },
      ],
    });
    expect(dup.status).toBe(400);
    expect(dup.body.errors).toEqual([
      { path: 'items.1.id', message: 'duplicate item id "it" (first at index 0 of the version)' },
    ]);
    const tooMany = await call<Problem>('POST', '/v1/datasets/capitals/items', {
      mode: 'append',
      items: Array.from({ length: 6 }, (_, i) => ({ input: i })),
    });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.errors?.[0]?.path).toBe('items');
    const tooBig = await call<Problem>('POST', '/v1/datasets/capitals/items', {
      mode: 'replace',
      items: [{ input: 'ok' }, { input: 'x'.repeat(300) }],
    });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.errors?.[0]?.path).toBe('items.1');
    const badMode = await call<Problem>('POST', '/v1/datasets/capitals/items', {
      mode: 'merge',
      items: [{ input: 1 }],
    });
    expect(badMode.status).toBe(400);
    expect(badMode.body.errors?.map((e) => e.path)).toEqual(['mode']);
    const exists = await call<Problem>('POST', '/v1/datasets', {
      id: 'capitals',
      name: 'again',
      items: [{ input: 1 }],
    });
    expect(exists.status).toBe(409);
    const d = await datasets.getDataset('alpha', 'capitals');
    expect(d?.latestVersion).toBe(3);
    expect(await redis.keys(`${prefix}:dataset:*staging*`)).toEqual([]);
  });

  it('keeps datasets per project: another project gets 404 and its own namespace', async () => {
    expect((await call('GET', '/v1/datasets/capitals', undefined, BETA)).status).toBe(404);
    expect(
      (await call('GET', '/v1/datasets/capitals/versions/1/items', undefined, BETA)).status,
    ).toBe(404);
    expect(
      (await call('POST', '/v1/datasets/capitals/items', { items: [{ input: 1 }] }, BETA)).status,
    ).toBe(404);
    expect((await call('DELETE', '/v1/datasets/capitals', undefined, BETA)).status).toBe(404);
    const run = await call<Problem>(
      'POST',
      '/v1/runs',
      { target: { name: 'echo' }, dataset: { id: 'capitals' } },
      BETA,
    );
    expect(run.status).toBe(404);
    expect(run.body.errors).toEqual([
      { path: 'dataset.id', message: 'dataset capitals not found' },
    ]);
    // the same id in project beta is a different dataset
    const own = await call<Dataset>(
      'POST',
      '/v1/datasets',
      { id: 'capitals', name: 'Beta capitals', items: [{ input: 'b' }] },
      BETA,
    );
    expect(own.status).toBe(201);
    expect(own.body.project).toBe('beta');
    const list = await call<{ datasets: Dataset[] }>('GET', '/v1/datasets', undefined, BETA);
    expect(list.body.datasets.map((d) => [d.id, d.name])).toEqual([['capitals', 'Beta capitals']]);
    expect((await datasets.getDataset('alpha', 'capitals'))?.latestVersion).toBe(3);
  });

  it('gives a stored version and the same items submitted inline the same content hash', async () => {
    const inline = await call<Run>('POST', '/v1/runs', {
      target: { name: 'echo' },
      dataset: { items: V1 },
    });
    expect(inline.status).toBe(201);
    const d = await datasets.getDataset('alpha', 'capitals');
    const v1 = d?.versions[0];
    expect(inline.body.datasetVersion).toBe(v1?.contentHash);
    expect(inline.body.datasetHash).toBe(v1?.contentHash);
    await waitTerminal(inline.body.id);
  });

  it('runs over a pinned stored version, which later versions do not change', async () => {
    const res = await call<Run>('POST', '/v1/runs', {
      name: 'pinned',
      target: { name: 'echo' },
      dataset: { id: 'capitals', version: '1' },
      scorers: [{ name: 'exact_match' }],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      datasetId: 'capitals',
      datasetVersion: '1',
      datasetHash: hashOf(V1_STORED),
      totalItems: 2,
      parentRunId: null,
    });
    // a new version after submission does not touch the run
    await call('POST', '/v1/datasets/capitals/items', { mode: 'replace', items: [{ input: 0 }] });
    const run = await waitTerminal(res.body.id);
    expect(run.status).toBe('completed');
    expect(run.succeededCount).toBe(2);
    const results = await allResults(run.id);
    expect(
      results.map((r) => [r.itemId, r.itemIndex, r.input, r.output, r.expectedOutput]),
    ).toEqual([
      ['fr', 0, 'France', 'France', 'France'],
      ['1', 1, 'Japan', 'Japan', null],
    ]);
    expect(run.scores.exact_match).toEqual({
      mean: 0.5,
      passed: 1,
      failed: 1,
      errors: 0,
      passRate: 0.5,
      passRateOfScored: 0.5,
    });

    // without a version: the latest (4, one item)
    const latest = await call<Run>('POST', '/v1/runs', {
      target: { name: 'echo' },
      dataset: { id: 'capitals' },
    });
    expect(latest.status).toBe(201);
    expect(latest.body).toMatchObject({ datasetVersion: '4', totalItems: 1 });
    expect(latest.body.datasetHash).toBe(hashOf([{ id: '0', input: 0 }]));
    await waitTerminal(latest.body.id);
  });

  it('answers 404/400 for unknown datasets and versions, with the field path', async () => {
    const unknown = await call<Problem>('POST', '/v1/runs', {
      target: { name: 'echo' },
      dataset: { id: 'nope' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toBe('dataset nope not found');
    // [dataset, status, the field path named, its message]
    const cases: [object, number, string, string][] = [
      [
        { id: 'capitals', version: 'v99' },
        404,
        'dataset.version',
        'dataset capitals version v99 not found',
      ],
      [
        { id: 'capitals', version: 'sha256:abc' },
        400,
        'dataset.version',
        'a stored dataset version is a number (`3` or `v3`)',
      ],
      [
        {},
        400,
        'dataset.items',
        'dataset.items is required unless dataset.id names a stored dataset',
      ],
    ];
    for (const [dataset, status, path, message] of cases) {
      const res = await call<Problem>('POST', '/v1/runs', { target: { name: 'echo' }, dataset });
      expect(res.status).toBe(status);
      expect(res.body.errors).toEqual([{ path, message }]);
    }
  });

  it('deletes a dataset; runs keep their copy of the items', async () => {
    const run = await call<Run>('POST', '/v1/runs', {
      target: { name: 'echo' },
      dataset: { id: 'capitals', version: '2' },
    });
    expect(run.status).toBe(201);
    expect((await call('DELETE', '/v1/datasets/capitals')).status).toBe(204);
    expect((await call('GET', '/v1/datasets/capitals')).status).toBe(404);
    expect((await call('DELETE', '/v1/datasets/capitals')).status).toBe(404);
    expect(await redis.keys(`${prefix}:dataset:{alpha/capitals}*`)).toEqual([]);
    const list = await call<{ datasets: Dataset[] }>('GET', '/v1/datasets');
    expect(list.body.datasets).toEqual([]);
    const done = await waitTerminal(run.body.id);
    expect(done.status).toBe('completed');
    expect((await allResults(done.id)).map((r) => r.itemId)).toEqual(['fr', '1', '2', 'de']);
    // beta's dataset of the same id is untouched
    expect((await call('GET', '/v1/datasets/capitals', undefined, BETA)).status).toBe(200);
  });

  it('commits one version per base: a concurrent change gets a conflict, nothing half-written', async () => {
    const created = await call<Dataset>('POST', '/v1/datasets', {
      id: 'race',
      name: 'race',
      items: [{ input: 0 }],
    });
    expect(created.status).toBe(201);
    const a = datasets.writer('alpha', 'race');
    const b = datasets.writer('alpha', 'race');
    await a.add(JSON.stringify({ id: 'a', input: 'a' }));
    await b.add(JSON.stringify({ id: 'b', input: 'b' }));
    expect((await a.commit({ mode: 'update', base: 1 })).version).toBe(2);
    await expect(b.commit({ mode: 'update', base: 1 })).rejects.toMatchObject({
      name: 'DatasetCommitError',
      reason: 'conflict',
    });
    const d = await datasets.getDataset('alpha', 'race');
    expect(d?.versions.map((v) => [v.version, v.itemCount])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(await datasets.readItemJson('alpha', 'race', 2, 0, 10)).toEqual([
      JSON.stringify({ id: 'a', input: 'a' }),
    ]);
    const c = datasets.writer('alpha', 'race');
    await c.add(JSON.stringify({ id: 'c', input: 'c' }));
    await expect(c.commit({ mode: 'create', base: 0 })).rejects.toMatchObject({
      reason: 'exists',
    });
    expect(await redis.keys(`${prefix}:dataset:*staging*`)).toEqual([]);
    expect((await call('DELETE', '/v1/datasets/race')).status).toBe(204);
  });

  it('creates a dataset with a generated id and lists it', async () => {
    const created = await call<Dataset>('POST', '/v1/datasets', {
      name: 'generated',
      items: [{ input: 1 }],
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const list = await call<{ datasets: Dataset[]; nextCursor: string | null }>(
      'GET',
      '/v1/datasets',
    );
    expect(list.body.datasets.map((d) => d.id)).toEqual([created.body.id]);
    expect(list.body.nextCursor).toBeNull();
  });
});

describe('datasets as NDJSON (streamed)', () => {
  /** POSTs `lines` (JSON values, or raw strings as they are) as an NDJSON body. */
  const ndjson = async <T>(path: string, lines: unknown[], eol = '\n') => {
    const res = await app.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALPHA}`, 'content-type': 'application/x-ndjson' },
      body: lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join(eol) + eol,
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  it('creates and adds versions from a header line and one item a line, as JSON does', async () => {
    const created = await ndjson<Dataset>(
      '/v1/datasets',
      [{ id: 'streamed', name: 'Streamed' }, ...V1, ''],
      '\r\n',
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'streamed',
      name: 'Streamed',
      project: 'alpha',
      latestVersion: 1,
      // the same items sent as JSON hash the same
      versions: [{ version: 1, itemCount: 2, contentHash: hashOf(V1_STORED) }],
      created: true,
    });
    const appended = await ndjson<Dataset>('/v1/datasets/streamed/items', [
      { mode: 'append', name: 'Streamed 2' },
      { input: 'Peru' },
    ]);
    expect(appended.status).toBe(201);
    expect(appended.body.name).toBe('Streamed 2');
    const v2Stored = [...V1_STORED, { id: '2', input: 'Peru' }];
    expect(appended.body.versions.map((v) => [v.version, v.itemCount, v.contentHash])).toEqual([
      [1, 2, hashOf(V1_STORED)],
      [2, 3, hashOf(v2Stored)],
    ]);
    const page = await call<{ items: object[] }>('GET', '/v1/datasets/streamed/versions/2/items');
    expect(page.body.items).toEqual(v2Stored.map((it, index) => ({ index, ...it })));
    // the same content again: no version added
    const same = await ndjson<Dataset & { created: boolean }>('/v1/datasets/streamed/items', [
      { mode: 'replace' },
      ...v2Stored,
    ]);
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ latestVersion: 2, created: false });
  });

  it('refuses a bad line with its line number and item path, and writes nothing', async () => {
    const cases: [string, unknown[], number, Problem['errors']][] = [
      [
        '/v1/datasets',
        [{ id: 'bad', name: 'Bad' }, { input: 1 }, { input: 2, answer: 2 }],
        400,
        [{ path: 'items.1.answer', message: 'line 3: unknown field "answer"' }],
      ],
      [
        '/v1/datasets',
        [{ id: 'bad', name: 'Bad', itmes: [] }, { input: 1 }],
        400,
        [{ path: 'itmes', message: 'line 1: unknown field "itmes"' }],
      ],
      [
        '/v1/datasets',
        [{ id: 'bad', name: 'Bad' }, { id: 'a', input: 1 }, '{"id":"a","input":2'],
        400,
        [{ path: 'items.1', message: expect.stringMatching(/^line 3: invalid JSON/) }],
      ],
      [
        '/v1/datasets',
        [
          { id: 'bad', name: 'Bad' },
          { id: 'a', input: 1 },
          { id: 'a', input: 2 },
        ],
        400,
        [
          {
            path: 'items.1.id',
            message: 'duplicate item id "a" (first at index 0 of the version) (line 3)',
          },
        ],
      ],
      [
        '/v1/datasets',
        [{ id: 'bad', name: 'Bad' }],
        400,
        [{ path: 'items', message: 'at least one item is required' }],
      ],
      [
        '/v1/datasets',
        [{ id: 'bad', name: 'Bad' }, ...Array.from({ length: 7 }, (_, i) => ({ input: i }))],
        413,
        [{ path: 'items.6', message: 'a dataset version holds at most 6 items (line 8)' }],
      ],
      [
        '/v1/datasets',
        [{ id: 'bad', name: 'Bad' }, { input: 'x'.repeat(300) }],
        413,
        [{ path: 'items.0', message: 'item exceeds 200 bytes (line 2)' }],
      ],
      ['/v1/datasets/nope/items', [{ mode: 'append' }, { input: 1 }], 404, undefined],
      [
        '/v1/datasets/streamed/items',
        [{ mode: 'add' }, { input: 1 }],
        400,
        [{ path: 'mode', message: expect.stringMatching(/^line 1: /) }],
      ],
    ];
    const before = await redis.keys(`${prefix}:dataset:*`);
    for (const [path, lines, status, errors] of cases) {
      const res = await ndjson<Problem>(path, lines);
      expect(res.status, JSON.stringify(lines)).toBe(status);
      expect(res.body.errors, JSON.stringify(lines)).toEqual(errors);
    }
    const empty = await app.request('/v1/datasets', {
      method: 'POST',
      headers: { authorization: `Bearer ${ALPHA}`, 'content-type': 'application/x-ndjson' },
      body: '\n\n',
    });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as Problem).detail).toBe(
      'empty body: the first line must be the dataset header (the body without items)',
    );
    expect((await call('GET', '/v1/datasets/bad')).status).toBe(404);
    expect((await call<Dataset>('GET', '/v1/datasets/streamed')).body.latestVersion).toBe(2);
    expect((await redis.keys(`${prefix}:dataset:*`)).sort()).toEqual(before.sort());
  });
});

describe('large dataset NDJSON bodies (item lines encoded in a worker thread)', () => {
  it('continues default ids over versions and checks ids against the version, in line order', async () => {
    const opened = await openApp({ ...h.config, RUNLEDGER_MAX_ITEMS: 10_000 }, redis);
    const post = async (path: string, lines: unknown[]) => {
      const res = await opened.app.request(path, {
        method: 'POST',
        headers: { authorization: `Bearer ${ALPHA}`, 'content-type': 'application/x-ndjson' },
        body: lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'),
      });
      return { status: res.status, body: (await res.json()) as Dataset & Problem };
    };
    // even items have an id, odd ones take their index in the version
    const items = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) =>
        (from + i) % 2 === 0 ? { id: `k-${from + i}`, input: from + i } : { input: from + i },
      );
    const stored = (list: { id?: string; input: number }[], from: number) =>
      list.map((item, i) => ({ id: item.id ?? String(from + i), input: item.input }));
    try {
      const v1 = await post('/v1/datasets', [{ id: 'wide', name: 'Wide' }, ...items(0, 1200)]);
      expect(v1.status).toBe(201);
      const v2 = await post('/v1/datasets/wide/items', [{ mode: 'append' }, ...items(1200, 1300)]);
      expect(v2.status).toBe(201);
      expect(v2.body.versions.map((v) => [v.version, v.itemCount, v.contentHash])).toEqual([
        [1, 1200, hashOf(stored(items(0, 1200), 0))],
        [2, 2500, hashOf(stored(items(0, 2500), 0))],
      ]);
      // a duplicate of version 2's "k-4" at line 701, invalid JSON at line 1,101: the first wins
      const lines: unknown[] = [{ mode: 'append' }, ...items(2500, 1500)];
      lines[700] = { id: 'k-4', input: 0 };
      lines[1100] = '{"input":';
      const bad = await post('/v1/datasets/wide/items', lines);
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([
        {
          path: 'items.699.id',
          message: 'duplicate item id "k-4" (first at index 4 of the version) (line 701)',
        },
      ]);
      lines[700] = { input: 0 };
      const json = await post('/v1/datasets/wide/items', lines);
      expect(json.status).toBe(400);
      expect(json.body.errors?.map((e) => e.path)).toEqual(['items.1099']);
      expect((await call<Dataset>('GET', '/v1/datasets/wide')).body.latestVersion).toBe(2);
    } finally {
      await opened.close();
    }
  });
});

describe('ItemJsonBatches', () => {
  it('hashes every item in order and hands full batches over with one write in flight', async () => {
    const events: string[] = [];
    const pending: (() => void)[] = [];
    const batches = new ItemJsonBatches((start, jsons) => {
      events.push(`write ${start} ${jsons.join(',')}`);
      return new Promise<void>((resolve) => pending.push(resolve));
    }, 2);
    /** Ends the oldest write in flight, once there is one. */
    const endWrite = async () => {
      while (pending.length === 0) await new Promise((r) => setImmediate(r));
      pending.shift()!();
    };
    expect(batches.add('a')).toBeUndefined();
    await batches.add('b'); // the first batch's write starts
    expect(batches.add('c')).toBeUndefined();
    const second = batches.add('d'); // waits for the first write to end
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['write 0 a,b']);
    await endWrite();
    await second;
    expect(events).toEqual(['write 0 a,b', 'write 2 c,d']);
    expect(batches.add('e')).toBeUndefined();
    const flushed = batches.flush();
    await endWrite(); // c,d
    await endWrite(); // e
    await flushed;
    expect(events).toEqual(['write 0 a,b', 'write 2 c,d', 'write 4 e']);
    expect(batches.count).toBe(5);
    const hasher = new ContentHasher();
    for (const json of ['a', 'b', 'c', 'd', 'e']) hasher.update(json);
    expect(batches.digest()).toBe(hasher.digest());
  });

  it('surfaces a failed write at the next batch, and settle waits without throwing', async () => {
    const batches = new ItemJsonBatches(async (start) => {
      if (start === 0) throw new Error('staging write failed');
    }, 1);
    await batches.add('a');
    await expect(batches.add('b')).rejects.toThrow('staging write failed');
    await expect(batches.settle()).resolves.toBeUndefined();
  });
});
