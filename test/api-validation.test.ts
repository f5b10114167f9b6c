/**
 * API input validation against a real Redis: every 4xx of run submission and of the query
 * parameters, with exact problem bodies and field paths, and proof that bad input leaves no
 * key behind (invariant 5).
 */
import type { Problem } from '@runledger/api';
import type { RunStore } from '@runledger/shared';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { prefixApps } from './helpers/api-prefix.js';
import { RUN_ROUTES } from './helpers/api-run-routes.js';
import { deletePrefix } from './helpers/context.js';
import { advertiseWorker } from './helpers/fake-worker.js';
import { scanKeys } from './helpers/redis-dump.js';

/** Apps on this file's prefix with small limits (overridable per app). */
const apps = prefixApps('api-val', {
  RUNLEDGER_MAX_BODY_BYTES: '2048',
  RUNLEDGER_MAX_ITEMS: '5',
  RUNLEDGER_MAX_ITEM_BYTES: '200',
});
const prefix = apps.prefix;
let redis: Redis;
let store: RunStore;

/** An app on this file's prefix with small limits (overridable). */
const makeApp = (overrides: Record<string, string> = {}) => apps.app(overrides);

/**
 * Every key under the prefix: runledger's (`<prefix>:*`) and BullMQ's (`{<prefix>}:*`), except
 * the workers hash (the advertised worker).
 */
async function keysUnderPrefix(): Promise<string[]> {
  const found = [
    ...(await scanKeys(redis, `${prefix}:*`)),
    ...(await scanKeys(redis, `{${prefix}}:*`)),
  ];
  // the worker registry and the audit log (which records refused calls too) are not run data
  const notRunData = new Set([store.keys.workers, store.keys.auditLog('default')]);
  return found.filter((key) => !notRunData.has(key)).sort();
}

const spec = (over: Record<string, unknown> = {}) => ({
  target: { name: 'echo' },
  dataset: { items: [{ input: 'a' }, { input: 'b' }] },
  ...over,
});

const postJson = (app: ReturnType<typeof makeApp>, body: unknown, headers = {}) =>
  app.request('/v1/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const postNdjson = (
  app: ReturnType<typeof makeApp>,
  body: string | ReadableStream<Uint8Array>,
  headers = {},
) =>
  app.request('/v1/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...headers },
    body,
    // a stream body needs half-duplex in undici's Request
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);

const ndjson = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n');

