/**
 * The results of a run, virtualised. Without a status filter, search or sort, rows are item
 * indexes `0..totalItems-1` and only the pages on screen are fetched (`?cursor=<first index>`),
 * so a 100,000-item run holds a few pages; with a filter, pages of that status are read in item
 * order as the table scrolls towards their end; with a search (`q`) or a sort, the API's pages
 * (short ones included: its search is a bounded scan) are read the same way, and more are asked
 * for while the rows loaded do not fill the screen. Opening a row (click, Enter) hands its result
 * to `onOpen` (the run page shows it in the side panel).
 */
import { useInfiniteQuery, useQueries } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { listResults, type Result, type ResultSort, type ResultStatus, type Run } from '../api';
import { fmtMs, preview } from '../format';
import { keepPages, pagesOf } from '../result-pages';
import { StatusBadge } from './common';
import type { Column } from './data-table';
import { type VirtualRows, VirtualTable } from './virtual-table';

/** Rows per request. */
export const RESULTS_PAGE = 100;

/** A row of the table: its position, and its result (undefined: loading; null: no result yet). */
interface Row {
  index: number;
  result: Result | null | undefined;
}

const columns: Column<Row>[] = [
  {
    head: '#',
    width: '64px',
    cell: (row) => <span className="muted">{row.result?.itemIndex ?? row.index}</span>,
  },
  {
    head: 'Item',
    width: 'minmax(90px, 1fr)',
    cell: (row) => <span className="mono">{row.result?.itemId ?? ''}</span>,
  },
  {
    head: 'Status',
    width: '100px',
    cell: ({ result }) =>
      result === undefined ? (
        <span className="muted">…</span>
      ) : result === null ? (
        <span className="muted">pending</span>
      ) : (
        <StatusBadge status={result.status} />
      ),
  },
  {
    head: 'Output',
    width: 'minmax(160px, 3fr)',
    cell: ({ result: r }) => {
      if (!r) return null;
      if (r.error && r.output === null)
        return <span className="bad">{preview(`${r.error.type}: ${r.error.message}`, 120)}</span>;
      return <span className="clip">{preview(r.output, 120)}</span>;
    },
  },
  {
    head: 'Expected',
    width: 'minmax(100px, 1.5fr)',
    cell: ({ result }) => (
      <span className="clip muted">{result ? preview(result.expectedOutput, 80) : ''}</span>
    ),
  },
  {
    head: 'Scores',
    width: 'minmax(120px, 1.2fr)',
    cell: ({ result }) => (
      <span className="chips">
        {Object.entries(result?.scores ?? {}).map(([name, s]) => (
          <span
            key={name}
            className={`chip ${s.passed ? 'chip-pass' : 'chip-fail'}`}
            title={`${name}: ${s.score}`}
          >
            {name} {s.passed ? '✓' : '✗'}
          </span>
        ))}
      </span>
    ),
  },
  { head: 'Latency', width: '80px', cell: ({ result }) => fmtMs(result?.latencyMs) },
  { head: 'Tries', width: '48px', cell: ({ result }) => result?.attempts ?? '' },
];

const live = (run: Run) => run.status === 'queued' || run.status === 'running';

/** Pages kept besides those on screen: the ones most recently on screen (see result-pages.ts). */
const EXTRA_PAGES = 2;

/**
 * The query of page `page` (items `page * RESULTS_PAGE ..`) of run `runId`. Dropped from the
 * cache as soon as the table stops listing it (`gcTime` 0): the table lists the pages on screen
 * and the `EXTRA_PAGES` seen last, so memory is bounded by a count of pages. Only pages
 * `onScreen` are enabled: the others keep their rows but are not refetched while a live run
 * invalidates its results (they are, once back on screen, when stale). Built here, outside
 * any component: a `queryFn` made inside a render closes over that render's scope, which also
 * holds the `useQueries` results of that render (whose observers hold the previous render's
 * `queryFn`, and so on): that chain kept every page ever scrolled past in memory, long after the
 * query cache had dropped it.
 */
