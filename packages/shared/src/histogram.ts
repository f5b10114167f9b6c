/**
 * The latency histogram of a run (`GET /v1/runs/:id/latency`): bucket edges over the run's item
 * latencies (pure), and the answer's schema. The counts come from the run's stored latency
 * histogram (`RunResults.latencyHistogram`): fixed log buckets written by record-results-9
 * (lua/includes/latency-hist.lua), each stored bucket counted in the asked bucket that holds its
 * reported value.
 */
import { z } from '@hono/zod-openapi';

/**
 * Stored latency buckets (HdrHistogram-style, lua/includes/latency-hist.lua holds the same
 * numbers): bucket b >= 0 holds latencies in `[UNIT * RATIO^b, UNIT * RATIO^(b+1))` ms, bucket
 * -1 those below UNIT. A bucket reports one value inside it (`latencyBucketValue`), so within
 * `RATIO - 1` = 1% of every latency it holds.
 */
export const LATENCY_BUCKET_UNIT_MS = 0.001;
/** Ratio of a stored latency bucket's upper to lower edge (see `LATENCY_BUCKET_UNIT_MS`). */
export const LATENCY_BUCKET_RATIO = 1.01;

/** The stored bucket of a latency in ms (the Lua `latencyBucket`). */
export function latencyBucket(ms: number): number {
  if (ms < LATENCY_BUCKET_UNIT_MS) return -1;
  return Math.floor(Math.log(ms / LATENCY_BUCKET_UNIT_MS) / Math.log(LATENCY_BUCKET_RATIO));
}

/**
 * The value a stored latency bucket reports, ms (the Lua `latencyValue`): the decimal with the
 * fewest significant digits inside the bucket, nearest its geometric middle (bucket -1: 0).
 */
export function latencyBucketValue(bucket: number): number {
  if (bucket < 0) return 0;
  const lo = LATENCY_BUCKET_UNIT_MS * LATENCY_BUCKET_RATIO ** bucket;
  const hi = LATENCY_BUCKET_UNIT_MS * LATENCY_BUCKET_RATIO ** (bucket + 1);
  const mid = LATENCY_BUCKET_UNIT_MS * LATENCY_BUCKET_RATIO ** (bucket + 0.5);
  for (let digits = 1; digits <= 16; digits++) {
    const v = Number(mid.toPrecision(digits));
    if (v >= lo && v < hi) return v;
  }
  return mid;
}

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
