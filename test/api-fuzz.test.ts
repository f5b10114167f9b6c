/**
 * Property-based fuzzing of the API (fast-check, fixed seeds; a failure prints its seed and the
 * shrunk counterexample): thousands of random and mutated run specs (JSON), NDJSON streams,
 * arbitrary bodies, query strings and run ids through `app.request()`, against a real Redis.
 *
 * Properties: never a 5xx; a submission answers 201 exactly when an independent check
 * (`createRunSpecSchema`, scorers, served target and its config, limits; re-implemented here, not
 * the API's code path) says it is valid; and no run exists but those answered 201 (the runs index
 * and every per-run key are compared with the 201s after each property).
 */
import type { createApp } from '@runledger/api';
import {
  BUILTIN_SCORERS,
  BUILTIN_TARGET_CONFIGS,
  checkTargetUrl,
  comparesWithExpected,
  createRunSpecSchema,
  ItemSchema,
  parseTargetAllow,
  type RunSpecHeader,
  RunSpecHeaderSchema,
  type RunStore,
} from '@runledger/shared';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefixApps } from './helpers/api-prefix.js';
import { RUN_ROUTES } from './helpers/api-run-routes.js';
import { advertiseWorker } from './helpers/fake-worker.js';

const LIMITS = { body: 4096, items: 4, itemBytes: 300 };
const apps = prefixApps('fuzz', {
  RUNLEDGER_MAX_BODY_BYTES: String(LIMITS.body),
  RUNLEDGER_MAX_ITEMS: String(LIMITS.items),
  RUNLEDGER_MAX_ITEM_BYTES: String(LIMITS.itemBytes),
  RUNLEDGER_MAX_RUNS_IN_FLIGHT: '0',
});
const prefix = apps.prefix;
let redis: Redis;
let store: RunStore;
let app: ReturnType<typeof createApp>;
/** Ids of the runs the API answered 201 for. */
const createdIds = new Set<string>();

beforeAll(async () => {
  ({ redis, store } = apps.open());
  await advertiseWorker(store, [...SERVED]);
  app = apps.app();
});

afterAll(() => apps.close());

// ------------------------------------------------------------------ independent validity

const builtin = new Set<string>(BUILTIN_SCORERS);
/** Targets the (advertised) live worker serves; `fuzz-a` and `fuzz.b_1` declare no config schema. */
const SERVED = new Set(['echo', 'fuzz-a', 'fuzz.b_1']);

/**
 * Would the API accept this header's target? Served (or `execution.waitForWorkers`), a
 * built-in's config fits its schema, and an http/openai URL passes the (empty) allowlist
 * (`checkTargetUrl`, the one piece shared with the API).
 */
function targetValid(header: RunSpecHeader): boolean {
  const { name, config = {} } = header.target;
  if (!SERVED.has(name) && header.execution.waitForWorkers !== true) return false;
  const schema = BUILTIN_TARGET_CONFIGS[name];
  if (schema && !schema.safeParse(config).success) return false;
  const field = name === 'http' ? 'url' : name === 'openai' ? 'baseUrl' : null;
  const value = field ? config[field] : undefined;
  if (typeof value !== 'string') return true;
  return (
    !URL.canParse(value) || checkTargetUrl(parseTargetAllow(''), new URL(value), value) === null
  );
}

const specSchema = () => createRunSpecSchema(LIMITS.items);

/** Bytes of an item as the API stores it (`id` defaulted to its index). */
function storedItemBytes(item: Record<string, unknown>, index: number): number {
  const stored: Record<string, unknown> = { id: item.id ?? String(index), input: item.input };
  if (item.expectedOutput !== undefined) stored.expectedOutput = item.expectedOutput;
  if (item.metadata !== undefined) stored.metadata = item.metadata;
  return Buffer.byteLength(JSON.stringify(stored));
}

