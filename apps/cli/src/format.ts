/** Text renderings of runs and results for people: the run summary and plain aligned tables. */
import {
  configLines,
  type EffectiveSummary,
  type Result,
  type RunDetails,
  type RunScoreSummary,
  runTimeLeft,
  TERMINAL_STATUSES,
  targetLabel,
  unpricedNote,
} from './client.js';

/** `value` as indented JSON and a newline (what `--json` prints). */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * One scorer's line of the summary: `75.0% passed (3/4 items): 1 failed, 0 errors; 75.0% of
 * scored; mean 0.750`. The pass rate is the API's `passRate` (passed / total items).
 */
export function formatScore(s: RunScoreSummary | undefined, totalItems: number): string {
  if (!s) return '-';
  return (
    `${percent(s.passRate)} passed (${s.passed}/${totalItems} items): ` +
    `${s.failed} failed, ${s.errors} error${s.errors === 1 ? '' : 's'}; ` +
    `${percent(s.passRateOfScored)} of scored; mean ${s.mean === null ? '-' : s.mean.toFixed(3)}`
  );
}

/**
 * The summary of a run: status, target and its config fields, counts, pass rate per scorer
 * (`passRate`, with passed, failed and errors), failed items by error type (count and first full
 * message), latency p50/p90/p99 (ms), token usage and cost (USD, and what it leaves out:
 * `unpricedNote`), reruns, as aligned `label  value` lines; given the API's base URL (`apiUrl`,
 * which also serves the dashboard), a last line with the run's dashboard page. A running run
 * gets a `left` row: the time left at its pace since it started (`runTimeLeft`, at `nowMs`).
 */
export function formatRunSummary(run: RunDetails, apiUrl?: string, nowMs = Date.now()): string {
  const done = run.succeededCount + run.failedCount + run.cancelledCount;
  const rows: Array<[string, string]> = [
    ['run', run.name ? `${run.id} (${run.name})` : run.id],
    ['status', statusText(run)],
    ['target', run.target.name],
    ...configRow(run),
    ['dataset', dataset(run)],
    [
      'items',
      `${run.totalItems} total, ${done} done: ${run.succeededCount} succeeded, ${run.failedCount} failed, ${run.cancelledCount} cancelled`,
    ],
  ];
  const left = runTimeLeft(run, nowMs);
  if (left) rows.push(['left', `about ${left} at its pace so far`]);
  const scorers = scorerNames(run);
  for (const scorer of scorers) {
    rows.push([`score ${scorer}`, formatScore(run.scores[scorer], run.totalItems)]);
  }
  if (scorers.length === 0) {
    rows.push([
      'score',
      'none: the run has no scorer (submit with --scorer exact_match, or another)',
    ]);
  }
  for (const e of run.errorTypes) {
    rows.push([
      `errors ${e.type}`,
      `${e.count} item${e.count === 1 ? '' : 's'}, first: ${e.message}`,
    ]);
  }
  const l = run.latencyMs;
  rows.push([
    'latency',
    l.p50 === null
      ? '-'
      : `p50 ${ms(l.p50)}, p90 ${ms(l.p90)}, p99 ${ms(l.p99)} (mean ${ms(l.mean)}, max ${ms(l.max)})`,
  ]);
  rows.push([
    'usage',
    `${run.usage.inputTokens} input tokens, ${run.usage.outputTokens} output tokens`,
  ]);
  const unpriced = unpricedNote(run);
  rows.push(['cost', `$${run.costUsd.toFixed(4)}${unpriced ? `; ${unpriced}` : ''}`]);
  rows.push(['created', run.createdAt]);
  if (run.completedAt) {
    rows.push(['completed', `${run.completedAt} (${duration(run)})`]);
  }
  if (run.parentRunId) rows.push(['rerun of', run.parentRunId]);
  if (run.reruns.length > 0) rows.push(['reruns', run.reruns.join(', ')]);
  if (run.error) rows.push(['error', run.error]);
  if (apiUrl) rows.push(['dashboard', dashboardUrl(apiUrl, `runs/${run.id}`)]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

/**
 * A page of the dashboard the API at `apiUrl` serves: `dashboardUrl('http://h:3000/', 'runs/R')`
 * -> `http://h:3000/runs/R`.
 */
export function dashboardUrl(apiUrl: string, path: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/${path}`;
}

/**
 * A run's status, and while a cancel, a budget stop or the reconciler is ending it (`Run.ending`)
 * with what: `running (being cancelled: the remaining items are recorded as cancelled)`.
 */
export function statusText(run: Pick<RunDetails, 'status' | 'ending'>): string {
  if (!run.ending || TERMINAL_STATUSES.includes(run.status)) return run.status;
  const as = run.ending === 'cancelled' ? 'cancelled' : 'failed';
  return `${run.status} (being ${as}: the remaining items are recorded as cancelled)`;
}

/** The `config` row of a run's summary: its target's config fields (redacted by the API), if any. */
function configRow(run: RunDetails): Array<[string, string]> {
  const lines = configLines(run.target.config);
  return lines.length === 0
    ? []
    : [['config', lines.map(([path, shown]) => `${path}=${shown}`).join(' ')]];
}

function scorerNames(run: RunDetails): string[] {
  const names = run.scorers.map((s) => s.name);
  for (const name of Object.keys(run.scores)) if (!names.includes(name)) names.push(name);
  return names;
}

function dataset(run: RunDetails): string {
  if (!run.datasetId) return '-';
  return run.datasetVersion ? `${run.datasetId}@${run.datasetVersion}` : run.datasetId;
}

function duration(run: RunDetails): string {
  const from = Date.parse(run.startedAt ?? run.createdAt);
  const to = Date.parse(run.completedAt ?? '');
  if (Number.isNaN(from) || Number.isNaN(to)) return '-';
  return `took ${((to - from) / 1000).toFixed(1)} s`;
}

/** A share in [0, 1] as `96.7%`; `-` for null. */
export function percent(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(1)}%`;
}