/** A body streamed in chunks of `size` bytes. */
function chunked(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/** Asserts a problem response and returns its body. */
async function expectProblem(res: Response, status: number, kind: string): Promise<Problem> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as Problem;
  expect(res.status).toBe(status);
  expect(body.status).toBe(status);
  expect(body.type).toBe(`urn:runledger:problem:${kind}`);
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

beforeAll(async () => {
  ({ redis, store } = apps.open());
  // a live worker serving echo: runs are checked at submit against the live workers
  await advertiseWorker(store, ['echo']);
});

afterEach(async () => {
  // bad input creates nothing: not a run, not an item batch, not an idempotency key, not a job
  expect(await keysUnderPrefix()).toEqual([]);
});

afterAll(() => apps.close());

describe('POST /v1/runs with a JSON body', () => {
  const app = () => makeApp();

  it('rejects malformed JSON with 400', async () => {
    const body = await expectProblem(
      await postJson(app(), '{"target": {"name": "echo"'),
      400,
      'bad_request',
    );
    expect(body.detail).toBe('Malformed JSON in request body');
    expect(body.instance).toBe('/v1/runs');
  });

  it('rejects an unsupported content type with 415', async () => {
    const res = await app().request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(spec()),
    });
    const body = await expectProblem(res, 415, 'unsupported_media_type');
    expect(body.detail).toBe('Content-Type must be application/json or application/x-ndjson');
  });

  it('rejects a body without content type with 415', async () => {
    const res = await app().request('/v1/runs', { method: 'POST', body: JSON.stringify(spec()) });
    await expectProblem(res, 415, 'unsupported_media_type');
  });

  it('rejects an empty body with 400 listing the missing fields', async () => {
    const res = await app().request('/v1/runs', { method: 'POST' });
    const body = await expectProblem(res, 400, 'validation');
    expect(body.errors?.map((e) => e.path)).toEqual(['target', 'dataset']);
  });

  // [test name, spec fields over `spec()`, the errors answered]
  it.each<[string, Record<string, unknown>, Problem['errors']]>([
    [
      'rejects a missing target name',
      { target: {} },
      [{ path: 'target.name', message: 'Invalid input: expected string, received undefined' }],
    ],
    [
      'rejects an invalid target name',
      { target: { name: 'no spaces' } },
      [{ path: 'target.name', message: 'must be 1-64 letters, digits, "_", "-" or "."' }],
    ],
    [
      'rejects an empty dataset',
      { dataset: { items: [] } },
      [{ path: 'dataset.items', message: 'Too small: expected array to have >=1 items' }],
    ],
    [
      'rejects an item without input, and lists every bad field',
      {
        target: { name: '' },
        dataset: { items: [{ input: 1 }, { id: 'x' }, { input: 3, id: 7 }] },
      },
      [
        { path: 'target.name', message: 'must be 1-64 letters, digits, "_", "-" or "."' },
        { path: 'dataset.items.1.input', message: 'input is required' },
        { path: 'dataset.items.2.id', message: 'Invalid input: expected string, received number' },
      ],
    ],
    [
      'rejects duplicate item ids, also against default ids',
      { dataset: { items: [{ input: 1 }, { id: 'a', input: 2 }, { id: '0', input: 3 }] } },
      [{ path: 'dataset.items.2.id', message: 'duplicate item id "0" (first at index 0)' }],
    ],
    [
      'rejects bad built-in scorer configs with exact paths',
      {
        scorers: [
          { name: 'regex', config: { pattern: '(' } },
          { name: 'numeric_close', config: { tolerance: -1 } },
          { name: 'exact_match', config: { case_sensitive: false, trim: true } },
          { name: 'json_equal', config: { strict: true } },
        ],
      },
      [
        { path: 'scorers.0.config.pattern', message: 'must be a valid regular expression' },
        { path: 'scorers.1.config.tolerance', message: 'Too small: expected number to be >=0' },
        {
          path: 'scorers.2.config.case_sensitive',
          message:
            'unknown config key "case_sensitive" for scorer "exact_match" (allowed: caseSensitive, trim)',
        },
        {
          path: 'scorers.3.config.strict',
          message: 'unknown config key "strict" for scorer "json_equal" (it takes none)',
        },
      ],
    ],
  ])('%s', async (_name, over, errors) => {
    const body = await expectProblem(await postJson(app(), spec(over)), 400, 'validation');
    expect(body.errors).toEqual(errors);
  });

  it('rejects an unknown scorer at its path', async () => {
    const body = await expectProblem(
      await postJson(app(), spec({ scorers: [{ name: 'exact_match' }, { name: 'no_such' }] })),
      400,
      'validation',
    );
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]?.path).toBe('scorers.1.name');
    expect(body.errors?.[0]?.message).toMatch(/^unknown scorer "no_such"/);
  });

  it('rejects a body over RUNLEDGER_MAX_BODY_BYTES with 413', async () => {
    const big = spec({ dataset: { items: [{ input: 'x'.repeat(3000) }] } });
    const body = await expectProblem(await postJson(app(), big), 413, 'payload_too_large');
    expect(body.detail).toBe(
      'request body exceeds 2048 bytes; send large datasets as application/x-ndjson',
    );
    // the same for a dataset; an experiment is told to store its dataset first
    for (const [path, hint] of [
      ['/v1/datasets', '; send large datasets as application/x-ndjson'],
      [
        '/v1/experiments',
        ' (RUNLEDGER_MAX_BODY_BYTES); store a large dataset first (runledger datasets push FILE, or POST /v1/datasets as application/x-ndjson) and name it: dataset: { id }',
      ],
    ]) {
      const res = await app().request(path!, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'big', items: [{ input: 'x'.repeat(3000) }] }),
      });
      const problem = await expectProblem(res, 413, 'payload_too_large');
      expect(problem.detail, path).toBe(`request body exceeds 2048 bytes${hint}`);
    }
  });

  it('rejects more than RUNLEDGER_MAX_ITEMS items with 413', async () => {
    const items = Array.from({ length: 6 }, (_, i) => ({ input: i }));
    const body = await expectProblem(
      await postJson(app(), spec({ dataset: { items } })),
      413,
      'payload_too_large',
    );
    expect(body.errors).toEqual([
      { path: 'dataset.items', message: 'Too big: expected array to have <=5 items' },
    ]);
  });

  it('rejects an item over RUNLEDGER_MAX_ITEM_BYTES with 413 at its path', async () => {
    const body = await expectProblem(
      await postJson(
        app(),
        spec({ dataset: { items: [{ input: 1 }, { input: 'y'.repeat(300) }] } }),
      ),
      413,
      'payload_too_large',
    );
    expect(body.errors?.map((e) => e.path)).toEqual(['dataset.items.1']);
  });

  it('rejects an invalid Idempotency-Key and releases a key whose submission failed', async () => {
    const long = await expectProblem(
      await postJson(app(), spec(), { 'idempotency-key': 'k'.repeat(256) }),
      400,
      'validation',
    );
    expect(long.errors?.map((e) => e.path)).toEqual(['idempotency-key']);
    // a key whose request failed validation after it was reserved is free again (no key left)
    await expectProblem(
      await postJson(app(), spec({ scorers: [{ name: 'nope' }] }), { 'idempotency-key': 'k1' }),
      400,
      'validation',
    );
  });
});