/** Would a JSON body create a run? */
function jsonValid(body: string): boolean {
  if (Buffer.byteLength(body) > LIMITS.body) return false;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return false;
  }
  const parsed = specSchema().safeParse(value);
  if (!parsed.success) return false;
  if (parsed.data.scorers.some((s) => !builtin.has(s.name))) return false;
  if (!targetValid(parsed.data)) return false;
  // without items the spec names a stored dataset, which the fuzzed API does not have (404)
  if (!parsed.data.dataset.items) return false;
  if (!expectedOutputsFit(parsed.data.scorers, parsed.data.dataset.items)) return false;
  return parsed.data.dataset.items.every(
    (item, i) => storedItemBytes(item as Record<string, unknown>, i) <= LIMITS.itemBytes,
  );
}

/**
 * A new run whose scorers compare outputs with expected outputs (`comparesWithExpected`, the one
 * piece shared with the API) needs at least one item with an `expectedOutput`.
 */
function expectedOutputsFit(
  scorers: RunSpecHeader['scorers'],
  items: { expectedOutput?: unknown }[],
) {
  return items.some((i) => i.expectedOutput !== undefined) || !scorers.some(comparesWithExpected);
}

/** Would an NDJSON body create a run? */
function ndjsonValid(body: string): boolean {
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  let header: RunSpecHeader | null = null;
  const ids = new Set<string>();
  const items: { expectedOutput?: unknown }[] = [];
  let count = 0;
  for (const line of lines) {
    const limit = header ? LIMITS.itemBytes : LIMITS.body;
    if (Buffer.byteLength(line) > limit) return false;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return false;
    }
    if (!header) {
      const parsed = RunSpecHeaderSchema.safeParse(value);
      if (!parsed.success) return false;
      if (parsed.data.scorers.some((s) => !builtin.has(s.name))) return false;
      if (!targetValid(parsed.data)) return false;
      header = parsed.data;
      continue;
    }
    const item = ItemSchema.safeParse(value);
    if (!item.success) return false;
    if (count >= LIMITS.items) return false;
    const id = item.data.id ?? String(count);
    if (ids.has(id)) return false;
    ids.add(id);
    if (storedItemBytes(item.data as Record<string, unknown>, count) > LIMITS.itemBytes) {
      return false;
    }
    items.push(item.data);
    count++;
  }
  return header !== null && count > 0 && expectedOutputsFit(header.scorers, items);
}

// ------------------------------------------------------------------ generators

/** One of `known` or a value of `other` (half and half): known values reach the deep checks. */
const knownOr = <T>(known: readonly T[], other: fc.Arbitrary<T>) =>
  fc.oneof(fc.constantFrom(...known), other);

const name = knownOr(['echo', 'fuzz-a', 'fuzz.b_1'], fc.string({ maxLength: 8 }));
const json = fc.jsonValue({ maxDepth: 2 });
const item = fc.record(
  {
    id: knownOr(['a', 'b', '0', '1'], fc.string({ maxLength: 4 })),
    input: json,
    expectedOutput: json,
    metadata: fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 2 }),
  },
  { requiredKeys: ['input'] },
);
const scorer = fc.oneof(
  fc.record({ name: fc.constantFrom(...BUILTIN_SCORERS) }),
  fc.record({
    name: fc.constantFrom('exact_match', 'regex', 'numeric_close', 'contains'),
    config: fc.oneof(
      fc.constant({ caseSensitive: false, trim: true }),
      fc.constant({ pattern: '^a+$' }),
      fc.constant({ pattern: '(' }),
      fc.constant({ tolerance: 0.1 }),
      fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 2 }),
    ),
  }),
  fc.record({ name }),
);
const header = fc.record(
  {
    name: fc.string({ maxLength: 10 }),
    target: fc.record(
      { name, config: fc.dictionary(fc.string({ maxLength: 5 }), json, { maxKeys: 2 }) },
      { requiredKeys: ['name'] },
    ),
    dataset: fc.record(
      { id: fc.string({ maxLength: 6 }), version: fc.string({ maxLength: 6 }) },
      { requiredKeys: [] },
    ),
    scorers: fc.array(scorer, { maxLength: 3 }),
    execution: fc.record(
      {
        maxAttempts: fc.integer({ min: -1, max: 25 }),
        timeoutMs: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.double()),
        backoff: fc.record(
          {
            type: fc.constantFrom('fixed', 'exponential', 'linear'),
            delayMs: fc.integer({ min: -5, max: 1000 }),
          },
          { requiredKeys: [] },
        ),
        concurrency: fc.integer({ min: 0, max: 20 }),
      },
      { requiredKeys: [] },
    ),
    retention: fc.record({ ttlSeconds: fc.integer({ min: 0, max: 100_000 }) }),
    tags: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
    metadata: fc.dictionary(fc.string({ maxLength: 5 }), json, { maxKeys: 2 }),
  },
  { requiredKeys: ['target'] },
);
const spec = header.chain((h) =>
  fc.array(item, { minLength: 0, maxLength: LIMITS.items + 2 }).map((items) => ({
    ...h,
    dataset: { ...(h.dataset ?? {}), items },
  })),
);