function resultsPageQuery(runId: string, page: number, liveRun: boolean, onScreen: boolean) {
  return {
    queryKey: ['results', runId, 'all', page],
    queryFn: () => listResults(runId, { cursor: String(page * RESULTS_PAGE), limit: RESULTS_PAGE }),
    staleTime: liveRun ? 1000 : Number.POSITIVE_INFINITY,
    gcTime: 0,
    enabled: onScreen,
  };
}

/** Rows by item index, fetching only the pages on screen (and keeping the few seen last). */
function useIndexedRows(run: Run) {
  // the pages kept, those on screen first (`shown` of them)
  const [{ pages, shown }, setView] = useState(() => {
    const visible = pagesOf(0, 40, RESULTS_PAGE);
    return { pages: visible as readonly number[], shown: visible.length };
  });
  const liveRun = live(run);
  const results = useQueries({
    queries: pages.map((page, k) => resultsPageQuery(run.id, page, liveRun, k < shown)),
  });
  const byIndex = useMemo(() => {
    const map = new Map<number, Result | null>();
    results.forEach((q, k) => {
      const page = pages[k];
      if (page === undefined || !q.data) return;
      for (
        let i = page * RESULTS_PAGE;
        i < Math.min((page + 1) * RESULTS_PAGE, run.totalItems);
        i++
      )
        map.set(i, null);
      for (const r of q.data.results) map.set(r.itemIndex, r);
    });
    return map;
  }, [results, pages, run.totalItems]);
  const error = results.find((q) => q.error)?.error ?? null;
  const rowAt = useCallback(
    (index: number): Row => ({ index, result: byIndex.get(index) }),
    [byIndex],
  );
  const onRange = useCallback((start: number, end: number) => {
    const visible = pagesOf(start, end, RESULTS_PAGE);
    setView((old) => {
      const pages = keepPages(visible, old.pages, EXTRA_PAGES);
      return pages === old.pages && visible.length === old.shown
        ? old
        : { pages, shown: visible.length };
    });
  }, []);
  return { count: run.totalItems, rowAt, onRange, error };
}

