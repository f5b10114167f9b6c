/**
 * Totals over every run that matches the runs page's filters, from the API
 * (`GET /v1/runs/aggregate`: runs, items, tokens, cost, average duration of finished runs,
 * items-weighted pass rate), and the same figures grouped by target and by model
 * (`target.config.model`), folded under the totals line.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { aggregateRuns, type RunAggregate, type RunFilter } from '../api';
import { fmtInt, fmtMs, fmtPct, fmtUsd } from '../format';
import { ErrorBox } from './common';
import { type Column, DataTable } from './data-table';

type Figures = RunAggregate['totals'];

/** Pass rate per scorer (`name 73.0%`), or the pooled rate when there is one scorer or none. */
function passRates(f: Figures): string {
  const entries = Object.entries(f.scores);
  if (entries.length <= 1) return fmtPct(f.passRate);
  return entries.map(([name, s]) => `${name} ${fmtPct(s.passRate)}`).join(' · ');
}

const cells = (f: Figures) => [
  fmtInt(f.runs),
  fmtInt(f.items),
  fmtInt(f.inputTokens + f.outputTokens),
  <>
    {fmtUsd(f.costUsd)}
    {f.unpricedResults > 0 ? (
      <span
        className="warn small"
        data-testid="unpriced"
        title="results with token usage and no price (no RUNLEDGER_PRICES entry for their model), left out of the cost"
      >
        {' '}
        · {fmtInt(f.unpricedResults)} unpriced
      </span>
    ) : null}
  </>,
  fmtMs(f.avgDurationMs),
  passRates(f),
];

const HEAD = ['Runs', 'Items', 'Tokens', 'Cost', 'Avg duration', 'Pass rate'];

type Group = RunAggregate['byTarget'][number];

/** The figures of a group table after its key column, in `HEAD` order. */
const FIGURE_COLUMNS: Column<Group>[] = HEAD.map((head, i) => ({ head, cell: (g) => cells(g)[i] }));

/**
 * The groups (by target or by model) as a table; its first column, `title`, is the group's key,
 * a link that filters the runs page by it (`param`).
 */
function GroupTable({
  label,
  title,
  groups,
  param,
}: {
  label: string;
  title: string;
  groups: Group[];
  param: 'target' | 'model';
}) {
  if (groups.length === 0) return null;
  const keyCell = (g: Group) => (
    <Link from="/runs" to="/runs" search={(old) => ({ ...old, [param]: g.key })}>
      {g.key}
    </Link>
  );
  return (
    <DataTable
      label={label}
      compact
      columns={[{ head: title, cell: keyCell }, ...FIGURE_COLUMNS]}
      rows={groups}
      rowKey={(g) => g.key}
      tr={(g) => ({ 'data-group': g.key })}
    />
  );
}

/** The totals line over the runs matching `filter`, and the per-target / per-model tables (folded). */
export function RunTotals({ filter }: { filter: RunFilter }) {
  const query = useQuery({
    queryKey: ['runs-aggregate', filter],
    queryFn: () => aggregateRuns(filter),
    refetchInterval: (q) =>
      q.state.data && q.state.data.totals.finishedRuns < q.state.data.totals.runs ? 5000 : false,
  });
  if (query.isError) return <ErrorBox error={query.error} what="Totals" />;
  const agg = query.data;
  if (!agg) return <p className="muted small">Adding up the runs…</p>;
  const all = cells(agg.totals);
  return (
    <details className="totals">
      <summary data-testid="run-totals">
        {HEAD.map((h, i) => (
          <span key={h} data-total={h}>
            <span className="muted">{h}</span> {all[i]}
          </span>
        ))}
        <span className="muted small">
          over the {fmtInt(agg.totals.runs)} matching runs
          {agg.truncated ? ` (the newest ${fmtInt(agg.scanned)} only)` : ''} · by target and model ▾
        </span>
      </summary>
      <div className="totals-groups">
        <GroupTable label="runs by target" title="Target" groups={agg.byTarget} param="target" />
        <GroupTable label="runs by model" title="Model" groups={agg.byModel} param="model" />
      </div>
    </details>
  );
}