/** Specs that are mostly valid (fields in range), the base of mutations. */
const smallJson = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const validishSpec = fc
  .record(
    {
      name: fc.string({ minLength: 1, maxLength: 10 }),
      target: fc.record(
        { name: fc.constantFrom('echo', 'fuzz-a'), config: fc.constant({ delayMs: 1 }) },
        { requiredKeys: ['name'] },
      ),
      scorers: fc.array(
        fc.oneof(
          fc.record({ name: fc.constantFrom(...BUILTIN_SCORERS) }),
          fc.constant({ name: 'exact_match', config: { trim: true } }),
          fc.constant({ name: 'regex', config: { pattern: '^a' } }),
        ),
        { maxLength: 2 },
      ),
      execution: fc.record(
        {
          maxAttempts: fc.integer({ min: 1, max: 20 }),
          timeoutMs: fc.integer({ min: 1, max: 60_000 }),
        },
        { requiredKeys: [] },
      ),
      tags: fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 3 }),
      metadata: fc.dictionary(fc.string({ maxLength: 5 }), smallJson, { maxKeys: 2 }),
    },
    { requiredKeys: ['target'] },
  )
  .chain((h) =>
    fc
      .uniqueArray(
        fc.record(
          {
            id: fc.string({ minLength: 1, maxLength: 4 }),
            input: smallJson,
            expectedOutput: smallJson,
          },
          { requiredKeys: ['input'] },
        ),
        { minLength: 1, maxLength: LIMITS.items, selector: (i) => i.id ?? Math.random() },
      )
      .map((items) => ({ ...h, dataset: { id: 'fuzz', items } })),
  );

/** One mutation: at the `pick`-th path of the value, set a value, delete the field, or wrap it. */
const mutation = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('set', 'delete', 'wrap', 'stringify'),
  value: fc.oneof(json, fc.constant(undefined), fc.string({ maxLength: 600 })),
});

function paths(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(at);
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      paths(v, [...at, Array.isArray(value) ? Number(k) : k], out);
    }
  }
  return out;
}

