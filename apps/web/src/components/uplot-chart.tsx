/**
 * The dashboard's uPlot charts (latency histogram, throughput): one frame (title, note, the
 * plot sized to its box and re-sized with it) and the theme both use (colours from the CSS
 * variables, axes, a y scale from 0).
 */
import { type ReactNode, useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** The value of CSS variable `name` on the page (e.g. `--accent`), `#888` when it has none. */
export const cssVar = (name: string): string =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

/** A y scale from 0 to 15% above the highest value (at least 1). */
export const fromZero: uPlot.Range.Function = (_u, _min, max) => [0, Math.max(1, max * 1.15)];

/**
 * The two axes in the theme's colours: x without grid lines, y (50 px wide) with them; `x` and
 * `y` add to or override each.
 */
export function themedAxes(x: uPlot.Axis = {}, y: uPlot.Axis = {}): uPlot.Axis[] {
  const text = cssVar('--muted');
  return [
    { stroke: text, grid: { show: false }, ...x },
    { stroke: text, grid: { stroke: cssVar('--border'), width: 1 }, size: 50, ...y },
  ];
}

/** A chart to draw: uPlot's options but its size, and its data. */
export interface ChartSpec {
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
}

/**
 * A chart titled `title` (`note` beside it, muted): `chart` drawn `height` px high and as wide as
 * its box (at least 300 px), destroyed on unmount; `testId` marks the plot's box. A null `chart`
 * draws nothing (the frame stays). When `chart` changes (keep it memoised) the plot is built
 * again, unless `shape` is given and unchanged: then only its data is replaced (`setData`: no
 * new canvas, no flicker on a refetch); give a `shape` that changes with everything but the data
 * (e.g. the series names).
 */
export function UPlotChart(props: {
  title: string;
  note: ReactNode;
  testId: string;
  height: number;
  chart: ChartSpec | null;
  shape?: string;
}) {
  const { chart, height, shape } = props;
  const ref = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  /** The spec the plot was built with (its data needs no `setData` right after). */
  const builtWith = useRef<ChartSpec | null>(null);
  const latest = useRef(chart);
  latest.current = chart;
  // rebuilt when the shape changes (or, without a shape, whenever the chart does)
  const buildKey = shape === undefined ? chart : chart === null ? null : shape;
  useEffect(() => {
    const el = ref.current;
    const spec = latest.current;
    if (!el || !spec || buildKey === null) return;
    const width = () => Math.max(300, el.clientWidth);
    const plot = new uPlot({ ...spec.options, width: width(), height }, spec.data, el);
    plotRef.current = plot;
    builtWith.current = spec;
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
  }, [buildKey, height]);
  useEffect(() => {
    if (shape !== undefined && chart && chart !== builtWith.current) {
      plotRef.current?.setData(chart.data);
    }
  }, [chart, shape]);
  return (
    <div className="chart">
      <h3>
        {props.title} <span className="muted small">{props.note}</span>
      </h3>
      <div ref={ref} data-testid={props.testId} />
    </div>
  );
}
