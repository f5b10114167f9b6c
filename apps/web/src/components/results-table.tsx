/**
 * The results of a run, virtualised. Without a status filter, rows are item indexes
 * `0..totalItems-1` and only the pages on screen are fetched (`?cursor=<first index>`), so a
 * 100,000-item run holds a few pages; with a filter, pages of that status are read in item order
 * as the table scrolls towards their end.
 */
import { useInfiniteQuery, useQueries } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import type { ColumnDef } from '@tanstack/react-table';
import { useCallback, useMemo, useState } from 'react';
import { listResults, type Result, type ResultStatus, type Run } from '../api';
import { fmtMs, preview } from '../format';
import { StatusBadge } from './common';
import { VirtualTable } from './virtual-table';

/** Rows per request. */
export const RESULTS_PAGE = 100;

/** A row of the table: its position, and its result (undefined: loading; null: no result yet). */
interface Row {
  index: number;
  result: Result | null | undefined;
}

const columns: ColumnDef<Row>[] = [
  {
    id: 'index',
    header: '#',
    cell: ({ row }) => (
      <span className="muted">{row.original.result?.itemIndex ?? row.original.index}</span>
    ),
  },
  {
    id: 'item',
    header: 'Item',
    cell: ({ row }) => <span className="mono">{row.original.result?.itemId ?? ''}</span>,
  },
  {
    id: 'status',
    header: 'Status',
    cell: ({ row }) =>
      row.original.result === undefined ? (
        <span className="muted">…</span>
      ) : row.original.result === null ? (
        <span className="muted">pending</span>
      ) : (
        <StatusBadge status={row.original.result.status} />
      ),
  },
  {
    id: 'output',
    header: 'Output',
    cell: ({ row }) => {
      const r = row.original.result;
      if (!r) return null;
      if (r.error && r.output === null)
        return <span className="bad">{preview(`${r.error.type}: ${r.error.message}`, 120)}</span>;
      return <span className="clip">{preview(r.output, 120)}</span>;
    },
  },
  {
    id: 'expected',
    header: 'Expected',
    cell: ({ row }) => (
      <span className="clip muted">
        {row.original.result ? preview(row.original.result.expectedOutput, 80) : ''}
      </span>
    ),
  },
  {
    id: 'scores',
    header: 'Scores',
    cell: ({ row }) => (
      <span className="chips">
        {Object.entries(row.original.result?.scores ?? {}).map(([name, s]) => (
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
  { id: 'latency', header: 'Latency', cell: ({ row }) => fmtMs(row.original.result?.latencyMs) },
  { id: 'attempts', header: 'Tries', cell: ({ row }) => row.original.result?.attempts ?? '' },
];

const GRID =
  '64px minmax(90px, 1fr) 100px minmax(160px, 3fr) minmax(100px, 1.5fr) minmax(120px, 1.2fr) 80px 48px';

const live = (run: Run) => run.status === 'queued' || run.status === 'running';

/** Rows by item index, fetching only the pages on screen. */
function useIndexedRows(run: Run) {
  const [range, setRange] = useState<[number, number]>([0, 40]);
  const pages = useMemo(() => {
    const out: number[] = [];
    for (let p = Math.floor(range[0] / RESULTS_PAGE); p <= Math.floor(range[1] / RESULTS_PAGE); p++)
      out.push(p);
    return out;
  }, [range]);
  const results = useQueries({
    queries: pages.map((page) => ({
      queryKey: ['results', run.id, 'all', page],
      queryFn: () =>
        listResults(run.id, { cursor: String(page * RESULTS_PAGE), limit: RESULTS_PAGE }),
      staleTime: live(run) ? 1000 : Number.POSITIVE_INFINITY,
      gcTime: 30_000,
    })),
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
    setRange((old) => (old[0] === start && old[1] === end ? old : [start, end]));
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

function Table({
  run,
  data,
  status,
}: {
  run: Run;
  data: ReturnType<typeof useIndexedRows>;
  status: ResultStatus | undefined;
}) {
  const navigate = useNavigate();
  const [selected, setSelected] = useState<number | null>(null);
  const { rowAt } = data;
  const open = useCallback(
    (index: number) => {
      const result = rowAt(index).result;
      if (!result) return;
      navigate({
        to: '/runs/$runId/items/$itemId',
        params: { runId: run.id, itemId: result.itemId },
        search: { i: result.itemIndex },
      });
    },
    [rowAt, navigate, run.id],
  );
  if (data.count === 0) {
    return (
      <p className="empty">
        {status ? `No ${status} results${live(run) ? ' yet' : ''}.` : 'This run has no items.'}
      </p>
    );
  }
  return (
    <>
      {data.error && <p className="notice notice-error">{(data.error as Error).message}</p>}
      <VirtualTable
        label="results"
        columns={columns}
        grid={GRID}
        count={data.count}
        rowAt={rowAt}
        selected={selected}
        onSelect={setSelected}
        onOpen={open}
        onRangeChange={data.onRange}
      />
    </>
  );
}

function AllResults({ run }: { run: Run }) {
  return <Table run={run} data={useIndexedRows(run)} status={undefined} />;
}

function StatusResults({ run, status }: { run: Run; status: ResultStatus }) {
  return <Table run={run} data={useFilteredRows(run, status)} status={status} />;
}

/** The results table of `run`, optionally of one status. */
export function ResultsTable({ run, status }: { run: Run; status: ResultStatus | undefined }) {
  return status ? (
    <StatusResults key={status} run={run} status={status} />
  ) : (
    <AllResults run={run} />
  );
}
