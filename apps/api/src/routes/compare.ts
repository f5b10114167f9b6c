/**
 * `GET /v1/runs/:a/compare/:b`: per item (joined by item id), whether run b improved, regressed
 * or left unchanged run a's outcome for one scorer, by pass/fail and by score, and the difference
 * in pass rate `b - a` with a paired bootstrap 95% interval (./stats.ts). Mounted at `/v1/runs`
 * next to the runs router (its one extra path segment never matches a runs route).
 */
import { z } from '@hono/zod-openapi';
import {
  type Compare,
  CompareSchema,
  ConflictError,
  loadAllResults,
  pairedBootstrapDiffYielding,
  type Result,
  type Run,
  type ScoreSummary,
  summarizeResultScores,
  type TargetRef,
  targetDifferences,
  ValidationError,
} from '@runledger/shared';
import { type AppDeps, createRouter, loadOwnRun } from '../context.js';
import { ok, v1Route } from './openapi.js';

/** Bootstrap resamples of a comparison. */
export const COMPARE_RESAMPLES = 2000;

const CompareParams = z.object({
  a: z.string().openapi({ param: { name: 'a', in: 'path' }, description: 'baseline run id' }),
  b: z.string().openapi({ param: { name: 'b', in: 'path' }, description: 'candidate run id' }),
});
const CompareQuery = z.strictObject({
  scorer: z.string().min(1).max(64).optional().openapi({
    description: "the scorer to compare by; default: run a's first scorer",
  }),
  seed: z.coerce.number().int().min(0).max(4_294_967_295).default(1),
});

/**
 * What a comparison reads of a result: its item id and its scores (`keepOutcome` keeps only the
 * compared scorer's).
 */
export type ComparedResult = Pick<Result, 'itemId' | 'scores'>;

/** The outcome of one item under one scorer: passed (false when unscored) and score (0 when unscored). */
function outcome(result: ComparedResult, scorer: string): { passed: boolean; score: number } {
  const s = result.scores[scorer];
  return { passed: s?.passed ?? false, score: s?.score ?? 0 };
}

/**
 * One side of a comparison: the run's id, target (what `differences` compares) and item count,
 * and its `scores` as stored (the run's counters, so the figures equal `GET /v1/runs/:id`
 * exactly); without `scores` they are computed from the results.
 */
export interface RunSide {
  id: string;
  target: TargetRef;
  totalItems: number;
  scores?: Record<string, ScoreSummary>;
}

/**
 * Compares the results of two runs over the same dataset (pure; see `CompareSchema`). Items are
 * joined by `itemId`; items with a result in only one run are counted in `unmatched`. Each run's
 * pass rate is `summarizeScore`'s (passed / its totalItems); `diff` is `passRateB - passRateA`;
 * the bootstrap interval resamples the joined items (the same difference once both runs have a
 * result for every item); `differences` names the target fields in which the runs differ
 * (`targetDifferences`). The bootstrap hands the event loop back as it goes
 * (`pairedBootstrapDiffYielding`): a large comparison does not hold the API's other requests.
 */
export async function compareResults(
  a: RunSide & { datasetVersion: string | null },
  b: RunSide,
  resultsA: readonly ComparedResult[],
  resultsB: readonly ComparedResult[],
  scorer: string,
  options: { seed?: number; resamples?: number } = {},
): Promise<Compare> {
  const byId = new Map(resultsB.map((r) => [r.itemId, r]));
  const passA: number[] = [];
  const passB: number[] = [];
  const empty = () => ({
    improved: 0,
    regressed: 0,
    unchanged: 0,
    improvedItems: [] as string[],
    regressedItems: [] as string[],
  });
  const byPass = empty();
  const byScore = empty();
  const count = (
    counts: ReturnType<typeof empty>,
    itemId: string,
    from: number,
    to: number,
  ): void => {
    if (to > from) {
      counts.improved++;
      counts.improvedItems.push(itemId);
    } else if (to < from) {
      counts.regressed++;
      counts.regressedItems.push(itemId);
    } else counts.unchanged++;
  };
  let matched = 0;
  for (const ra of resultsA) {
    const rb = byId.get(ra.itemId);
    if (!rb) continue;
    matched++;
    const oa = outcome(ra, scorer);
    const ob = outcome(rb, scorer);
    passA.push(oa.passed ? 1 : 0);
    passB.push(ob.passed ? 1 : 0);
    count(byPass, ra.itemId, oa.passed ? 1 : 0, ob.passed ? 1 : 0);
    count(byScore, ra.itemId, oa.score, ob.score);
  }
  const resamples = options.resamples ?? COMPARE_RESAMPLES;
  const seed = options.seed ?? 1;
  const boot =
    matched === 0 ? null : await pairedBootstrapDiffYielding(passA, passB, { resamples, seed });
  const scoreA = a.scores?.[scorer] ?? summarizeResultScores(resultsA, scorer, a.totalItems);
  const scoreB = b.scores?.[scorer] ?? summarizeResultScores(resultsB, scorer, b.totalItems);
  const diff =
    scoreA.passRate === null || scoreB.passRate === null ? null : scoreB.passRate - scoreA.passRate;
  const differences = targetDifferences([a.target, b.target]);
  return {
    a: a.id,
    b: b.id,
    scorer,
    datasetVersion: a.datasetVersion,
    items: matched,
    unmatched: resultsA.length + resultsB.length - 2 * matched,
    byPass,
    byScore,
    passRateA: scoreA.passRate,
    passRateB: scoreB.passRate,
    scoreA,
    scoreB,
    diff,
    ci95: boot ? boot.ci : null,
    bootstrap: { resamples, seed },
    differences: { a: differences[0] ?? {}, b: differences[1] ?? {} },
  };
}

