/**
 * /runs: every run of the project, newest first, a page at a time from the server (cursor);
 * filters by status, target, model, dataset, tag, dates and a text search on name / id
 * (debounced) in the URL; totals over every matching run from the API (`GET
 * /v1/runs/aggregate`); running runs refresh themselves. Tick two runs to compare them.
 */
import { targetLabel } from '@runledger/client';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { type FormEvent, useCallback, useEffect, useMemo, useState } from 'react';
import { listRuns, type Run, type RunFilter, type RunStatus } from '../api';
import {
  Command,
  Cost,
  DatasetLink,
  Empty,
  ErrorBox,
  Loading,
  ProgressBar,
  RunStatusBadge,
  useCursorList,
  useTitle,
} from '../components/common';
import { type Column, DataTable } from '../components/data-table';
import { RunTotals } from '../components/run-totals';
import { useDebounced } from '../components/search-box';
import { fmtAgo, fmtDuration, fmtInt, fmtMs, fmtPct, fmtTime } from '../format';
import type { RunsSearch } from '../router';

const ACTIVE: readonly RunStatus[] = ['queued', 'running'];

/** Pass rate of each scorer of a run (`passRate`: passed / totalItems). */
function ScoreList({ run }: { run: Run }) {
  const entries = Object.entries(run.scores);
  if (entries.length === 0) return <span className="muted">–</span>;
  return (
    <span className="scores">
      {entries.map(([name, s]) => (
        <span
          key={name}
          title={`${s.passed} of ${run.totalItems} items passed (${fmtPct(s.passRateOfScored)} of scored)`}
        >
          {name} {fmtPct(s.passRate)}
        </span>
      ))}
    </span>
  );
}

/** The API filter of the page's search params: days become local-time bounds (until inclusive). */
function toFilter(search: RunsSearch): RunFilter {
  const at = (d: string | undefined, end: boolean) =>
    d ? new Date(`${d}T${end ? '23:59:59.999' : '00:00:00'}`).toISOString() : undefined;
  return {
    status: search.status,
    target: search.target,
    model: search.model,
    datasetId: search.datasetId,
    tag: search.tag,
    q: search.q,
    since: at(search.since, false),
    until: at(search.until, true),
  };
}

/** The text filters of the form: search param and label (placeholder). */
const TEXT_FILTERS = [
  ['target', 'target'],
  ['model', 'model'],
  ['datasetId', 'dataset'],
  ['tag', 'tag'],
] as const;

/** The day filters of the form: search param, label and tooltip. */
const DAY_FILTERS = [
  ['since', 'created from', 'created from (day)'],
  ['until', 'created until', 'created until (day, inclusive)'],
] as const;

/** The columns of the runs table after the compare checkbox. */
const RUN_COLUMNS: Column<Run>[] = [
  { head: 'Status', cell: (run) => <RunStatusBadge run={run} /> },
  {
    head: 'Run',
    cell: (run) => (
      <Link to="/runs/$runId" params={{ runId: run.id }} className="run-link">
        <span>{run.name ?? run.id}</span>
        {run.name && <span className="muted mono small">{run.id}</span>}
      </Link>
    ),
  },
  { head: 'Target', cell: (run) => <span className="wrap-cell">{targetLabel(run.target)}</span> },
  {
    head: 'Dataset',
    cell: (run) => (
      <span className="wrap-cell">
        <DatasetLink id={run.datasetId} version={run.datasetVersion} />
      </span>
    ),
  },
  {
    head: 'Progress',
    cell: (run) => (
      <div>
        <ProgressBar value={run.progress} label={`progress of ${run.id}`} />
        <span className="muted small">
          {fmtInt(run.succeededCount + run.failedCount + run.cancelledCount)} /{' '}
          {fmtInt(run.totalItems)}
        </span>
      </div>
    ),
  },
  { head: 'Pass rate', cell: (run) => <ScoreList run={run} /> },
  {
    head: 'p50 / p99',
    cell: (run) => `${fmtMs(run.latencyMs.p50)} / ${fmtMs(run.latencyMs.p99)}`,
  },
  { head: 'Tokens', cell: (run) => fmtInt(run.usage.inputTokens + run.usage.outputTokens) },
  { head: 'Cost', cell: (run) => <Cost of={run} compact /> },
  {
    head: 'Created',
    cell: (run) => <span title={fmtTime(run.createdAt)}>{fmtAgo(run.createdAt)}</span>,
  },
  { head: 'Duration', cell: (run) => fmtDuration(run.startedAt, run.completedAt) },
];