describe('POST /v1/runs with an NDJSON body', () => {
  const app = () => makeApp();
  const header = { target: { name: 'echo' } };

  it('rejects an invalid item line naming its line number and path', async () => {
    const text = ndjson([header, { input: 1 }, { id: 5, input: 2 }, { input: 3 }]);
    const body = await expectProblem(await postNdjson(app(), text), 400, 'validation');
    expect(body.errors).toEqual([
      {
        path: 'dataset.items.1.id',
        message: 'line 3: Invalid input: expected string, received number',
      },
    ]);
    expect(body.detail).toContain('line 3');
  });

  it('counts item indexes over non-empty lines only, and reports the physical line', async () => {
    const text = `${JSON.stringify(header)}\r\n\r\n${JSON.stringify({ input: 1 })}\r\n{"metadata": 3}\r\n`;
    const body = await expectProblem(await postNdjson(app(), text), 400, 'validation');
    expect(body.errors).toEqual([
      {
        path: 'dataset.items.1.input',
        message: 'line 4: input is required',
      },
      {
        path: 'dataset.items.1.metadata',
        message: 'line 4: Invalid input: expected record, received number',
      },
    ]);
  });

  it('rejects a line that is not JSON', async () => {
    const text = `${JSON.stringify(header)}\n{"input": 1}\n{"input": 2\n`;
    const body = await expectProblem(await postNdjson(app(), text), 400, 'validation');
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]?.path).toBe('dataset.items.1');
    expect(body.errors?.[0]?.message).toMatch(/^line 3: invalid JSON: /);
  });

  it('rejects an invalid header line with paths of the run spec', async () => {
    const text = ndjson([{ target: { name: 'x y' }, scorers: [{ name: 'bogus' }] }, { input: 1 }]);
    const body = await expectProblem(await postNdjson(app(), text), 400, 'validation');
    expect(body.errors).toEqual([
      { path: 'target.name', message: 'line 1: must be 1-64 letters, digits, "_", "-" or "."' },
    ]);
  });

  it('rejects an unknown scorer in the header line', async () => {
    const text = ndjson([{ ...header, scorers: [{ name: 'bogus' }] }, { input: 1 }]);
    const body = await expectProblem(await postNdjson(app(), text), 400, 'validation');
    expect(body.errors?.map((e) => e.path)).toEqual(['scorers.0.name']);
  });

  it('rejects duplicate ids', async () => {
    const text = ndjson([
      header,
      { id: 'a', input: 1 },
      { id: 'b', input: 2 },
      { id: 'a', input: 3 },
    ]);
    const body = await expectProblem(await postNdjson(app(), text), 400, 'validation');
    expect(body.errors).toEqual([
      { path: 'dataset.items.2.id', message: 'duplicate item id "a" (first at index 0) (line 4)' },
    ]);
  });

  it('rejects zero items and an empty body', async () => {
    const none = await expectProblem(
      await postNdjson(app(), `${JSON.stringify(header)}\n\n`),
      400,
      'validation',
    );
    expect(none.errors).toEqual([
      { path: 'dataset.items', message: 'at least one item is required' },
    ]);
    await expectProblem(await postNdjson(app(), ''), 400, 'validation');
  });

  it('rejects more than RUNLEDGER_MAX_ITEMS items with 413', async () => {
    const text = ndjson([header, ...Array.from({ length: 6 }, (_, i) => ({ input: i }))]);
    const body = await expectProblem(await postNdjson(app(), text), 413, 'payload_too_large');
    expect(body.errors).toEqual([{ path: 'dataset.items', message: 'at most 5 items (line 7)' }]);
  });

  it('rejects an item line over RUNLEDGER_MAX_ITEM_BYTES with 413, also split across chunks', async () => {
    const text = ndjson([header, { input: 1 }, { input: 'z'.repeat(500) }, { input: 3 }]);
    for (const body of [text, chunked(text, 7)]) {
      const problem = await expectProblem(await postNdjson(app(), body), 413, 'payload_too_large');
      expect(problem.errors).toEqual([
        { path: 'dataset.items.1', message: 'item exceeds 200 bytes (line 3)' },
      ]);
    }
  });

  it('removes items already staged when a later line is bad', async () => {
    const big = makeApp({ RUNLEDGER_MAX_ITEMS: '10000', RUNLEDGER_MAX_BODY_BYTES: '1024' });
    const lines: unknown[] = [header];
    for (let i = 0; i < 2500; i++) lines.push({ input: i });
    lines.push({ input: 1, id: 'x' }, { input: 2, id: 'x' });
    const body = await expectProblem(
      await postNdjson(big, chunked(ndjson(lines), 4096)),
      400,
      'validation',
    );
    expect(body.errors?.map((e) => e.path)).toEqual(['dataset.items.2501.id']);
    // afterEach proves the two staged batches of 1000 were deleted
  });

  describe('over many encode batches (worker thread or event loop alike)', () => {
    /** An app parsing item lines in `threads` worker threads (0: on the event loop). */
    const appWith = (threads: string, overrides: Record<string, string> = {}) =>
      makeApp({
        RUNLEDGER_MAX_ITEMS: '10000',
        RUNLEDGER_MAX_BODY_BYTES: String(1 << 20),
        RUNLEDGER_PARSE_THREADS: threads,
        ...overrides,
      });
    /** 3,000 item lines (`{"input": i}`), `edit` applied to them (by item index). */
    const lines = (edit: (items: unknown[]) => void = () => {}) => {
      const items: unknown[] = Array.from({ length: 3000 }, (_, i) => ({ input: i }));
      edit(items);
      return [header, ...items];
    };
    /** The problem answered to `text` by both apps, asserted equal; `status`, `kind` as expected. */
    const sameProblem = async (text: string, status: number, kind: string) => {
      const inThread = await expectProblem(await postNdjson(appWith('1'), text), status, kind);
      const inline = await expectProblem(await postNdjson(appWith('0'), text), status, kind);
      expect({ ...inThread, instance: '' }).toEqual({ ...inline, instance: '' });
      return inThread;
    };

    it('answers the first bad line when a later batch has a bad one too', async () => {
      // a duplicate id at lines 11-12 (taken on the event loop), invalid JSON at line 2,402
      const text = ndjson(
        lines((items) => {
          items[9] = { id: 'x', input: 9 };
          items[10] = { id: 'x', input: 10 };
        }),
      ).replace('{"input":2400}', '{"input":');
      const body = await sameProblem(text, 400, 'validation');
      expect(body.errors).toEqual([
        {
          path: 'dataset.items.10.id',
          message: 'duplicate item id "x" (first at index 9) (line 12)',
        },
      ]);
      // alone, the invalid JSON is answered with its own line and index
      const json = await sameProblem(
        ndjson(lines()).replace('{"input":2400}', '{"input":'),
        400,
        'validation',
      );
      expect(json.errors?.map((e) => e.path)).toEqual(['dataset.items.2400']);
      expect(json.errors?.[0]?.message).toMatch(/^line 2402: invalid JSON: /);
    });

    it('answers a bad field before a later line that is too long, and that line alone', async () => {
      const long = { input: 'p'.repeat(300) }; // over RUNLEDGER_MAX_ITEM_BYTES (200)
      const both = await sameProblem(
        ndjson(
          lines((items) => {
            items[1799] = { metadata: 1 };
            items[2600] = long;
          }),
        ),
        400,
        'validation',
      );
      expect(both.errors?.map((e) => e.path)).toEqual([
        'dataset.items.1799.input',
        'dataset.items.1799.metadata',
      ]);
      const alone = await sameProblem(
        ndjson(lines((items) => (items[2600] = long))),
        413,
        'payload_too_large',
      );
      expect(alone.errors).toEqual([
        { path: 'dataset.items.2600', message: 'item exceeds 200 bytes (line 2602)' },
      ]);
    });

    it('takes large items over byte-cut batches: a bad one named by its line, the rest stored whole', async () => {
      // 600 items of ~4 KB: ~2.4 MB, batches of ~1 MiB (256 lines), not of 1,000 lines
      const big = (i: number) => ({ id: `doc-${i}`, input: { text: `${i} ${'w'.repeat(4000)}` } });
      const items: unknown[] = Array.from({ length: 600 }, (_, i) => big(i));
      items[555] = { id: 'doc-555', input: { text: 'short' }, extra: true };
      const app = appWith('1', { RUNLEDGER_MAX_ITEM_BYTES: '8192' });
      const body = await expectProblem(
        await postNdjson(app, ndjson([header, ...items])),
        400,
        'validation',
      );
      expect(body.errors).toEqual([
        { path: 'dataset.items.555.extra', message: 'line 557: unknown field "extra"' },
      ]);
      items[555] = big(555);
      const res = await postNdjson(app, ndjson([header, ...items]));
      expect(res.status).toBe(201);
      const run = (await res.json()) as { id: string; totalItems: number };
      const stored = await store.results.readItems(run.id, [0, 300, 599]);
      expect((await app.request(`/v1/runs/${run.id}`, { method: 'DELETE' })).status).toBe(204);
      await deletePrefix(redis, prefix);
      await advertiseWorker(store, ['echo']);
      expect(run.totalItems).toBe(600);
      expect(stored).toEqual([big(0), big(300), big(599)]);
    });

    it('stores the same items as a JSON body: one content hash, scrubbed alike', async () => {
      const items = Array.from({ length: 2500 }, (_, i) =>
        i % 3 === 0
          ? { input: { text: `write to user${i}@example.com` }, expectedOutput: i }
          : { id: `item-${i}`, input: { n: i }, metadata: { k: 'v' } },
      );
      const privacy = { scrub: ['email'] };
      type Created = { id: string; datasetVersion: string; totalItems: number };
      const created: Created[] = [];
      for (const threads of ['1', '0']) {
        const res = await postNdjson(appWith(threads), ndjson([{ ...header, privacy }, ...items]));
        expect(res.status).toBe(201);
        created.push((await res.json()) as Created);
      }
      const viaJson = await appWith('0').request('/v1/runs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...header, privacy, dataset: { items } }),
      });
      expect(viaJson.status).toBe(201);
      created.push((await viaJson.json()) as Created);
      const stored = await store.results.readItems(created[0]!.id, [0, 1, 2499]);
      // deleted before the checks: afterEach asserts no key is left
      for (const run of created) {
        expect(
          (await appWith('0').request(`/v1/runs/${run.id}`, { method: 'DELETE' })).status,
        ).toBe(204);
      }
      // the queues' and indexes' own keys too; the worker is advertised again for the next tests
      await deletePrefix(redis, prefix);
      await advertiseWorker(store, ['echo']);
      expect(created.map((r) => r.totalItems)).toEqual([2500, 2500, 2500]);
      expect(new Set(created.map((r) => r.datasetVersion)).size).toBe(1);
      expect(stored).toEqual([
        {
          id: '0',
          input: { text: 'write to [email]' },
          expectedOutput: 0,
          masked: { email: 1 },
        },
        { id: 'item-1', input: { n: 1 }, metadata: { k: 'v' } },
        {
          id: '2499',
          input: { text: 'write to [email]' },
          expectedOutput: 2499,
          masked: { email: 1 },
        },
      ]);
    });
  });

  it('is not subject to the JSON body limit', async () => {
    const lines: unknown[] = [header];
    for (let i = 0; i < 5; i++) lines.push({ input: 'p'.repeat(300) });
    const text = ndjson(lines);
    const small = makeApp({ RUNLEDGER_MAX_BODY_BYTES: '1024', RUNLEDGER_MAX_ITEM_BYTES: '1024' });
    expect(Buffer.byteLength(text)).toBeGreaterThan(1024);
    const res = await postNdjson(small, text);
    expect(res.status).toBe(201);
    const run = (await res.json()) as { id: string; totalItems: number };
    expect(run.totalItems).toBe(5);
    // clean up so afterEach's "no key" holds for the next test
    expect((await small.request(`/v1/runs/${run.id}`, { method: 'DELETE' })).status).toBe(204);
    await deletePrefix(redis, prefix);
  });
});

