/**
 * /runs: every run of the project, newest first, a page at a time from the server (cursor);
 * filters by status, target, dataset, tag, dates and a text search on name / id (debounced) in
 * the URL; totals over every matching run from the API (`GET /v1/runs/aggregate`); running runs
 * refresh themselves. Tick two runs to compare them.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { type ColumnDef, flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { type FormEvent, useCallback, useEffect, useMemo, useState } from 'react';
import { listRuns, type Run, type RunFilter, type RunStatus } from '../api';
import {
  Command,
  DatasetLink,
  Empty,
  ErrorBox,
  Loading,
  ProgressBar,
  StatusBadge,
  useTitle,
} from '../components/common';
import { RunTotals } from '../components/run-totals';
import { useDebounced } from '../components/search-box';
import { fmtAgo, fmtDuration, fmtInt, fmtMs, fmtPct, fmtTime, fmtUsd } from '../format';
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
    datasetId: search.datasetId,
    tag: search.tag,
    q: search.q,
    since: at(search.since, false),
    until: at(search.until, true),
  };
}

/** The runs page. */
export function RunsPage() {
  useTitle('Runs');
  const search = useSearch({ from: '/runs' });
  const navigate = useNavigate({ from: '/runs' });
  const [picked, setPicked] = useState<string[]>([]);

  const query = useInfiniteQuery({
    queryKey: ['runs', search],
    queryFn: ({ pageParam }) => listRuns(toFilter(search), pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
    refetchInterval: (q) =>
      q.state.data?.pages.some((p) => p.runs.some((r) => ACTIVE.includes(r.status))) ? 1500 : false,
  });
  const runs = useMemo(() => query.data?.pages.flatMap((p) => p.runs) ?? [], [query.data]);
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

  const columns = useMemo<ColumnDef<Run>[]>(
    () => [
      {
        id: 'pick',
        header: 'Compare',
        cell: ({ row }) => (
          <input
            type="checkbox"
            aria-label={`pick ${row.original.id} to compare`}
            checked={picked.includes(row.original.id)}
            onChange={() => togglePick(row.original.id)}
          />
        ),
      },
      {
        id: 'status',
        header: 'Status',
        cell: ({ row }) => <StatusBadge status={row.original.status} />,
      },
      {
        id: 'name',
        header: 'Run',
        cell: ({ row }) => (
          <Link to="/runs/$runId" params={{ runId: row.original.id }} className="run-link">
            <span>{row.original.name ?? row.original.id}</span>
            {row.original.name && <span className="muted mono small">{row.original.id}</span>}
          </Link>
        ),
      },
      {
        id: 'target',
        header: 'Target',
        cell: ({ row }) => <span className="wrap-cell">{row.original.target.name}</span>,
      },
      {
        id: 'dataset',
        header: 'Dataset',
        cell: ({ row }) => (
          <span className="wrap-cell">
            <DatasetLink id={row.original.datasetId} version={row.original.datasetVersion} />
          </span>
        ),
      },
      {
        id: 'progress',
        header: 'Progress',
        cell: ({ row }) => (
          <div>
            <ProgressBar value={row.original.progress} label={`progress of ${row.original.id}`} />
            <span className="muted small">
              {fmtInt(
                row.original.succeededCount +
                  row.original.failedCount +
                  row.original.cancelledCount,
              )}{' '}
              / {fmtInt(row.original.totalItems)}
            </span>
          </div>
        ),
      },
      { id: 'scores', header: 'Pass rate', cell: ({ row }) => <ScoreList run={row.original} /> },
      {
        id: 'latency',
        header: 'p50 / p99',
        cell: ({ row }) =>
          `${fmtMs(row.original.latencyMs.p50)} / ${fmtMs(row.original.latencyMs.p99)}`,
      },
      {
        id: 'tokens',
        header: 'Tokens',
        cell: ({ row }) => fmtInt(row.original.usage.inputTokens + row.original.usage.outputTokens),
      },
      { id: 'cost', header: 'Cost', cell: ({ row }) => fmtUsd(row.original.costUsd) },
      {
        id: 'created',
        header: 'Created',
        cell: ({ row }) => (
          <span title={fmtTime(row.original.createdAt)}>{fmtAgo(row.original.createdAt)}</span>
        ),
      },
      {
        id: 'duration',
        header: 'Duration',
        cell: ({ row }) => fmtDuration(row.original.startedAt, row.original.completedAt),
      },
    ],
    [picked, togglePick],
  );
  const table = useReactTable({
    data: runs,
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (r) => r.id,
  });

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
        datasetId: get('datasetId'),
        tag: get('tag'),
        q: search.q,
        since: get('since'),
        until: get('until'),
      },
    });
  };

  const filtered = Boolean(
    search.q ||
      search.status ||
      search.target ||
      search.datasetId ||
      search.tag ||
      search.since ||
      search.until,
  );
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
          <input
            name="target"
            placeholder="target"
            defaultValue={search.target ?? ''}
            aria-label="target"
          />
          <input
            name="datasetId"
            placeholder="dataset"
            defaultValue={search.datasetId ?? ''}
            aria-label="dataset"
          />
          <input name="tag" placeholder="tag" defaultValue={search.tag ?? ''} aria-label="tag" />
          <input
            type="date"
            name="since"
            defaultValue={search.since ?? ''}
            aria-label="created from"
            title="created from (day)"
          />
          <input
            type="date"
            name="until"
            defaultValue={search.until ?? ''}
            aria-label="created until"
            title="created until (day, inclusive)"
          />
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
            <table className="table" aria-label="runs">
              <thead>
                {table.getHeaderGroups().map((g) => (
                  <tr key={g.id}>
                    {g.headers.map((h) => (
                      <th key={h.id}>{flexRender(h.column.columnDef.header, h.getContext())}</th>
                    ))}
                  </tr>
                ))}
              </thead>
              <tbody>
                {table.getRowModel().rows.map((row) => (
                  <tr key={row.id} data-run-id={row.id}>
                    {row.getVisibleCells().map((cell) => (
                      <td key={cell.id}>
                        {flexRender(cell.column.columnDef.cell, cell.getContext())}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
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
