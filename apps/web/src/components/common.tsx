/**
 * Small shared pieces of the dashboard: status badges, the progress bar, error and empty
 * states, loading text, the states of a query (`QueryView`), cursor-paged lists
 * (`useCursorList`, `LoadMore`) and the confirmation dialog. Everything renders text only.
 */
import { type Unpriced, unpricedNote } from '@runledger/client';
import { type InfiniteData, useInfiniteQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { type ReactNode, useEffect, useMemo } from 'react';
import { ApiError, isNotFound } from '../api';
import { fmtInt, fmtPct, fmtUsd, fmtVersion } from '../format';

/** A run or result status as a coloured badge. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}

/**
 * A run's status as a badge: a `completed` run whose items failed is not shown in the ok tone
 * (the status says every item has a result, not that they passed): amber when some failed, red
 * when all did, its title saying how many.
 */
export function RunStatusBadge({
  run,
}: {
  run: { status: string; failedCount: number; totalItems: number };
}) {
  if (run.status !== 'completed' || run.failedCount === 0) {
    return <StatusBadge status={run.status} />;
  }
  const all = run.failedCount === run.totalItems;
  return (
    <span
      className={`badge badge-completed ${all ? 'badge-all-failed' : 'badge-some-failed'}`}
      title={`completed: ${fmtInt(run.failedCount)} of ${fmtInt(run.totalItems)} items failed`}
    >
      {run.status}
    </span>
  );
}

/** A progress bar (role progressbar) with the percentage written beside it. */
export function ProgressBar({ value, label }: { value: number; label?: string }) {
  const pct = Math.max(0, Math.min(1, value));
  return (
    <div className="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(pct * 100)}
        aria-label={label ?? 'progress'}
      >
        <div className="progress-fill" style={{ width: `${pct * 100}%` }} />
      </div>
      <span className="progress-text">{fmtPct(pct, 0)}</span>
    </div>
  );
}

/** An API error: "not found" for 404s, else the problem's title and detail. */
export function ErrorBox({ error, what }: { error: unknown; what?: string | undefined }) {
  if (isNotFound(error)) {
    return (
      <div className="notice notice-error" role="alert">
        <strong>{what ? `${what} not found` : 'Not found'}</strong>
        <p>
          It does not exist, was deleted, or has expired (finished runs live for their retention).
        </p>
      </div>
    );
  }
  const title = error instanceof ApiError ? `${error.title || 'Error'} (${error.status})` : 'Error';
  const detail =
    error instanceof ApiError
      ? error.detail
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title}</strong>
      {detail && <p className="error-detail">{detail}</p>}
    </div>
  );
}

/** What to do when there is nothing to show. */
export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** Loading text. */
export function Loading({ what = 'Loading' }: { what?: string | undefined }) {
  return <p className="muted">{what}…</p>;
}

/** What `QueryView` reads of a TanStack query (a `useQuery` or `useInfiniteQuery` result). */
export interface QueryLike<T> {
  isPending: boolean;
  isError: boolean;
  error: unknown;
  data: T | undefined;
}

/**
 * The states of one query, in one place: `Loading` (text `loading`, default "Loading") while it
 * is pending, `ErrorBox` when it failed (`what` names the thing on a 404: "<what> not found"),
 * `Empty` holding `empty` when `isEmpty(data)`, else `children(data)`. A query that failed on a
 * refetch shows the error, not its older data.
 */