describe('unknown runs and bad query parameters', () => {
  const app = () => makeApp();
  const unknown = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  /** The field paths of the 400 validation problem `path` answers. */
  const badPaths = async (path: string, init?: RequestInit) =>
    (await expectProblem(await app().request(path, init), 400, 'validation')).errors?.map(
      (e) => e.path,
    );

  it('answers 404 problem+json for an unknown run on every run route', async () => {
    const calls: [string, string][] = [
      ...RUN_ROUTES.map(([method, path]): [string, string] => [method, path(unknown)]),
      ['GET', '/v1/runs/not-a-run-id'],
      ['GET', '/v1/runs/not%7Ba%7Drun/results'],
    ];
    for (const [method, path] of calls) {
      const body = await expectProblem(await app().request(path, { method }), 404, 'not_found');
      expect(body.instance).toBe(path.replace('%7B', '{').replace('%7D', '}'));
      expect(body.detail).toMatch(/^run .+ not found$/);
    }
  });

  it('answers 404 problem+json for an unknown API route (other GETs get the dashboard 404 page)', async () => {
    const body = await expectProblem(await app().request('/v1/nothing'), 404, 'not_found');
    expect(body.detail).toBe('no route for GET /v1/nothing');
    const post = await expectProblem(
      await app().request('/v2/nothing', { method: 'POST' }),
      404,
      'not_found',
    );
    expect(post.detail).toBe('no route for POST /v2/nothing');
  });

  // [test name, path, the field paths answered for each query]
  it.each<[string, string, Record<string, string[]>]>([
    [
      'rejects bad list parameters with 400 naming each',
      '/v1/runs',
      {
        'limit=0': ['limit'],
        'limit=501': ['limit'],
        'limit=ten': ['limit'],
        'status=done': ['status'],
        'since=yesterday&until=12:00': ['since', 'until'],
        'status=bogus&limit=-1': ['status', 'limit'],
      },
    ],
    [
      'rejects bad results parameters with 400 (before looking the run up)',
      `/v1/runs/${unknown}/results`,
      {
        'limit=0': ['limit'],
        'limit=1001': ['limit'],
        'status=queued': ['status'],
        'cursor=abc': ['cursor'],
      },
    ],
  ])('%s', async (_name, path, cases) => {
    for (const [query, paths] of Object.entries(cases)) {
      expect(await badPaths(`${path}?${query}`), query).toEqual(paths);
    }
  });

  it('rejects a cursor it did not hand out', async () => {
    for (const cursor of ['garbage', 'bm90LWEtY3Vyc29y']) {
      const body = await expectProblem(
        await app().request(`/v1/runs?cursor=${cursor}`),
        400,
        'validation',
      );
      expect(body.errors).toEqual([
        { path: 'cursor', message: 'not a cursor this API handed out' },
      ]);
    }
  });

  it('rejects a malformed Last-Event-ID', async () => {
    const header = { headers: { 'last-event-id': 'x' } };
    expect(await badPaths(`/v1/runs/${unknown}/events`, header)).toEqual(['last-event-id']);
    expect(await badPaths(`/v1/runs/${unknown}/events?lastEventId=12`)).toEqual(['lastEventId']);
  });
});