function mutate(value: unknown, mutations: { pick: number; op: string; value: unknown }[]) {
  let root: unknown = structuredClone(value);
  for (const m of mutations) {
    const all = paths(root);
    const path = all[m.pick % all.length]!;
    if (path.length === 0) {
      root = m.op === 'wrap' ? [root] : m.value;
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (m.op === 'wrap') parent[last] = { v: parent[last] };
    else if (m.op === 'stringify') parent[last] = JSON.stringify(parent[last] ?? null);
    else parent[last] = m.value;
  }
  return root;
}

const mutatedSpec = fc
  .tuple(fc.oneof(spec, validishSpec), fc.array(mutation, { maxLength: 3 }))
  .map(([s, ms]) => mutate(s, ms));

/** An NDJSON body from a spec, with its lines mutated at the text level. */
const ndjsonBody = fc
  .tuple(
    fc.oneof(spec, validishSpec, validishSpec),
    fc.array(
      fc.record({
        at: fc.nat(),
        op: fc.constantFrom('insert', 'delete', 'duplicate', 'truncate', 'blank', 'crlf', 'swap'),
        text: fc.oneof(
          fc.string({ maxLength: 40 }),
          json.map((v) => JSON.stringify(v)),
        ),
      }),
      { maxLength: 3 },
    ),
    fc.boolean(),
  )
  .map(([s, ops, trailingNewline]) => {
    const { dataset, ...rest } = s as { dataset: { items: unknown[] } } & Record<string, unknown>;
    const { items, ...datasetRest } = dataset;
    let lines = [
      JSON.stringify({ ...rest, dataset: datasetRest }),
      ...items.map((i) => JSON.stringify(i)),
    ];
    for (const op of ops) {
      const i = op.at % (lines.length + 1);
      if (op.op === 'insert') lines.splice(i, 0, op.text);
      else if (op.op === 'delete') lines.splice(i, 1);
      else if (op.op === 'duplicate' && lines[i] !== undefined) lines.splice(i, 0, lines[i]!);
      else if (op.op === 'truncate' && lines[i] !== undefined)
        lines[i] = lines[i]!.slice(0, op.at % (lines[i]!.length + 1));
      else if (op.op === 'blank') lines.splice(i, 0, op.at % 2 === 0 ? '' : '   ');
      else if (op.op === 'crlf') lines = lines.map((l) => `${l}\r`);
      else if (op.op === 'swap' && lines.length > 1)
        lines = [lines[1]!, lines[0]!, ...lines.slice(2)];
    }
    return lines.join('\n') + (trailingNewline ? '\n' : '');
  });

// ------------------------------------------------------------------ requests

async function post(body: string, contentType: string): Promise<Response> {
  return app.request('/v1/runs', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
}

/** Records a 201's run id; checks the status is never a 5xx. */
async function outcome(res: Response): Promise<number> {
  expect(res.status).toBeLessThan(500);
  const text = await res.text();
  if (res.status === 201) createdIds.add((JSON.parse(text) as { id: string }).id);
  return res.status;
}

/** No run exists but those answered 201: the index and every per-run key agree. */
async function expectOnlyCreatedRuns(): Promise<void> {
  const indexed = await redis.zrange(store.keys.runsIndex, '0', '-1');
  expect(new Set(indexed)).toEqual(createdIds);
  const withKeys = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:{*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) withKeys.add(key.slice(prefix.length + 2, key.indexOf('}')));
  } while (cursor !== '0');
  expect(withKeys).toEqual(createdIds);
}

const params = (seed: number, numRuns: number) => ({ seed, numRuns, endOnFailure: true });

describe('API fuzzing', () => {
  it('JSON run specs: 201 exactly for valid specs, never a 5xx', async () => {
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 1, arbitrary: spec },
          { weight: 1, arbitrary: validishSpec },
          { weight: 3, arbitrary: mutatedSpec },
        ),
        async (value) => {
          const body = JSON.stringify(value) ?? 'null';
          const expected = jsonValid(body);
          const status = await outcome(await post(body, 'application/json'));
          if (expected) valid++;
          expect(status === 201, `status ${status} for ${body.slice(0, 300)}`).toBe(expected);
        },
      ),
      params(20_241_101, 1500),
    );
    // the generators reach both sides: a few hundred valid specs, the rest invalid
    expect(valid).toBeGreaterThan(200);
    expect(valid).toBeLessThan(1300);
    await expectOnlyCreatedRuns();
  });

  it('NDJSON streams: 201 exactly for valid streams, never a 5xx', async () => {
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(ndjsonBody, async (body) => {
        const expected = ndjsonValid(body);
        if (expected) valid++;
        const status = await outcome(await post(body, 'application/x-ndjson'));
        expect(status === 201, `status ${status} for ${JSON.stringify(body.slice(0, 300))}`).toBe(
          expected,
        );
      }),
      params(20_241_102, 800),
    );
    expect(valid).toBeGreaterThan(100);
    expect(valid).toBeLessThan(700);
    await expectOnlyCreatedRuns();
  });

  it('arbitrary bodies and content types: never a 5xx, never a run from invalid input', async () => {
    const contentType = knownOr(
      ['application/json', 'application/x-ndjson', 'text/plain', 'application/vnd.x+json', ''],
      fc.string({ maxLength: 20 }),
    );
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      json.map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 5000, minLength: 4000 }),
    );
    await fc.assert(
      fc.asyncProperty(body, contentType, async (b, type) => {
        const before = createdIds.size;
        const status = await outcome(await post(b, type));
        if (status === 201) {
          const kind = type.split(';')[0]!.trim().toLowerCase();
          expect(kind === 'application/x-ndjson' ? ndjsonValid(b) : jsonValid(b)).toBe(true);
        } else expect(createdIds.size).toBe(before);
      }),
      params(20_241_103, 500),
    );
    await expectOnlyCreatedRuns();
  });

  it('query strings of the list and results routes: 200 or 400, never a 5xx', async () => {
    const key = knownOr(
      ['status', 'target', 'datasetId', 'tag', 'since', 'until', 'limit', 'cursor', 'lastEventId'],
      fc.string({ maxLength: 6 }),
    );
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom(
        'queued',
        'failed',
        '0',
        '-1',
        '501',
        '1e3',
        '2024-01-01',
        'MTIzLmFi',
        '%',
        '%zz',
      ),
      fc.integer().map(String),
    );
    const runId = [...createdIds][0] ?? '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(key, value), { maxLength: 4 }),
        fc.boolean(),
        async (pairs, raw) => {
          const query = raw
            ? pairs.map(([k, v]) => `${k}=${v}`).join('&')
            : new URLSearchParams(pairs).toString();
          const list = await app.request(`/v1/runs?${query}`);
          expect([200, 400]).toContain(await outcome(list));
          const results = await app.request(`/v1/runs/${runId}/results?${query}`);
          expect([200, 400, 404]).toContain(await outcome(results));
        },
      ),
      params(20_241_104, 300),
    );
  });

  it('run ids on every run route: 404 (or 400), never a 5xx, nothing changed', async () => {
    const id = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      fc.constantFrom('..', '.', '%2e%2e', 'a/b', '%', ' ', '\u0000'),
    );
    const before = await redis.zcard(store.keys.runsIndex);
    await fc.assert(
      fc.asyncProperty(id, fc.boolean(), async (raw, encode) => {
        fc.pre(!createdIds.has(raw));
        const segment = encode ? encodeURIComponent(raw) : raw.replace(/[/?#]/g, '_');
        for (const [method, path] of RUN_ROUTES) {
          let res: Response;
          try {
            res = await app.request(path(segment), { method });
          } catch (err) {
            // only a URL the request constructor itself refuses may throw, never the app
            expect(encode).toBe(false);
            expect(err).toBeInstanceOf(TypeError);
            continue;
          }
          const status = await outcome(res);
          // a GET of an empty id is the list route (200); nothing else may succeed
          expect(method === 'GET' ? [200, 400, 404] : [400, 404]).toContain(status);
          if (status === 200) expect(path(segment)).toMatch(/^\/v1\/runs\/?\s*$/);
        }
      }),
      params(20_241_105, 400),
    );
    expect(await redis.zcard(store.keys.runsIndex)).toBe(before);
    await expectOnlyCreatedRuns();
  });
});
