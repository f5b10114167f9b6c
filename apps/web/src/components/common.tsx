/**
 * Small shared pieces of the dashboard: status badges, the progress bar, error and empty
 * states, loading text and the confirmation dialog. Everything renders text only.
 */
import { Link } from '@tanstack/react-router';
import { type ReactNode, useEffect } from 'react';
import { ApiError, isNotFound } from '../api';
import { fmtPct, fmtVersion } from '../format';

/** A run or result status as a coloured badge. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
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
export function ErrorBox({ error, what }: { error: unknown; what?: string }) {
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
export function Loading({ what = 'Loading' }: { what?: string }) {
  return <p className="muted">{what}…</p>;
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