/** Rows of one status, read page after page as the table nears the end of what is loaded. */
function useFilteredRows(run: Run, status: ResultStatus) {
  const query = useInfiniteQuery({
    queryKey: ['results', run.id, status],
    queryFn: ({ pageParam }) =>
      listResults(run.id, { status, cursor: pageParam, limit: RESULTS_PAGE * 2 }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
  });
  const rows = useMemo(() => query.data?.pages.flatMap((p) => p.results) ?? [], [query.data]);
  const total =
    status === 'succeeded'
      ? run.succeededCount
      : status === 'failed'
        ? run.failedCount
        : run.cancelledCount;
  const count = query.hasNextPage || query.isPending ? Math.max(total, rows.length) : rows.length;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  const rowAt = useCallback((index: number): Row => ({ index, result: rows[index] }), [rows]);
  const onRange = useCallback(
    (_start: number, end: number) => {
      if (end >= rows.length - 20 && hasNextPage && !isFetchingNextPage) fetchNextPage();
    },
    [rows.length, hasNextPage, isFetchingNextPage, fetchNextPage],
  );
  return { count, rowAt, onRange, error: query.error };
}

/** Rows of a search and/or sort, in the API's order, read page after page as the table scrolls. */
function useQueriedRows(
  run: Run,
  status: ResultStatus | undefined,
  q: string | undefined,
  sort: ResultSort | undefined,
  notPassed: string | undefined,
) {
  const query = useInfiniteQuery({
    queryKey: ['results', run.id, 'query', status ?? 'all', q ?? '', sort ?? '', notPassed ?? ''],
    queryFn: ({ pageParam }) =>
      listResults(run.id, {
        status,
        q,
        sort,
        notPassed,
        cursor: pageParam,
        limit: RESULTS_PAGE * 2,
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
    staleTime: live(run) ? 1000 : Number.POSITIVE_INFINITY,
  });
  const rows = useMemo(() => query.data?.pages.flatMap((p) => p.results) ?? [], [query.data]);
  const { hasNextPage, isFetching, fetchNextPage } = query;
  const [end, setEnd] = useState(40);
  // a search page may be short (even empty): keep reading until the screen is full
  useEffect(() => {
    if (hasNextPage && !isFetching && rows.length < end + 20) fetchNextPage();
  }, [hasNextPage, isFetching, rows.length, end, fetchNextPage]);
  const count = rows.length + (hasNextPage || query.isPending ? 1 : 0);
  const rowAt = useCallback((index: number): Row => ({ index, result: rows[index] }), [rows]);
  const onRange = useCallback((_start: number, last: number) => {
    setEnd((old) => (old === last ? old : last));
  }, []);
  return {
    count,
    rowAt,
    onRange,
    error: query.error,
    searching: query.isFetching,
    loaded: rows.length,
    more: Boolean(hasNextPage),
  };
}

/** What the results table shows: a status filter, a search, an order, a scorer not passed. */
export interface ResultsView {
  status?: ResultStatus | undefined;
  q?: string | undefined;
  sort?: ResultSort | undefined;
  /** A scorer of the run: only the results that did not pass it (`scorer=&passed=false`). */
  notPassed?: string | undefined;
}

type OpenResult = (result: Result) => void;

/** Props of the results table (`ResultsTable`) and of each of its kinds. */
interface ResultsProps {
  run: Run;
  view: ResultsView;
  /** Receives the result of a row opened (click, Enter). */
  onOpen: OpenResult;
}

/** The rows of one kind of results table (`VirtualRows`) and the error of their last read. */
interface ResultRows extends VirtualRows<Row> {
  error: unknown;
}

/** The rows `data` as a virtual table, or why there is no row (from `view`). */
function Table({ run, data, view, onOpen }: ResultsProps & { data: ResultRows }) {
  const { rowAt } = data;
  const open = useCallback(
    (index: number) => {
      const result = rowAt(index).result;
      if (result) onOpen(result);
    },
    [rowAt, onOpen],
  );
  if (data.count === 0) {
    const { status, q } = view;
    return (
      <p className="empty">
        {view.notPassed && !q
          ? `Every ${status ?? ''} result passed ${view.notPassed}.`.replace('  ', ' ')
          : q
            ? `No ${status ?? ''} result matches “${q}”.`.replace('  ', ' ')
            : status
              ? `No ${status} results${live(run) ? ' yet' : ''}.`
              : view.sort
                ? 'No result has this sort key yet.'
                : 'This run has no items.'}
      </p>
    );
  }
  return (
    <>
      {data.error && <p className="notice notice-error">{(data.error as Error).message}</p>}
      <VirtualTable label="results" columns={columns} rows={data} onOpen={open} />
    </>
  );
}

function AllResults({ run, onOpen }: ResultsProps) {
  return <Table run={run} data={useIndexedRows(run)} view={{}} onOpen={onOpen} />;
}

function StatusResults({ run, view, onOpen }: ResultsProps & { view: { status: ResultStatus } }) {
  const { status } = view;
  return <Table run={run} data={useFilteredRows(run, status)} view={{ status }} onOpen={onOpen} />;
}

function QueriedResults({ run, view, onOpen }: ResultsProps) {
  const data = useQueriedRows(run, view.status, view.q, view.sort, view.notPassed);
  return (
    <>
      <p className="muted small" data-testid="results-query-state" aria-live="polite">
        {data.loaded} {data.loaded === 1 ? 'result' : 'results'}
        {data.more || data.searching ? ' so far, reading on…' : ''}
      </p>
      <Table run={run} data={data} view={view} onOpen={onOpen} />
    </>
  );
}

/**
 * The results table of `run`: every item, one status, or a search / sort / scorer not passed
 * (`view`); `onOpen` receives the result of a row opened (click, Enter).
 */
export function ResultsTable({ run, view, onOpen }: ResultsProps) {
  const { status, q, sort, notPassed } = view;
  if (q || sort || notPassed) {
    return (
      <QueriedResults
        key={`${status}|${q}|${sort}|${notPassed}`}
        run={run}
        view={view}
        onOpen={onOpen}
      />
    );
  }
  return status ? (
    <StatusResults key={status} run={run} view={{ status }} onOpen={onOpen} />
  ) : (
    <AllResults run={run} view={view} onOpen={onOpen} />
  );
}