/** Milliseconds: whole numbers as they are, under 10 ms two significant digits (`0.034 ms`, not `0.0 ms`), else one decimal. */
function ms(value: number | null): string {
  if (value === null) return '-';
  if (Number.isInteger(value)) return `${value} ms`;
  return `${value < 10 ? Number(value.toPrecision(2)) : value.toFixed(1)} ms`;
}

/** Options of `formatTable`. */
export interface TableOptions {
  /** Print the header row. @defaultValue true */
  header?: boolean;
  /** Column widths to pad to (at least); by default each column's widest cell on this call. */
  widths?: number[];
}

/** Widths of each column: its widest cell, header included. */
export function columnWidths(headers: string[], rows: string[][]): number[] {
  return headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
}

/** Plain left-aligned columns, two spaces apart, with a header row. */
export function formatTable(
  headers: string[],
  rows: string[][],
  options: TableOptions = {},
): string {
  const widths = options.widths ?? columnWidths(headers, rows);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const lines = rows.map(line);
  if (options.header ?? true) lines.unshift(line(headers));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * The `runs list` table: id, status, target (with its model: `targetLabel`), done/total, pass
 * rates, created, name.
 */
export function formatRunsTable(runs: RunDetails[]): string {
  return formatTable(
    ['ID', 'STATUS', 'TARGET', 'DONE', 'FAILED', 'SCORES', 'CREATED', 'NAME'],
    runs.map((run) => [
      run.id,
      run.status,
      targetLabel(run.target),
      `${run.succeededCount + run.failedCount + run.cancelledCount}/${run.totalItems}`,
      String(run.failedCount),
      Object.keys(run.scores)
        .map((name) => `${name} ${percent(run.scores[name]?.passRate ?? null)}`)
        .join(', ') || '-',
      run.createdAt,
      run.name ?? '',
    ]),
  );
}

const RESULT_HEADERS = [
  '#',
  'ITEM',
  'STATUS',
  'ATTEMPTS',
  'LATENCY',
  'SCORES',
  'EXPECTED',
  'OUTPUT',
];

/** Options of the `runs results` table. */
export interface ResultTableOptions extends TableOptions {
  /**
   * Never shorten a cell (item ids past 24, expected outputs past 30 and outputs past 60
   * characters are cut otherwise).
   */
  wide?: boolean;
}

/**
 * The rows of the `runs results` table: index, item id, status, attempts, latency, scores, the
 * item's expected output (JSON, `-` for none: read next to the output when a scorer failed),
 * output or error. An error's text is never cut (it is the last column, whitespace flattened);
 * expected outputs are cut at 30 characters and outputs at 60 unless `wide`.
 */
export function resultRows(results: Result[], options: { wide?: boolean } = {}): string[][] {
  const cut = (text: string, max: number) =>
    clip(text, options.wide ? Number.POSITIVE_INFINITY : max);
  return results.map((r) => [
    String(r.itemIndex),
    cut(r.itemId, 24),
    r.status,
    String(r.attempts),
    ms(r.latencyMs),
    Object.entries(r.scores)
      .map(([name, s]) => `${name}=${s.passed ? 'pass' : 'fail'}`)
      .join(',') || '-',
    r.expectedOutput === null || r.expectedOutput === undefined
      ? '-'
      : cut(JSON.stringify(r.expectedOutput), 30),
    r.error
      ? `error: ${r.error.type}: ${flat(r.error.message)}`
      : cut(JSON.stringify(r.output) ?? '', 60),
  ]);
}

/**
 * The `runs results` table for one page. Pass `options.header: false` and the first page's
 * `widths` (see `resultColumnWidths`) for the pages after the first, so they line up.
 */
export function formatResultsTable(results: Result[], options: ResultTableOptions = {}): string {
  return formatTable(RESULT_HEADERS, resultRows(results, options), options);
}

/** Column widths of the results table for `results` (e.g. its first page). */
export function resultColumnWidths(results: Result[], options: { wide?: boolean } = {}): number[] {
  return columnWidths(RESULT_HEADERS, resultRows(results, options));
}

function flat(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function clip(text: string, max: number): string {
  const f = flat(text);
  return f.length > max ? `${f.slice(0, max - 1)}…` : f;
}

/**
 * The effective counters of `runs results --effective` (per item, the latest result across the
 * run and its reruns): one line, e.g. `effective over 2 runs: 10 items: 10 succeeded, 0 failed,
 * 0 cancelled, 0 pending; exact_match 90.0% passed (9/10 items)`.
 */
export function formatEffective(e: EffectiveSummary): string {
  const scores = Object.entries(e.scores).map(
    ([name, s]) => `${name} ${percent(s.passRate)} passed (${s.passed}/${e.totalItems} items)`,
  );
  return (
    `effective over ${e.runIds.length} run${e.runIds.length === 1 ? '' : 's'} (${e.runIds.join(', ')}): ` +
    `${e.totalItems} items: ${e.succeeded} succeeded, ${e.failed} failed, ${e.cancelled} cancelled, ${e.pending} pending` +
    (scores.length > 0 ? `; ${scores.join(', ')}` : '') +
    '\n'
  );
}
