/**
 * `GET /v1/runs/aggregate`: totals over the runs that match the run list's filters (`q`
 * included), grouped by target and by `target.config.model`, for the dashboard's runs page. The
 * runs are read through `Runs.listRuns` (the list's own filters and pruning) and summed by
 * `aggregateRuns` (packages/shared/src/run-aggregates.ts), newest first, at most
 * `AGGREGATE_SCAN_LIMIT` index entries per request. Mounted inside the runs router before
 * `/{id}`, so `aggregate` is never taken for a run id.
 * Also home of the run list's query schema (`ListRunsQuery`), which both routes take.
 */
import { z } from '@hono/zod-openapi';
import {
  aggregateRuns,
  type Run,
  RunAggregateSchema,
  type RunFilter,
  RunStatusSchema,
} from '@runledger/shared';
import { type AppDeps, createRouter, projectOf } from '../context.js';
import { ok, v1Route } from './openapi.js';

/** At most this many runs of the index are read by one aggregate request. */
export const AGGREGATE_SCAN_LIMIT = 10_000;

/** `ms` digits, or an ISO-8601 time (date first); null when neither. */
export function parseTime(value: string): number | null {
  if (/^\d{1,16}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

const timeParam = z
  .string()
  .refine((v) => parseTime(v) !== null, 'must be an ISO-8601 time or ms since epoch')
  .optional();

/** The filters of the run list and of the aggregate (no paging). */
const RunFilterQuery = z.strictObject({
  status: RunStatusSchema.optional(),
  target: z.string().min(1).max(64).optional(),
  model: z.string().min(1).max(200).optional().openapi({
    description: "The run's `target.config.model`, exactly (the models `byModel` groups by)",
    example: 'gpt-4o-mini',
  }),
  datasetId: z.string().min(1).max(200).optional(),
  tag: z.string().min(1).max(64).optional(),
  q: z.string().min(1).max(200).optional().openapi({
    description: "Case-insensitive substring of the run's name or id",
    example: 'iris',
  }),
  since: timeParam.openapi({ description: 'createdAt >= since (ISO-8601 or ms)' }),
  until: timeParam.openapi({ description: 'createdAt <= until (ISO-8601 or ms)' }),
});

/** Query of `GET /v1/runs`: the filters, `limit` and `cursor`. */
export const ListRunsQuery = RunFilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(500).optional(),
});

/** The store filter of a validated list/aggregate query (times parsed to ms). */
export function runFilterOf(q: z.infer<typeof RunFilterQuery>): RunFilter {
  return {
    status: q.status,
    target: q.target,
    model: q.model,
    datasetId: q.datasetId,
    tag: q.tag,
    q: q.q,
    since: q.since === undefined ? undefined : (parseTime(q.since) ?? undefined),
    until: q.until === undefined ? undefined : (parseTime(q.until) ?? undefined),
  };
}

/** The router holding `/aggregate`, mounted inside the runs router before `/{id}`. */
export function createAggregateRoutes(deps: AppDeps) {
  const { store } = deps;
  const aggregateRoute = v1Route('runs', 'get', '/aggregate', {
    operationId: 'aggregateRuns',
    summary: 'Totals over the runs that match the filters, by target and by model',
    description:
      'Same filters as `GET /v1/runs`. `totals`: runs, items, succeeded / failed / cancelled ' +
      'items, tokens in / out, cost (USD), average duration (ms) of finished runs, pass rate ' +
      'per scorer items-weighted (`sum passed / sum totalItems` over the runs using it); ' +
      '`byTarget` and `byModel` (`target.config.model`, where it is a string): the same per ' +
      `group. Reads at most ${AGGREGATE_SCAN_LIMIT.toLocaleString('en')} runs of the index, newest first; ` +
      '`truncated: true` when it stopped there.',
    request: { query: RunFilterQuery },
    responses: ok('The totals and groups', RunAggregateSchema, 400),
  });

  return createRouter().openapi(aggregateRoute, async (c) => {
    const filter = { ...runFilterOf(c.req.valid('query')), project: projectOf(c) };
    const runs: Run[] = [];
    let scanned = 0;
    let cursor: string | undefined;
    do {
      const page = await store.runs.listRuns({ ...filter, limit: 500, cursor });
      runs.push(...page.runs);
      scanned += page.scanned;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && scanned < AGGREGATE_SCAN_LIMIT);
    return c.json(aggregateRuns(runs, { scanned, truncated: cursor !== undefined }), 200);
  });
}
