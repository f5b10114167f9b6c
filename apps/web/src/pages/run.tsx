/**
 * /runs/:id: the run's header (status, counters, live progress, timings, latency, usage,
 * lineage), one card per scorer (pass rate with its Wilson 95% interval, mean), the actions
 * (cancel, rerun, export, delete) and the virtualised results table.
 */

import { configLines, runTimeLeft } from '@runledger/client';
import { wilsonInterval } from '@runledger/shared/stats';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  cancelRun,
  deleteRun,
  downloadExport,
  followRunEvents,
  getRun,
  type Result,
  type ResultSort,
  type ResultStatus,
  type Run,
  rerunRun,
} from '../api';
import {
  ConfirmDialog,
  Cost,
  DatasetLink,
  ErrorBox,
  Facts,
  Loading,
  ProgressBar,
  RunStatusBadge,
  useTitle,
} from '../components/common';
import { LatencyChart } from '../components/latency-chart';
import { ResultsTable } from '../components/results-table';
import { useDebounced } from '../components/search-box';
import { fmtDuration, fmtInt, fmtMs, fmtPct, fmtPrivacy, fmtTime } from '../format';
import type { RunSearch } from '../router';
import { ItemPanel } from './item';

const isActive = (run: Run | undefined) => run?.status === 'queued' || run?.status === 'running';

/**
 * Keeps the run fresh while it is active: follows its event stream and refetches (at most every
 * 250 ms) when events arrive; polling every 2 s covers a stream that cannot be opened.
 */
function useLiveRun(runId: string) {
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: ['run', runId],
    queryFn: () => getRun(runId),
    refetchInterval: (q) => (isActive(q.state.data) ? 2000 : false),
  });
  const active = isActive(query.data);
  useEffect(() => {
    if (!active) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const refresh = () => {
      timer ??= setTimeout(() => {
        timer = null;
        queryClient.invalidateQueries({ queryKey: ['run', runId] });
        queryClient.invalidateQueries({ queryKey: ['results', runId] });
      }, 250);
    };
    followRunEvents(runId, refresh, controller.signal)
      .then(refresh)
      .catch(() => {
        // polling goes on
      });
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [active, runId, queryClient]);
  return query;
}

/**
 * One card per scorer: THE pass rate (`passed / totalItems`, the API's `passRate`) with its 95%
 * Wilson interval, the rate among scored items beside it, and the mean score.
 */
function ScorerCards({ run }: { run: Run }) {
  const entries = Object.entries(run.scores);
  if (entries.length === 0) return <p className="muted">This run has no scorers.</p>;
  return (
    <div className="cards">
      {entries.map(([name, s]) => {
        const n = run.totalItems;
        const [lo, hi] = n === 0 ? [null, null] : wilsonInterval(Math.min(s.passed, n), n);
        return (
          <div key={name} className="card" data-scorer={name}>
            <h3>{name}</h3>
            <div className="big">{fmtPct(s.passRate)}</div>
            <div className="muted small">
              95% CI {fmtPct(lo)} – {fmtPct(hi)} · of {fmtInt(n)} items
            </div>
            <div className="small" data-testid="of-scored">
              {fmtPct(s.passRateOfScored)} of scored · {fmtInt(s.passed)} passed ·{' '}
              {fmtInt(s.failed)} failed
              {s.errors ? ` · ${fmtInt(s.errors)} errors (not scored)` : ''} · mean{' '}
              {s.mean === null ? '–' : s.mean.toFixed(3)}
            </div>
          </div>
        );
      })}
    </div>
  );
}

