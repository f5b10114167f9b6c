/**
 * @runledger/client's search, sort and aggregates against a real API (over HTTP) + worker +
 * Redis: `runs.aggregate(...)` with filters, `runs.list({ q })`, `runs.resultsPage(id, { q, sort })`
 * following opaque sort cursors, `scorer` + `passed` (a boolean) in `resultsPage` and `results`,
 * and a bad sort or a lone `passed` as a RunledgerApiError with its field path.
 */
import { createClient, type Item, RunledgerApiError } from '@runledger/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientApi, startClientApi } from './helpers/client-api.js';

let api: ClientApi;

beforeAll(async () => {
  api = await startClientApi('client-search');
});
afterAll(() => api.close());

/** `echo` answers its input: items whose input equals expectedOutput pass exact_match. */
const items = (answers: string[], expected: string[]): Item[] =>
  answers.map((input, i) => ({ id: `c${i}`, input, expectedOutput: expected[i] }));

describe('client search, sort and aggregates', () => {
  it('aggregates, lists by q and pages results sorted by score', async () => {
    const client = createClient({ baseUrl: api.url });
    const a = await client.runs.create({
      name: 'client alpha',
      target: { name: 'echo', config: {} },
      dataset: { items: items(['x', 'y', 'z', 'w'], ['x', 'y', 'no', 'no']) },
      scorers: [{ name: 'exact_match' }],
    });
    const b = await client.runs.create({
      name: 'client beta',
      target: { name: 'echo' },
      dataset: { items: items(['p'], ['p']) },
      scorers: [{ name: 'exact_match' }],
    });
    await client.runs.wait(a.id);
    await client.runs.wait(b.id);

    const all = await client.runs.aggregate();
    expect(all.totals.runs).toBe(2);
    expect(all.totals.items).toBe(5);
    expect(all.totals.scores.exact_match).toEqual({ passed: 3, totalItems: 5, passRate: 0.6 });
    expect(all.byTarget.map((g) => [g.key, g.runs])).toEqual([['echo', 2]]);
    expect(all.truncated).toBe(false);
    const alpha = await client.runs.aggregate({ q: 'ALPHA' });
    expect(alpha.totals.runs).toBe(1);
    expect(alpha.totals.scores.exact_match?.passRate).toBe(0.5);

    expect((await client.runs.list({ q: 'beta' })).runs.map((r) => r.id)).toEqual([b.id]);

    // failed exact_match first (c2, c3), then the passes, two per page
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.runs.resultsPage(a.id, {
        sort: 'score:exact_match',
        limit: 2,
        ...(cursor === undefined ? {} : { cursor }),
      });
      ids.push(...page.results.map((r) => r.itemId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(ids).toEqual(['c2', 'c3', 'c0', 'c1']);
    const found = await client.runs.resultsPage(a.id, { q: 'W' });
    expect(found.results.map((r) => r.itemId)).toEqual(['c3']);

    // scorer + passed (a boolean here): c2 and c3 did not pass exact_match, c0 and c1 did
    const notPassed = await client.runs.resultsPage(a.id, { scorer: 'exact_match', passed: false });
    expect(notPassed.results.map((r) => r.itemId)).toEqual(['c2', 'c3']);
    const passedIds: string[] = [];
    for await (const r of client.runs.results(a.id, { scorer: 'exact_match', passed: true })) {
      passedIds.push(r.itemId);
    }
    expect(passedIds).toEqual(['c0', 'c1']);
    const noScorer = await client.runs
      .resultsPage(a.id, { passed: false })
      .catch((e: unknown) => e);
    expect((noScorer as RunledgerApiError).errors.map((e) => e.path)).toEqual(['scorer']);

    const err = await client.runs.resultsPage(a.id, { sort: 'speed' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunledgerApiError);
    expect((err as RunledgerApiError).status).toBe(400);
    expect((err as RunledgerApiError).errors.map((e) => e.path)).toContain('sort');
  });
});
