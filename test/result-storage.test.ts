/**
 * The compact storage of results (issue 11): the result codec (packages/shared/src/store/
 * result-codec.ts), the status bitmaps (read by `readStatusBits`), and the latency histogram
 * (lua/includes/latency-hist.lua, histogram.ts): the Lua and TypeScript bucket functions agree,
 * percentiles of `GET /v1/runs/:id` are within 1% of the exact nearest-rank ones, min, max and
 * mean exact.
 */
import {
  decodeStoredResult,
  encodeStoredResult,
  LATENCY_BUCKET_RATIO,
  LATENCY_BUCKET_UNIT_MS,
  latencyBucket,
  latencyBucketValue,
  readStatusBits,
  type StoredResult,
} from '@runledger/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestStore } from './helpers/context.js';
import { commitTestRun } from './helpers/submit.js';

const { store, redis } = useTestStore('result-storage');

/** JSON values as JSON.parse gives them back (no -0, no undefined). */
const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

/** Dictionary keys (vitest's strict equality reads an own `constructor` as the type). */
const key = fc.string({ minLength: 1 }).filter((k) => k !== 'constructor' && k !== '__proto__');

const storedResult: fc.Arbitrary<StoredResult> = fc
  .record(
    {
      status: fc.constantFrom('succeeded', 'failed', 'cancelled'),
      attempts: fc.nat(10),
      output: json,
      error: fc.record({ message: fc.string(), type: fc.string() }),
      latencyMs: fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }),
      queueMs: fc.nat(),
      startedAt: fc.nat(1e12),
      completedAt: fc.integer({ min: 1e12, max: 2e12 }),
      usage: fc.record({ inputTokens: fc.nat(), outputTokens: fc.nat() }),
      costUsd: fc.double({ min: 0, max: 10, noNaN: true }),
      scores: fc.dictionary(
        key,
        fc.record({ score: fc.double({ min: 0, max: 1, noNaN: true }), passed: fc.boolean() }),
      ),
      workerId: fc.string(),
      masked: fc.dictionary(key, fc.nat()),
    },
    { requiredKeys: ['status', 'attempts'] },
  )
  .map((r) => {
    // startedAt only with completedAt (the compact form keeps it as their difference)
    if (r.startedAt !== undefined && r.completedAt === undefined) delete r.startedAt;
    // -0 is not JSON
    return JSON.parse(JSON.stringify(r)) as StoredResult;
  });

