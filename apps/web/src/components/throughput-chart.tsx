/**
 * Throughput per target (uPlot lines over `GET /v1/queues`' per-minute buckets): items/s of each
 * minute (items / 60), the current, partial minute divided by the seconds it has run so far.
 */
import { useMemo } from 'react';
import type { QueueStats } from '../api';
import { type ChartSpec, cssVar, fromZero, themedAxes, UPlotChart } from './uplot-chart';

/** Series colours, in target order (the first is the theme's accent). */
const PALETTE = ['#e07b39', '#3fa34d', '#9b59b6', '#c0392b', '#16a085', '#7f8c8d'];

/**
 * Items/s per minute bucket of `queue`, oldest first. `at`: when the figures were read (epoch
 * ms); `bucketMs`: bucket width (ms). The last bucket is divided by its elapsed seconds.
 */
export function itemsPerSecond(queue: QueueStats, at: number, bucketMs: number): number[] {
  const buckets = queue.throughput.buckets;
  return buckets.map((b, i) => {
    const start = Date.parse(b.start);
    const seconds = i === buckets.length - 1 ? Math.max(1, (at - start) / 1000) : bucketMs / 1000;
    return Math.round((b.items / Math.min(seconds, bucketMs / 1000)) * 100) / 100;
  });
}

/** The chart: one line per target, minutes on x, items/s on y. */
export function ThroughputChart(props: { queues: QueueStats[]; at: string; bucketMs: number }) {
  const { queues, at, bucketMs } = props;
  const chart = useMemo((): ChartSpec | null => {
    const first = queues[0];
    if (!first) return null;
    const now = Date.parse(at);
    const xs = first.throughput.buckets.map((b) => Date.parse(b.start) / 1000);
    const ys = queues.map((q) => itemsPerSecond(q, now, bucketMs));
    const text = cssVar('--muted');
    const colours = [cssVar('--accent'), ...PALETTE];
    return {
      options: {
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { y: { range: fromZero } },
        axes: themedAxes({}, { label: 'items/s' }),
        series: [
          {},
          ...queues.map((q, i) => ({
            label: q.target,
            stroke: colours[i % colours.length] ?? text,
            width: 2,
            points: { show: true, size: 4 },
          })),
        ],
      },
      data: [xs, ...ys],
    };
  }, [queues, at, bucketMs]);

  return (
    <UPlotChart
      title="Throughput"
      note={`(items/s per minute, last ${queues[0]?.throughput.buckets.length ?? 0} minutes)`}
      testId="throughput-chart"
      height={220}
      chart={chart}
      // a refetch with the same targets only replaces the data
      shape={queues.map((q) => q.target).join('\n')}
    />
  );
}