/** Cancel, rerun, export and delete. */
function RunActions({ run }: { run: Run }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const onError = (err: unknown) => setError(err);

  const cancel = useMutation({
    mutationFn: () => cancelRun(run.id),
    onSuccess: (updated) => {
      queryClient.setQueryData(['run', run.id], updated);
      queryClient.invalidateQueries({ queryKey: ['results', run.id] });
    },
    onError,
  });
  const rerun = useMutation({
    mutationFn: (only: 'failed' | 'all') => rerunRun(run.id, only),
    onSuccess: (created) =>
      navigate({ to: '/runs/$runId', params: { runId: created.id }, search: {} }),
    onError,
  });
  const remove = useMutation({
    mutationFn: () => deleteRun(run.id),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: ['run', run.id] });
      queryClient.invalidateQueries({ queryKey: ['runs'] });
      navigate({ to: '/runs', search: {} });
    },
    onError,
  });
  const active = isActive(run);
  const retryable = run.failedCount + run.cancelledCount;

  return (
    <div className="run-actions">
      <div className="actions">
        {active && (
          <button
            type="button"
            className="danger"
            onClick={() => cancel.mutate()}
            disabled={cancel.isPending || Boolean(run.ending)}
          >
            {cancel.isPending || run.ending === 'cancelled' ? 'Cancelling…' : 'Cancel run'}
          </button>
        )}
        {!active && retryable > 0 && (
          <button type="button" onClick={() => rerun.mutate('failed')} disabled={rerun.isPending}>
            Rerun {fmtInt(retryable)}{' '}
            {run.cancelledCount === 0
              ? 'failed'
              : run.failedCount === 0
                ? 'cancelled'
                : 'failed or cancelled'}
          </button>
        )}
        {!active && (
          <button type="button" onClick={() => rerun.mutate('all')} disabled={rerun.isPending}>
            Rerun all
          </button>
        )}
        <button type="button" onClick={() => downloadExport(run.id, 'csv').catch(onError)}>
          Export CSV
        </button>
        <button type="button" onClick={() => downloadExport(run.id, 'jsonl').catch(onError)}>
          Export JSONL
        </button>
        <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
          Delete
        </button>
      </div>
      {error !== null && <ErrorBox error={error} />}
      <ConfirmDialog
        open={confirmDelete}
        title="Delete this run?"
        body={
          <p>
            Run <code>{run.name ?? run.id}</code> and its {fmtInt(run.totalItems)} results are
            deleted for good.
          </p>
        }
        confirmLabel="Delete run"
        onCancel={() => setConfirmDelete(false)}
        onConfirm={() => {
          setConfirmDelete(false);
          remove.mutate();
        }}
      />
    </div>
  );
}

/**
 * The results' search box (`q` in the URL, debounced 300 ms) and sort (latency, or score per
 * scorer); `/` focuses the search box.
 */
