/**
 * The latency histogram of a run (`GET /v1/runs/:id/latency`): bucket edges over the run's item
 * latencies (pure), and the answer's schema. The counts come from the run's latency index
 * (`RunResults.latencyHistogram`: one ZCOUNT per bucket, never the whole index).
 */
import { z } from '@hono/zod-openapi';

/** Ratio max / min above which buckets are spaced logarithmically. */
export const LOG_SCALE_RATIO = 20;

/**
 * Bucket edges over `[minMs, maxMs]`: `buckets + 1` ascending edges, equal widths, or equal
 * ratios when `maxMs / minMs >= LOG_SCALE_RATIO` (latencies are long-tailed). One bucket when
 * all latencies are equal.
 * @param buckets 1..200.
 */
export function histogramEdges(
  minMs: number,
  maxMs: number,
  buckets: number,
): { scale: 'linear' | 'log'; edges: number[] } {
  if (!(maxMs > minMs)) return { scale: 'linear', edges: [minMs, maxMs] };
  const n = Math.max(1, Math.min(200, Math.floor(buckets)));
  const lo = Math.max(minMs, 1);
  if (maxMs / lo >= LOG_SCALE_RATIO) {
    const edges = Array.from({ length: n + 1 }, (_, i) => lo * (maxMs / lo) ** (i / n));
    edges[0] = minMs;
    edges[n] = maxMs;
    return { scale: 'log', edges };
  }
  const width = (maxMs - minMs) / n;
  const edges = Array.from({ length: n + 1 }, (_, i) => minMs + i * width);
  edges[n] = maxMs;
  return { scale: 'linear', edges };
}

export const LatencyHistogramSchema = z
  .object({
    runId: z.string(),
    /** Items with a latency (items that ran). */
    count: z.number().int(),
    minMs: z.number().nullable(),
    maxMs: z.number().nullable(),
    scale: z.enum(['linear', 'log']),
    /** Buckets `[fromMs, toMs)` (the last one includes `toMs`), ascending. */
    buckets: z.array(z.object({ fromMs: z.number(), toMs: z.number(), count: z.number().int() })),
  })
  .openapi('LatencyHistogram');
/** The latency histogram of a run's items. */
export type LatencyHistogram = z.infer<typeof LatencyHistogramSchema>;