/** The runs page. */
export function RunsPage() {
  useTitle('Runs');
  const search = useSearch({ from: '/runs' });
  const navigate = useNavigate({ from: '/runs' });
  const [picked, setPicked] = useState<string[]>([]);

  const { query, rows: runs } = useCursorList(
    ['runs', search],
    (cursor: string | null) => listRuns(toFilter(search), cursor),
    'runs',
    {
      refetchInterval: (pages) =>
        pages.some((p) => p.runs.some((r) => ACTIVE.includes(r.status))) ? 1500 : false,
    },
  );
  // a search page may be short (the API scans 2,000 runs per request): read on by itself for up
  // to 10 requests (20,000 runs) while fewer than 20 matched; "Load older runs" goes further
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  const pagesRead = query.data?.pages.length ?? 0;
  useEffect(() => {
    if (search.q && runs.length < 20 && pagesRead < 10 && hasNextPage && !isFetchingNextPage)
      fetchNextPage();
  }, [search.q, runs.length, pagesRead, hasNextPage, isFetchingNextPage, fetchNextPage]);
  const [text, setText] = useDebounced(search.q ?? '', (q) =>
    navigate({ search: (old) => ({ ...old, q: q || undefined }), replace: true }),
  );

  const togglePick = useCallback(
    (id: string) =>
      setPicked((old) => (old.includes(id) ? old.filter((x) => x !== id) : [...old.slice(-1), id])),
    [],
  );

  const columns = useMemo<Column<Run>[]>(
    () => [
      {
        head: 'Compare',
        cell: (run) => (
          <input
            type="checkbox"
            aria-label={`pick ${run.id} to compare`}
            checked={picked.includes(run.id)}
            onChange={() => togglePick(run.id)}
          />
        ),
      },
      ...RUN_COLUMNS,
    ],
    [picked, togglePick],
  );

  const onFilter = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const get = (k: string) => {
      const v = String(form.get(k) ?? '').trim();
      return v === '' ? undefined : v;
    };
    navigate({
      search: {
        status: get('status') as RunStatus | undefined,
        target: get('target'),
        model: get('model'),
        datasetId: get('datasetId'),
        tag: get('tag'),
        q: search.q,
        since: get('since'),
        until: get('until'),
      },
    });
  };

  // validateSearch leaves out empty values: any value set is a filter
  const filtered = Object.values(search).some(Boolean);
  const pickedRuns = picked.map((id) => runs.find((r) => r.id === id)).filter((r): r is Run => !!r);

  return (
    <section>
      <div className="page-head">
        <h1>Runs</h1>
        <input
          type="search"
          className="run-search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="search name or id"
          aria-label="search runs"
        />
        <form
          className="filters"
          onSubmit={onFilter}
          aria-label="run filters"
          key={JSON.stringify(search)}
        >
          <select name="status" defaultValue={search.status ?? ''} aria-label="status">
            <option value="">any status</option>
            {['queued', 'running', 'completed', 'failed', 'cancelled'].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          {TEXT_FILTERS.map(([name, label]) => (
            <input
              key={name}
              name={name}
              placeholder={label}
              defaultValue={search[name] ?? ''}
              aria-label={label}
            />
          ))}
          {DAY_FILTERS.map(([name, label, title]) => (
            <input
              key={name}
              type="date"
              name={name}
              defaultValue={search[name] ?? ''}
              aria-label={label}
              title={title}
            />
          ))}
          <button type="submit">Filter</button>
          {filtered && (
            <Link to="/runs" search={{}} className="button">
              Clear
            </Link>
          )}
        </form>
      </div>
      {pickedRuns.length === 2 && (
        <div className="notice compare-bar">
          Compare <strong>{pickedRuns[0]?.name ?? pickedRuns[0]?.id}</strong> with{' '}
          <strong>{pickedRuns[1]?.name ?? pickedRuns[1]?.id}</strong>: {(() => {
            // the older run is the baseline
            const [a, b] = [...pickedRuns].sort((x, y) => x.createdAt.localeCompare(y.createdAt));
            return a && b ? (
              <Link
                to="/compare/$a/$b"
                params={{ a: a.id, b: b.id }}
                search={{}}
                className="button primary"
              >
                Compare
              </Link>
            ) : null;
          })()}
        </div>
      )}
      {query.isPending ? (
        <Loading what="Loading runs" />
      ) : query.isError ? (
        <ErrorBox error={query.error} />
      ) : runs.length === 0 && query.hasNextPage && pagesRead < 10 ? (
        <Loading what="Searching older runs" />
      ) : runs.length === 0 ? (
        <Empty>
          {filtered && query.hasNextPage ? (
            <p>
              No run matches among the {fmtInt(pagesRead * 2000)} newest.{' '}
              <button
                type="button"
                onClick={() => query.fetchNextPage()}
                disabled={query.isFetchingNextPage}
              >
                Search older runs
              </button>
            </p>
          ) : filtered ? (
            <p>No run matches these filters.</p>
          ) : (
            <>
              <p>No runs yet. Submit one from a dataset file:</p>
              <Command>runledger submit qa.jsonl --target my-model --scorer exact_match</Command>
              <p>
                or try the demo: <Command>npm run demo</Command>
              </p>
            </>
          )}
        </Empty>
      ) : (
        <>
          <RunTotals filter={toFilter(search)} />
          <div className="table-wrap">
            <DataTable
              label="runs"
              columns={columns}
              rows={runs}
              tr={(r) => ({ 'data-run-id': r.id })}
            />
          </div>
          {query.hasNextPage && (
            <button
              type="button"
              onClick={() => query.fetchNextPage()}
              disabled={query.isFetchingNextPage}
            >
              {query.isFetchingNextPage ? 'Loading…' : 'Load older runs'}
            </button>
          )}
        </>
      )}
    </section>
  );
}