function ResultControls({
  run,
  search,
  onChange,
}: {
  run: Run;
  search: RunSearch;
  onChange: (next: Partial<RunSearch>) => void;
}) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.key !== '/' || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t?.tagName ?? '')) return;
      e.preventDefault();
      ref.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const [text, setText] = useDebounced(search.q ?? '', (q) => onChange({ q: q || undefined }));
  const sorts: [ResultSort | '', string][] = [
    ['', 'item order'],
    ['latency', 'latency ↑'],
    ['-latency', 'latency ↓'],
    ...run.scorers.flatMap((s): [ResultSort, string][] => [
      [`score:${s.name}`, `${s.name} ↑`],
      [`-score:${s.name}`, `${s.name} ↓`],
    ]),
  ];
  return (
    <div className="result-controls">
      <input
        ref={ref}
        type="search"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') e.currentTarget.blur();
        }}
        placeholder="search id, input, output  ( / )"
        aria-label="search results"
      />
      <select
        aria-label="sort results"
        value={search.sort ?? ''}
        onChange={(e) =>
          onChange({ sort: (e.target.value || undefined) as ResultSort | undefined })
        }
      >
        {sorts.map(([value, label]) => (
          <option key={value} value={value}>
            sort: {label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The run page. */
export function RunPage() {
  const { runId } = useParams({ from: '/runs/$runId' });
  useTitle(`Run ${runId}`);
  const search = useSearch({ from: '/runs/$runId' });
  const navigate = useNavigate({ from: '/runs/$runId' });
  const query = useLiveRun(runId);
  const run = query.data;
  const update = useCallback(
    (next: Partial<RunSearch>) =>
      navigate({ search: (old) => ({ ...old, ...next }), replace: true }),
    [navigate],
  );
  const openItem = useCallback(
    (r: Result) => navigate({ search: (old) => ({ ...old, item: r.itemId, i: r.itemIndex }) }),
    [navigate],
  );
  const closeItem = useCallback(
    () => navigate({ search: (old) => ({ ...old, item: undefined, i: undefined }) }),
    [navigate],
  );

  if (query.isPending) return <Loading what="Loading run" />;
  if (query.isError && !run) return <ErrorBox error={query.error} what={`Run ${runId}`} />;
  if (!run) return null;
  // a run deleted or expired while open: its refetch answers 404
  if (query.isError) return <ErrorBox error={query.error} what={`Run ${runId}`} />;

  const done = run.succeededCount + run.failedCount + run.cancelledCount;
  // while it runs: the time left at its pace since it started (re-rendered by its events)
  const left = runTimeLeft(run, Date.now());
  const privacy = fmtPrivacy(run.privacy);
  const setStatus = (status: ResultStatus | undefined) =>
    navigate({ search: (old) => ({ ...old, status }) });
  const setNotPassed = (notPassed: string | undefined) =>
    navigate({ search: (old) => ({ ...old, notPassed }) });
  const scorers = Object.entries(run.scores);

  return (
    <section className="run-page">
      <div className="page-head">
        <div>
          <h1>
            {run.name ?? <span className="mono">Run {run.id}</span>} <RunStatusBadge run={run} />
          </h1>
          {run.name && <div className="muted mono small">{run.id}</div>}
          {privacy && (
            <div className="small" data-testid="privacy" title="Run.privacy">
              Privacy: {privacy}
            </div>
          )}
        </div>
        <RunActions run={run} />
      </div>
      {run.error &&
        (run.status === 'cancelled' ? (
          // a cancel is a request, not a failure: said plainly, not in red
          <div className="notice" data-testid="run-ended">
            <strong>Cancelled:</strong> {run.error}
          </div>
        ) : (
          <div className="notice notice-error" data-testid="run-ended">
            <strong>Run error:</strong> {run.error}
          </div>
        ))}
      {run.ending && isActive(run) && (
        // a cancel or budget stop of a large run records its remaining items for a few seconds
        <div className="notice" data-testid="run-ending">
          <strong>{run.ending === 'cancelled' ? 'Cancelling' : 'Stopping (run fails)'}:</strong>{' '}
          recording the remaining {fmtInt(run.totalItems - done)} items as cancelled; no item
          starts.
        </div>
      )}
      <div className="run-progress">
        <ProgressBar value={run.progress} label="run progress" />
        <span data-testid="counters">
          {fmtInt(done)} / {fmtInt(run.totalItems)} items ·{' '}
          <span className="ok">{fmtInt(run.succeededCount)} succeeded</span> ·{' '}
          <span className="bad">{fmtInt(run.failedCount)} failed</span> ·{' '}
          {fmtInt(run.cancelledCount)} cancelled
          {left ? <span className="muted"> · about {left} left</span> : null}
        </span>
      </div>
      <Facts
        items={[
          [
            'Target',
            <span key="target">
              {run.target.name}
              {configLines(run.target.config).map(([path, shown, full]) => (
                <span key={path} className="muted small mono target-config" title={full}>
                  {path} {shown}
                </span>
              ))}
            </span>,
          ],
          [
            'Dataset',
            <DatasetLink key="dataset" id={run.datasetId} version={run.datasetVersion} />,
          ],
          ['Created', fmtTime(run.createdAt)],
          ['Started', fmtTime(run.startedAt)],
          ['Completed', fmtTime(run.completedAt)],
          ['Duration', fmtDuration(run.startedAt, run.completedAt)],
          [
            'Latency p50 / p90 / p99',
            `${fmtMs(run.latencyMs.p50)} / ${fmtMs(run.latencyMs.p90)} / ${fmtMs(run.latencyMs.p99)}`,
          ],
          ['Latency mean / max', `${fmtMs(run.latencyMs.mean)} / ${fmtMs(run.latencyMs.max)}`],
          [
            'Tokens in / out',
            `${fmtInt(run.usage.inputTokens)} / ${fmtInt(run.usage.outputTokens)}`,
          ],
          ['Cost', <Cost key="cost" of={run} />],
          ['Expires', fmtTime(run.expiresAt)],
          [
            'Lineage',
            <span key="lineage">
              {run.parentRunId ? (
                <>
                  rerun of{' '}
                  <Link to="/runs/$runId" params={{ runId: run.parentRunId }} search={{}}>
                    {run.parentRunId}
                  </Link>{' '}
                  (
                  <Link to="/compare/$a/$b" params={{ a: run.parentRunId, b: run.id }} search={{}}>
                    compare
                  </Link>
                  ){' '}
                </>
              ) : null}
              {run.experimentId ? (
                <>
                  experiment{' '}
                  <Link to="/experiments/$experimentId" params={{ experimentId: run.experimentId }}>
                    {run.experimentId}
                  </Link>
                  {run.variant ? ` · variant ${run.variant}` : ''}
                  {run.trialIndex !== undefined ? ` · trial ${run.trialIndex}` : ''}
                </>
              ) : null}
              {run.reruns.length > 0 ? (
                <>
                  {' '}
                  reruns:{' '}
                  {run.reruns.map((id) => (
                    <Link key={id} to="/runs/$runId" params={{ runId: id }} search={{}}>
                      {id}{' '}
                    </Link>
                  ))}
                </>
              ) : null}
              {!run.parentRunId && !run.experimentId && run.reruns.length === 0 ? '–' : null}
            </span>,
          ],
        ]}
      />
      <h2>Scorers</h2>
      <ScorerCards run={run} />
      {run.errorTypes.length > 0 && (
        <>
          <h2>Errors</h2>
          <table className="table compact" aria-label="errors by type">
            <thead>
              <tr>
                <th>Type</th>
                <th>Items</th>
                <th>First message</th>
              </tr>
            </thead>
            <tbody>
              {run.errorTypes.map((e) => (
                <tr key={e.type}>
                  <td className="mono">{e.type}</td>
                  <td>{fmtInt(e.count)}</td>
                  <td>
                    <span className="full-text">{e.message}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <LatencyChart run={run} />
      <div className="results-head">
        <h2>Results</h2>
        <fieldset className="segmented" aria-label="result status filter">
          {([undefined, 'succeeded', 'failed', 'cancelled'] as const).map((s) => (
            <button
              key={s ?? 'all'}
              type="button"
              aria-pressed={search.status === s}
              onClick={() => setStatus(s)}
            >
              {s ?? 'all'}{' '}
              <span className="muted">
                {fmtInt(
                  s === undefined
                    ? run.totalItems
                    : s === 'succeeded'
                      ? run.succeededCount
                      : s === 'failed'
                        ? run.failedCount
                        : run.cancelledCount,
                )}
              </span>
            </button>
          ))}
        </fieldset>
        {scorers.length > 0 && (
          // per scorer, the recorded results that did not pass it (the list the tab filters):
          // results so far - passed; the same as totalItems - passed once the run is done
          <fieldset className="segmented" aria-label="scorer filter">
            {scorers.map(([name, score]) => (
              <button
                key={name}
                type="button"
                aria-pressed={search.notPassed === name}
                onClick={() => setNotPassed(search.notPassed === name ? undefined : name)}
              >
                {name} not passed{' '}
                <span className="muted">{fmtInt(Math.max(0, done - score.passed))}</span>
              </button>
            ))}
          </fieldset>
        )}
        <ResultControls run={run} search={search} onChange={update} />
        <span className="muted small">j / k move · Enter opens · Esc closes · / searches</span>
      </div>
      <div className={search.item ? 'with-panel' : undefined}>
        <ResultsTable
          run={run}
          view={{
            status: search.status,
            q: search.q,
            sort: search.sort,
            notPassed: search.notPassed,
          }}
          onOpen={openItem}
        />
        {search.item && (
          <ItemPanel
            key={search.item}
            runId={run.id}
            itemId={search.item}
            index={search.i}
            onClose={closeItem}
          />
        )}
      </div>
    </section>
  );
}
