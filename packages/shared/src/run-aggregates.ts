/**
 * Totals over a set of runs (`GET /v1/runs/aggregate`, the dashboard's runs totals): pure
 * arithmetic, no I/O. The route reads the runs through `Runs.listRuns` (same filters as the
 * run list) and hands them to `aggregateRuns`.
 *
 * Definitions (per set of runs: all of them, one target, one model):
 * - `items`: sum of `totalItems`; `succeededItems` / `failedItems` / `cancelledItems`: sums of
 *   the runs' counters (items still pending are in none of them);
 * - `inputTokens` / `outputTokens` / `costUsd` (USD): sums of the runs' usage and cost;
 *   `unpricedResults`: of their results with tokens and no price (which `costUsd` leaves out);
 * - `avgDurationMs`: mean of `completedAt - startedAt` over `finishedRuns`, the runs that have
 *   both times (null when none has);
 * - per scorer, items-weighted: `passed` = sum of the runs' `passed`, `totalItems` = sum of the
 *   `totalItems` of the runs that use the scorer, `passRate = passed / totalItems` (null when 0):
 *   `summarizeScore`'s pass rate (stats.ts) pooled over runs, so a 1,000-item run weighs 100
 *   times a 10-item one;
 * - `passRate`: the same pooled over every (run, scorer) pair: sum of passed / sum of totalItems.
 */
import { z } from '@hono/zod-openapi';
import type { Run } from './schemas.js';

export const ScorerAggregateSchema = z
  .object({
    /** Items of the runs using this scorer that passed it. */
    passed: z.number().int(),
    /** Items of the runs using this scorer (the denominator). */
    totalItems: z.number().int(),
    /** `passed / totalItems`; null when totalItems is 0. */
    passRate: z.number().nullable(),
  })
  .openapi('ScorerAggregate');
/** One scorer pooled over runs: `passRate = passed / totalItems` (items-weighted). */
export type ScorerAggregate = z.infer<typeof ScorerAggregateSchema>;