describe('result codec', () => {
  it('decodes what it encodes (output null stays absent), and reads the full JSON form', () => {
    fc.assert(
      fc.property(storedResult, (r) => {
        const expected = { ...r };
        if (expected.output === null) delete expected.output;
        const encoded = encodeStoredResult(r);
        expect(decodeStoredResult(encoded)).toStrictEqual(expected);
        expect(decodeStoredResult(JSON.stringify(r))).toStrictEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('stores an echo result in about half the bytes of its JSON', () => {
    const r: StoredResult = {
      status: 'succeeded',
      output: { n: 1234 },
      attempts: 1,
      latencyMs: 0.11,
      startedAt: 1796139434620,
      completedAt: 1796139434620,
      queueMs: 254,
      scores: { exact_match: { score: 1, passed: true } },
      workerId: 'vm-18690-b1e5e4',
    };
    const encoded = encodeStoredResult(r);
    expect(encoded).toBe(
      '[0,1,1796139434620,0,0.11,254,{"n":1234},null,{"exact_match":[1,1]},"vm-18690-b1e5e4"]',
    );
    expect(encoded.length).toBe(86);
    expect(JSON.stringify(r).length).toBe(220);
    expect(decodeStoredResult(encoded)).toStrictEqual(r);
  });
});

describe('status bitmaps', () => {
  it('reads set bits in order from any index, across read blocks, up to a limit', async () => {
    const key = `${store.keys.prefix}:bits-test`;
    const set = [0, 5, 7, 8, 4095 * 8 + 7, 32_768, 40_000, 70_001, 200_000];
    for (const i of set) await redis.setbit(key, i, 1);
    expect(await readStatusBits(redis, key, 0, 100)).toEqual(set);
    expect(await readStatusBits(redis, key, 6, 3)).toEqual([7, 8, 4095 * 8 + 7]);
    expect(await readStatusBits(redis, key, 32_769, 100)).toEqual([40_000, 70_001, 200_000]);
    expect(await readStatusBits(redis, key, 200_001, 100)).toEqual([]);
    expect(await readStatusBits(redis, `${key}:none`, 0, 100)).toEqual([]);
  });

  it('lists results by status in item order through the store', async () => {
    const runId = await commitTestRun(store, 12);
    const status = (i: number) =>
      i % 3 === 0 ? 'failed' : i % 4 === 0 ? 'cancelled' : 'succeeded';
    await store.execution.recordResults(
      runId,
      Array.from({ length: 12 }, (_, i) => ({
        index: i,
        result: { status: status(i), attempts: 1 } as StoredResult,
      })),
    );
    for (const s of ['succeeded', 'failed', 'cancelled'] as const) {
      const want = Array.from({ length: 12 }, (_, i) => i).filter((i) => status(i) === s);
      expect(await store.results.listResultIndexes(runId, s)).toEqual(want);
      const page = await store.results.listResults(runId, { status: s, limit: 2 });
      expect(page.results.map((r) => r.itemIndex)).toEqual(want.slice(0, 2));
      expect(page.nextCursor).toBe(want.length > 2 ? String(want[2]) : null);
    }
  });
});

/** A committed run whose item i succeeded in `latencies[i]` ms (one attempt each); its id. */
async function runWithLatencies(latencies: number[]): Promise<string> {
  const runId = await commitTestRun(store, latencies.length);
  await store.execution.recordResults(
    runId,
    latencies.map((l, i) => ({
      index: i,
      result: { status: 'succeeded', attempts: 1, latencyMs: l },
    })),
  );
  return runId;
}

describe('latency histogram', () => {
  it('Lua buckets equal the TypeScript ones (same unit and ratio)', async () => {
    expect([LATENCY_BUCKET_UNIT_MS, LATENCY_BUCKET_RATIO]).toEqual([0.001, 1.01]);
    const latencies = [0, 0.0005, 0.001, 0.01, 0.04, 0.11, 1, 5, 30, 108, 999.99, 12_345.67];
    const runId = await runWithLatencies(latencies);
    const stored = await redis.hgetall(store.keys.run(runId).latency);
    const want: Record<string, string> = {};
    for (const l of latencies) {
      const b = String(latencyBucket(l));
      want[b] = String(Number(want[b] ?? 0) + 1);
    }
    expect(stored).toEqual(want);
  });

  it('a bucket reports a value within 1% of every latency it holds', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 3.6e6, noNaN: true }), (l) => {
        const v = latencyBucketValue(latencyBucket(l));
        expect(Math.abs(v - l) / l).toBeLessThanOrEqual(0.01);
      }),
      { numRuns: 2000 },
    );
    // round values come back as they are
    for (const l of [1, 5, 30, 50, 100, 250]) expect(latencyBucketValue(latencyBucket(l))).toBe(l);
  });

  it('GET /v1/runs/:id percentiles: within 1% of the exact nearest rank; min, max, mean exact', async () => {
    const nearestRank = (sorted: number[], p: number) =>
      sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.integer({ min: 1, max: 10_000_000 }).map((n) => n / 100),
          {
            minLength: 1,
            maxLength: 300,
          },
        ),
        async (latencies) => {
          const runId = await runWithLatencies(latencies);
          const run = (await store.runs.getRun(runId))!;
          const sorted = [...latencies].sort((a, b) => a - b);
          for (const p of [50, 90, 99] as const) {
            const exact = nearestRank(sorted, p);
            expect(Math.abs(run.latencyMs[`p${p}`]! - exact)).toBeLessThanOrEqual(exact * 0.01);
          }
          expect(run.latencyMs.max).toBe(sorted.at(-1));
          const mean = latencies.reduce((s, l) => s + l, 0) / latencies.length;
          expect(run.latencyMs.mean).toBeCloseTo(mean, 6);
          const histogram = (await store.results.latencyHistogram(runId, 10))!;
          expect(histogram.count).toBe(latencies.length);
          expect([histogram.minMs, histogram.maxMs]).toEqual([sorted[0], sorted.at(-1)]);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('runs stored before the compact form', () => {
  it('read without errors: full-JSON results decode, the old zsets are left alone', async () => {
    const runId = await commitTestRun(store, 2);
    const base = `${store.keys.prefix}:{${runId}}`;
    // what record-results-9 wrote before: zsets at the old names, full JSON values
    const old: StoredResult = { status: 'succeeded', attempts: 1, output: 'a', latencyMs: 5 };
    await redis.zadd(`${base}:latency`, 5, '0');
    await redis.zadd(`${base}:succeeded`, 0, '0');
    await redis.hset(store.keys.run(runId).results, '0', JSON.stringify(old));
    const run = (await store.runs.getRun(runId))!;
    expect(run.latencyMs).toEqual({ p50: null, p90: null, p99: null, mean: null, max: null });
    const page = await store.results.listResults(runId);
    expect(page.results.map((r) => [r.itemIndex, r.status, r.output, r.latencyMs])).toEqual([
      [0, 'succeeded', 'a', 5],
    ]);
    // a result recorded now lands in the new structures
    const outcome = await store.execution.recordResults(runId, [
      { index: 1, result: { status: 'succeeded', attempts: 1, latencyMs: 7 } },
    ]);
    expect(outcome).toMatchObject({ state: 'ok', recorded: 1 });
    expect(await store.results.listResultIndexes(runId, 'succeeded')).toEqual([1]);
    expect((await store.runs.getRun(runId))!.latencyMs.max).toBe(7);
  });
});
