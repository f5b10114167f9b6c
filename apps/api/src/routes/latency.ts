/**
 * `GET /v1/runs/:id/latency`: the histogram of a run's item latencies (the dashboard's latency
 * chart), from the run's latency histogram (1% log buckets), so a 100,000-item run answers without reading results.
 * Mounted at `/v1/runs` next to the runs router.
 */
import { z } from '@hono/zod-openapi';
import { LatencyHistogramSchema } from '@runledger/shared';
import { type AppDeps, checkOwnRun, createRouter } from '../context.js';
import { runNotFound } from '../problem.js';
import { ok, onRun } from './openapi.js';

const LatencyQuery = z.strictObject({
  buckets: z.coerce.number().int().min(1).max(200).default(40).openapi({
    description: 'How many buckets (log-spaced when max / min >= 20)',
  }),
});

/** The router holding `/{id}/latency`, mounted at `/v1/runs`. */
export function createLatencyRoutes(deps: AppDeps) {
  const { store } = deps;
  const latencyRoute = onRun('get', '/{id}/latency', {
    operationId: 'getRunLatencyHistogram',
    summary: "Histogram of a run's item latencies",
    description:
      'Counts of items per latency bucket `[fromMs, toMs)` (the last bucket includes its end), ' +
      'over the items that ran; equal widths, or equal ratios when max / min >= 20. ' +
      'Percentiles are on the run (`latencyMs`).',
    request: { query: LatencyQuery },
    responses: ok('The histogram', LatencyHistogramSchema, 400),
  });

  return createRouter().openapi(latencyRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { buckets } = c.req.valid('query');
    await checkOwnRun(store, c, id);
    const histogram = await store.results.latencyHistogram(id, buckets);
    if (!histogram) throw runNotFound(id);
    return c.json(histogram, 200);
  });
}