export const RunFiguresSchema = z
  .object({
    runs: z.number().int(),
    /** Sum of the runs' `totalItems`. */
    items: z.number().int(),
    succeededItems: z.number().int(),
    failedItems: z.number().int(),
    cancelledItems: z.number().int(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    /** USD. */
    costUsd: z.number(),
    /** Sum of the runs' `unpriced.results`: results with tokens and no price, left out of `costUsd`. */
    unpricedResults: z.number().int(),
    /** Runs with both `startedAt` and `completedAt`. */
    finishedRuns: z.number().int(),
    /** Mean `completedAt - startedAt` of the finished runs, ms; null when none finished. */
    avgDurationMs: z.number().nullable(),
    /** Sum of passed over sum of items, over every (run, scorer) pair; null when no run has a scorer. */
    passRate: z.number().nullable(),
    /** Per scorer name, items-weighted over the runs that use it. */
    scores: z.record(z.string(), ScorerAggregateSchema),
  })
  .openapi('RunFigures');
/** The figures of a set of runs (see the module doc for each definition). */
export type RunFigures = z.infer<typeof RunFiguresSchema>;

export const RunGroupSchema = RunFiguresSchema.extend({
  /** The target name, or the `target.config.model` value. */
  key: z.string(),
}).openapi('RunGroup');
/** The figures of the runs of one target or one model. */
export type RunGroup = z.infer<typeof RunGroupSchema>;

export const RunAggregateSchema = z
  .object({
    /** Over every run matched. */
    totals: RunFiguresSchema,
    /** Per `target.name`, most runs first (then by key). */
    byTarget: z.array(RunGroupSchema),
    /** Per `target.config.model` (runs whose target config has a string `model`), most runs first. */
    byModel: z.array(RunGroupSchema),
    /** Runs read from the index (matched or not). */
    scanned: z.number().int(),
    /** True when the scan stopped at its bound before the end of the index: figures cover the newest runs only. */
    truncated: z.boolean(),
  })
  .openapi('RunAggregate', {
    description:
      'Totals over the runs that match the filters, and the same figures per target and per model.',
  });
/** `GET /v1/runs/aggregate`'s answer. */
export type RunAggregate = z.infer<typeof RunAggregateSchema>;

/** The figures of `RunFigures` computed from sums rather than summed themselves. */
const COMPUTED_FIGURES = { avgDurationMs: true, passRate: true, scores: true } as const;

/** The figures of `RunFigures` that are plain sums over the runs (`runs`, `items`, ..., `finishedRuns`). */
type SummedFigures = Omit<RunFigures, keyof typeof COMPUTED_FIGURES>;

/** The names of the `SummedFigures`, in `RunFiguresSchema`'s (the answer's) order. */
const SUMMED_FIGURES = Object.keys(RunFiguresSchema.omit(COMPUTED_FIGURES).shape) as Array<
  keyof SummedFigures
>;

/**
 * Running sums of one set of runs: the `SummedFigures`, and the sums the computed figures come
 * from (`avgDurationMs`, `passRate`, `scores`).
 */
interface Acc extends SummedFigures {
  durationSumMs: number;
  passedAll: number;
  itemsAll: number;
  scores: Map<string, { passed: number; totalItems: number }>;
}

const newAcc = (): Acc => ({
  ...(Object.fromEntries(SUMMED_FIGURES.map((figure) => [figure, 0])) as SummedFigures),
  durationSumMs: 0,
  passedAll: 0,
  itemsAll: 0,
  scores: new Map(),
});

/** What `aggregateRuns` reads of a run (a `Run` fits). */
export type AggregatedRun = Pick<
  Run,
  | 'totalItems'
  | 'succeededCount'
  | 'failedCount'
  | 'cancelledCount'
  | 'usage'
  | 'costUsd'
  | 'unpriced'
  | 'startedAt'
  | 'completedAt'
  | 'target'
> & { scores: Readonly<Record<string, { passed: number }>> };

function add(acc: Acc, run: AggregatedRun): void {
  acc.runs++;
  acc.items += run.totalItems;
  acc.succeededItems += run.succeededCount;
  acc.failedItems += run.failedCount;
  acc.cancelledItems += run.cancelledCount;
  acc.inputTokens += run.usage.inputTokens;
  acc.outputTokens += run.usage.outputTokens;
  acc.costUsd += run.costUsd;
  acc.unpricedResults += run.unpriced.results;
  if (run.startedAt && run.completedAt) {
    const ms = Date.parse(run.completedAt) - Date.parse(run.startedAt);
    if (Number.isFinite(ms)) {
      acc.finishedRuns++;
      acc.durationSumMs += ms;
    }
  }
  for (const [name, s] of Object.entries(run.scores)) {
    const sc = acc.scores.get(name) ?? { passed: 0, totalItems: 0 };
    sc.passed += s.passed;
    sc.totalItems += run.totalItems;
    acc.scores.set(name, sc);
    acc.passedAll += s.passed;
    acc.itemsAll += run.totalItems;
  }
}

const rate = (passed: number, total: number): number | null =>
  total === 0 ? null : passed / total;

function figures(acc: Acc): RunFigures {
  const scores: Record<string, ScorerAggregate> = {};
  for (const name of [...acc.scores.keys()].sort()) {
    const s = acc.scores.get(name)!;
    scores[name] = {
      passed: s.passed,
      totalItems: s.totalItems,
      passRate: rate(s.passed, s.totalItems),
    };
  }
  const summed = Object.fromEntries(SUMMED_FIGURES.map((figure) => [figure, acc[figure]]));
  return {
    ...(summed as SummedFigures),
    // sums of float USD: rounded to 1e-9 so 0.1 + 0.2 shows as 0.3
    costUsd: Math.round(acc.costUsd * 1e9) / 1e9,
    avgDurationMs: acc.finishedRuns === 0 ? null : acc.durationSumMs / acc.finishedRuns,
    passRate: rate(acc.passedAll, acc.itemsAll),
    scores,
  };
}

function groups(map: Map<string, Acc>): RunGroup[] {
  return [...map.entries()]
    .map(([key, acc]) => ({ key, ...figures(acc) }))
    .sort((a, b) => b.runs - a.runs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** `target.config.model` when it is a non-empty string, else null. */
export function runModel(run: Pick<Run, 'target'>): string | null {
  const model = run.target.config?.model;
  return typeof model === 'string' && model !== '' ? model : null;
}

/**
 * Totals over `runs`, per target name and per model (`runModel`); see the module doc for each
 * figure. `scanned` and `truncated` are passed through (what the caller's scan saw).
 * @example aggregateRuns([run1, run2]).totals.costUsd // USD, summed
 * Never throws.
 */
export function aggregateRuns(
  runs: Iterable<AggregatedRun>,
  scan: { scanned?: number; truncated?: boolean } = {},
): RunAggregate {
  const all = newAcc();
  const byTarget = new Map<string, Acc>();
  const byModel = new Map<string, Acc>();
  let count = 0;
  for (const run of runs) {
    count++;
    add(all, run);
    const t = byTarget.get(run.target.name) ?? newAcc();
    byTarget.set(run.target.name, t);
    add(t, run);
    const model = runModel(run);
    if (model !== null) {
      const m = byModel.get(model) ?? newAcc();
      byModel.set(model, m);
      add(m, run);
    }
  }
  return {
    totals: figures(all),
    byTarget: groups(byTarget),
    byModel: groups(byModel),
    scanned: scan.scanned ?? count,
    truncated: scan.truncated ?? false,
  };
}