/**
 * The dataset identity two runs must share: their content hashes (`datasetHash`) when both have
 * one, else their `datasetVersion`s.
 */
function datasetIdentities(a: Run, b: Run): [string | null, string | null] {
  if (a.datasetHash && b.datasetHash) return [a.datasetHash, b.datasetHash];
  return [a.datasetVersion, b.datasetVersion];
}

/**
 * What a comparison keeps of each result: its item id and its `scorer` score only (full
 * `Result`s hold the item and output too: ~70 MB retained for a 100,000-item run against ~15 MB,
 * and a comparison holds two runs).
 */
const keepOutcome =
  (scorer: string) =>
  (r: Result): ComparedResult => {
    const s = r.scores[scorer];
    return { itemId: r.itemId, scores: s ? { [scorer]: s } : {} };
  };

/** The router holding `/{a}/compare/{b}`, mounted at `/v1/runs`. */
export function createCompareRoutes(deps: AppDeps) {
  const { store } = deps;

  const compareRoute = v1Route('runs', 'get', '/{a}/compare/{b}', {
    operationId: 'compareRuns',
    summary: 'Compare two runs over the same dataset version, item by item',
    description:
      'Per item (joined by item id): improved, regressed or unchanged, by pass/fail and by ' +
      'score, for one scorer; the pass rates of a and b (`passRate = passed / totalItems`, as ' +
      'on the runs, with the full `ScoreSummary` in `scoreA`/`scoreB`) and the difference b - a ' +
      'with a paired bootstrap 95% interval over the joined items (2000 resamples, `seed`). ' +
      '409 when the runs are over different dataset versions; 400 when the scorer is not on ' +
      'both runs.',
    request: { params: CompareParams, query: CompareQuery },
    responses: ok('The comparison', CompareSchema, 400, 404, 409),
  });

  return createRouter().openapi(compareRoute, async (c) => {
    const { a: idA, b: idB } = c.req.valid('param');
    const q = c.req.valid('query');
    const [a, b] = [await loadOwnRun(store, c, idA), await loadOwnRun(store, c, idB)];
    const [versionA, versionB] = datasetIdentities(a, b);
    if (versionA !== versionB) {
      throw new ConflictError(
        `runs ${a.id} and ${b.id} are over different dataset versions (${versionA} vs ${versionB}): only runs over the same dataset version can be compared item by item`,
      );
    }
    const scorer = q.scorer ?? a.scorers[0]?.name;
    const onA = a.scorers.some((s) => s.name === scorer);
    const onB = b.scorers.some((s) => s.name === scorer);
    if (scorer === undefined || !onA || !onB) {
      const message =
        scorer === undefined
          ? `run ${a.id} has no scorer to compare by`
          : `scorer "${scorer}" is not on both runs (a: ${a.scorers.map((s) => s.name).join(', ') || 'none'}; b: ${b.scorers.map((s) => s.name).join(', ') || 'none'})`;
      throw new ValidationError(message, [{ path: 'scorer', message }]);
    }
    const [resultsA, resultsB] = await Promise.all([
      loadAllResults(store.results, a.id, keepOutcome(scorer)),
      loadAllResults(store.results, b.id, keepOutcome(scorer)),
    ]);
    return c.json(await compareResults(a, b, resultsA, resultsB, scorer, { seed: q.seed }), 200);
  });
}