export function QueryView<T>(props: {
  query: QueryLike<T>;
  loading?: string;
  what?: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { query } = props;
  if (query.isPending) return <Loading what={props.loading} />;
  if (query.isError || query.data === undefined) {
    return <ErrorBox error={query.error} what={props.what} />;
  }
  if (props.isEmpty?.(query.data)) return <Empty>{props.empty}</Empty>;
  return props.children(query.data);
}

/** A page of a cursor-paged list of the API (`nextCursor`: null on the last page). */
export interface CursorPage {
  nextCursor: string | null;
}

/** The rows' field of a page type `P` (`'datasets'` of `DatasetList`). */
export type RowsField<P> = { [K in keyof P]: P[K] extends readonly unknown[] ? K : never }[keyof P];

/** The type of a row in field `K` of page type `P`. */
export type RowOf<P, K extends keyof P> = P[K] extends readonly (infer T)[] ? T : never;

/**
 * A cursor-paged list read a page at a time (`useInfiniteQuery`): `fetchPage(cursor)` reads a
 * page (`cursor` null: the first), `field` names the page's array of rows. Returns the query
 * (`hasNextPage`, `fetchNextPage`, ...) and the rows of every page read, in order (the same
 * array until a page arrives). `refetchInterval(pages)`: ms until the pages are read again, or
 * false (the default: not again while shown); `enabled: false` reads nothing (yet).
 */
export function useCursorList<P extends CursorPage, K extends RowsField<P>>(
  queryKey: readonly unknown[],
  fetchPage: (cursor: string | null) => Promise<P>,
  field: K,
  options: { refetchInterval?: (pages: P[]) => number | false; enabled?: boolean } = {},
) {
  const { refetchInterval, enabled = true } = options;
  const query = useInfiniteQuery<
    P,
    Error,
    InfiniteData<P, string | null>,
    readonly unknown[],
    string | null
  >({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: null,
    getNextPageParam: (page) => page.nextCursor,
    refetchInterval: refetchInterval ? (q) => refetchInterval(q.state.data?.pages ?? []) : false,
    enabled,
  });
  const rows = useMemo(
    () => query.data?.pages.flatMap((page) => page[field] as readonly RowOf<P, K>[]) ?? [],
    [query.data, field],
  );
  return { query, rows };
}

/** The button under a cursor-paged list that reads its next page; nothing on the last page. */
export function LoadMore({
  query,
  children,
}: {
  query: { hasNextPage: boolean; fetchNextPage: () => unknown };
  children: ReactNode;
}) {
  if (!query.hasNextPage) return null;
  return (
    <button type="button" onClick={() => query.fetchNextPage()}>
      {children}
    </button>
  );
}

/** A shell command the user can copy. */
export function Command({ children }: { children: string }) {
  return <code className="command">{children}</code>;
}

/** Label/value pairs as a definition list. */
export function Facts({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** An inline confirmation panel (no modal, no window.confirm), shown while `open`. */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  body: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  if (!props.open) return null;
  return (
    <div className="confirm" role="alertdialog" aria-label={props.title}>
      <h3>{props.title}</h3>
      <div>{props.body}</div>
      <div className="actions">
        <button type="button" onClick={props.onCancel}>
          Keep
        </button>
        <button type="button" className="danger" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </div>
  );
}

/**
 * A run's dataset: a stored dataset (numeric version) links to its page; a dataset named only
 * on the run (inline items) links to the runs over it.
 */
export function DatasetLink({ id, version }: { id: string | null; version: string | null }) {
  if (!id) return <span className="muted">inline items</span>;
  const text = `${id}${version ? ` ${fmtVersion(version)}` : ''}`;
  return version && /^\d+$/.test(version) ? (
    <Link
      to="/datasets/$datasetId"
      params={{ datasetId: id }}
      search={{ version: Number(version) }}
    >
      {text}
    </Link>
  ) : (
    <Link to="/runs" search={{ datasetId: id }} title="runs over this dataset">
      {text}
    </Link>
  );
}

/** Sets the tab's title to `<title> · runledger` while the page is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · runledger`;
  }, [title]);
}

/**
 * A cost (USD) and, when results with tokens had no price, what it leaves out in the warning
 * colour (`$0` alone would read as free): the whole `unpricedNote`, or with `compact` (tables)
 * `N unpriced` with the note as its title.
 */
export function Cost({
  of,
  compact = false,
}: {
  of: { costUsd: number; unpriced: Unpriced };
  compact?: boolean;
}) {
  const note = unpricedNote(of);
  return (
    <span>
      {fmtUsd(of.costUsd)}
      {note ? (
        <span className="warn small" data-testid="unpriced" title={compact ? note : undefined}>
          {' '}
          · {compact ? `${fmtInt(of.unpriced.results)} unpriced` : note}
        </span>
      ) : null}
    </span>
  );
}
