/**
 * The latency histogram of a run (uPlot bars over `GET /v1/runs/:id/latency`), with the run's
 * p50 / p90 / p99 marked. Log-spaced buckets get a log axis. Refreshes while the run is live.
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import uPlot from 'uplot';
import { getLatencyHistogram, type Run } from '../api';
import { fmtMs, fmtMsTicks } from '../format';
import { type ChartSpec, cssVar, fromZero, themedAxes, UPlotChart } from './uplot-chart';

/** The chart; renders nothing until an item has run. */
export function LatencyChart({ run }: { run: Run }) {
  const live = run.status === 'queued' || run.status === 'running';
  const query = useQuery({
    queryKey: ['latency', run.id],
    queryFn: () => getLatencyHistogram(run.id),
    refetchInterval: live ? 3000 : false,
  });
  const { p50, p90, p99 } = run.latencyMs;

  const chart = useMemo((): ChartSpec | null => {
    const h = query.data;
    if (!h || h.buckets.length === 0) return null;
    const log = h.scale === 'log';
    const xs = h.buckets.map((b) =>
      log ? Math.sqrt(Math.max(b.fromMs, 0.5) * Math.max(b.toMs, 0.5)) : (b.fromMs + b.toMs) / 2,
    );
    const ys = h.buckets.map((b) => b.count);
    const text = cssVar('--muted');
    const accent = cssVar('--accent');
    const marks: [string, number | null][] = [
      ['p50', p50],
      ['p90', p90],
      ['p99', p99],
    ];
    const bars = uPlot.paths.bars?.({ size: [0.92, 80], align: 0 });
    return {
      options: {
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: {
            time: false,
            distr: log ? 3 : 1,
            range: (_u, min, max) => [
              log ? Math.max(0.5, h.buckets[0]?.fromMs ?? min) : (h.buckets[0]?.fromMs ?? min),
              h.buckets.at(-1)?.toMs ?? max,
            ],
          },
          y: { range: fromZero },
        },
        axes: themedAxes({
          // log axes pass null for the ticks they leave unlabelled
          values: (_u, splits) => fmtMsTicks(splits),
        }),
        series: [
          {},
          {
            label: 'items',
            stroke: accent,
            fill: `${accent}55`,
            width: 1,
            ...(bars ? { paths: bars } : {}),
            points: { show: false },
          },
        ],
        hooks: {
          draw: [
            (u) => {
              const ctx = u.ctx;
              ctx.save();
              ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
              ctx.fillStyle = text;
              // uPlot leaves the context as its last axis drew it (right-aligned): a caption
              // meant to start at x ended there, off the left edge for a p50 in the first bucket
              ctx.textAlign = 'left';
              ctx.strokeStyle = cssVar('--bad');
              ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
              marks.forEach(([label, value], i) => {
                if (value === null) return;
                // inside the plot: a percentile reported within 1% of its bucket may sit just
                // outside the axis range (a p50 in the first bucket was drawn off the left edge)
                const left = u.bbox.left;
                const right = u.bbox.left + u.bbox.width;
                const at = u.valToPos(Math.max(value, log ? 0.5 : value), 'x', true);
                const x = Math.min(Math.max(at, left), right);
                ctx.beginPath();
                ctx.moveTo(x, u.bbox.top);
                ctx.lineTo(x, u.bbox.top + u.bbox.height);
                ctx.stroke();
                const caption = `${label} ${fmtMs(value)}`;
                const pad = 4 * devicePixelRatio;
                // right of the line, or left of it when it would run past the plot's right edge
                const width = ctx.measureText(caption).width;
                ctx.fillText(
                  caption,
                  x + pad + width > right ? x - pad - width : x + pad,
                  u.bbox.top + (12 + i * 13) * devicePixelRatio,
                );
              });
              ctx.restore();
            },
          ],
        },
      },
      data: [xs, ys],
    };
  }, [query.data, p50, p90, p99]);

  if (!query.data || query.data.count === 0) return null;
  return (
    <UPlotChart
      title="Latency"
      note={`(${query.data.count} items, ${query.data.scale} buckets)`}
      testId="latency-chart"
      height={200}
      chart={chart}
    />
  );
}
