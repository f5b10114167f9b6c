/**
 * One item's result in full (`ItemView`): input, output and expected output side by side, the
 * diff of output against expected, scores, error, attempts, timings, usage, worker and metadata,
 * and for an `openai` run the messages it sent the model (`ModelRequest`).
 * Long values are shown whole, in scrollable panes. Shown as the page /runs/:id/items/:itemId
 * (`ItemPage`, a deep link; Esc goes back to the run) and in the run page's side panel
 * (`ItemPanel`; Esc closes it).
 */
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { useEffect } from 'react';
import { findResult, getItemRequest, getRun, type Result } from '../api';
import { ErrorBox, Facts, QueryView, StatusBadge, useTitle } from '../components/common';
import { type Column, DataTable } from '../components/data-table';
import { DiffView } from '../components/diff-view';
import { fmtInt, fmtMasked, fmtMs, fmtTime, fmtUsd, toText } from '../format';

function Pane({ title, value, testId }: { title: string; value: unknown; testId: string }) {
  return (
    <div className="pane">
      <h3>{title}</h3>
      <pre className="value" data-testid={testId}>
        {value === null || value === undefined ? (
          <span className="muted">(none)</span>
        ) : (
          toText(value)
        )}
      </pre>
    </div>
  );
}

/** The item page (a deep link): the item in full; Esc goes back to the run. */
export function ItemPage() {
  const { runId, itemId } = useParams({ from: '/runs/$runId/items/$itemId' });
  useTitle(`Item ${itemId}`);
  const { i } = useSearch({ from: '/runs/$runId/items/$itemId' });
  const navigate = useNavigate();

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') navigate({ to: '/runs/$runId', params: { runId }, search: {} });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate, runId]);

  return (
    <section className="item-page">
      <Link to="/runs/$runId" params={{ runId }} search={{}}>
        ← run {runId}
      </Link>
      <ItemView runId={runId} itemId={itemId} index={i} heading="h1" />
    </section>
  );
}

/**
 * The item beside the run's results (the run page's `?item=`): the same view as the item page,
 * a link to that page, and a close button; Esc closes it (`onClose`).
 */
export function ItemPanel({
  runId,
  itemId,
  index,
  onClose,
}: {
  runId: string;
  itemId: string;
  index: number | undefined;
  onClose: () => void;
}) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <aside className="side-panel" aria-label="item" data-testid="item-panel">
      <div className="side-panel-bar">
        <Link
          to="/runs/$runId/items/$itemId"
          params={{ runId, itemId }}
          search={{ i: index }}
          className="small"
        >
          open as a page ↗
        </Link>
        <button type="button" onClick={onClose} aria-label="close item (Esc)">
          ✕
        </button>
      </div>
      <ItemView runId={runId} itemId={itemId} index={index} heading="h2" />
    </aside>
  );
}

/**
 * Item `itemId` of run `runId` in full (`index`: its item index when known, so one request finds
 * it); `heading`: the level of its title.
 */
export function ItemView({
  runId,
  itemId,
  index,
  heading,
}: {
  runId: string;
  itemId: string;
  index: number | undefined;
  heading: 'h1' | 'h2';
}) {
  const query = useQuery({
    queryKey: ['result', runId, itemId],
    queryFn: () => findResult(runId, itemId, index),
  });
  return (
    <QueryView
      query={query}
      loading="Loading item"
      what={`Run ${runId}`}
      isEmpty={(r) => r === null}
      empty={
        <p>
          Item <code>{itemId}</code> has no result in this run (yet): it may still be queued, or the
          run has no such item.
        </p>
      }
    >
      {(r) => r && <ResultView r={r} heading={heading} />}
    </QueryView>
  );
}

const SCORE_COLUMNS: Column<[string, Result['scores'][string]]>[] = [
  { head: 'Scorer', cell: ([name]) => name },
  { head: 'Score', cell: ([, s]) => s.score.toFixed(3) },
  {
    head: 'Verdict',
    cell: ([, s]) => (s.passed ? 'passed' : 'failed'),
    td: ([, s]) => ({ className: s.passed ? 'ok' : 'bad' }),
  },
];

/** A result in full; `heading`: the level of its title. */
function ResultView({ r, heading }: { r: Result; heading: 'h1' | 'h2' }) {
  const hasExpected = r.expectedOutput !== null && r.expectedOutput !== undefined;
  const masked = fmtMasked(r.masked);
  const Title = heading;
  return (
    <div className="item-view">
      <div className="page-head">
        <Title>
          Item <span className="mono">{r.itemId}</span> <StatusBadge status={r.status} />
        </Title>
        <span className="muted">index {r.itemIndex}</span>
      </div>
      {r.error && (
        <div className="notice notice-error" data-testid="item-error">
          <strong>
            {r.error.type}
            {r.error.status !== undefined ? ` (status ${r.error.status})` : ''}
          </strong>
          <pre className="value">{r.error.message}</pre>
        </div>
      )}
      {masked && (
        <p className="notice" data-testid="masked">
          <strong>Masked</strong> by the run's privacy policy before it was stored (shown as{' '}
          <code>[kind]</code>): <span data-testid="masked-counts">{masked}</span>
        </p>
      )}
      <div className="panes">
        <Pane title="Input" value={r.input} testId="input" />
        <Pane title="Output" value={r.output} testId="output" />
        <Pane title="Expected output" value={r.expectedOutput} testId="expected" />
      </div>
      <h2>Output against expected</h2>
      {hasExpected ? (
        <DiffView expected={r.expectedOutput} actual={r.output} />
      ) : (
        <p className="muted">This item has no expected output.</p>
      )}
      <div className="two-col">
        <div>
          <h2>Scores</h2>
          {Object.keys(r.scores).length === 0 ? (
            <p className="muted">
              No scores (the target failed, the item was cancelled, or the run has no scorers).
            </p>
          ) : (
            <DataTable
              label="scores"
              columns={SCORE_COLUMNS}
              rows={Object.entries(r.scores)}
              rowKey={([name]) => name}
            />
          )}
        </div>
        <div>
          <h2>Execution</h2>
          <Facts
            items={[
              ['Attempts', String(r.attempts)],
              ['Latency', fmtMs(r.latencyMs)],
              ['Queue wait', fmtMs(r.queueMs)],
              ['Started', fmtTime(r.startedAt)],
              ['Completed', fmtTime(r.completedAt)],
              [
                'Tokens in / out',
                r.usage
                  ? `${fmtInt(r.usage.inputTokens)} / ${fmtInt(r.usage.outputTokens)}${r.usage.model ? ` (${r.usage.model})` : ''}`
                  : '–',
              ],
              [
                'Cost',
                // tokens and no cost: say why (see Run.unpriced)
                r.costUsd === null && r.usage && r.usage.inputTokens + r.usage.outputTokens > 0
                  ? `– (${r.usage.model ? `no price for model "${r.usage.model}"` : 'no model to price by'})`
                  : fmtUsd(r.costUsd),
              ],
              ['Worker', r.workerId ?? '–'],
              ...(r.trialIndex !== undefined
                ? ([['Trial', String(r.trialIndex)]] as [string, string][])
                : []),
            ]}
          />
        </div>
      </div>
      <ModelRequest runId={r.runId} index={r.itemIndex} />
      <h2>Metadata</h2>
      {r.metadata && Object.keys(r.metadata).length > 0 ? (
        <pre className="value">{toText(r.metadata)}</pre>
      ) : (
        <p className="muted">No metadata.</p>
      )}
    </div>
  );
}

/**
 * What item `index` of an `openai` run sent the model (`GET /v1/runs/:id/items/:index/request`):
 * the URL and model, each message by role, and the other parameters; nothing for other targets.
 */
function ModelRequest({ runId, index }: { runId: string; index: number }) {
  const run = useQuery({ queryKey: ['run', runId], queryFn: () => getRun(runId) });
  const openai = run.data?.target.name === 'openai';
  const request = useQuery({
    queryKey: ['item-request', runId, index],
    queryFn: () => getItemRequest(runId, index),
    enabled: openai,
  });
  if (!openai) return null;
  const body = request.data?.body;
  const messages = Array.isArray(body?.messages)
    ? (body.messages as { role?: unknown; content?: unknown }[])
    : [];
  const params = body
    ? Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'messages' && k !== 'model'))
    : {};
  return (
    <section data-testid="model-request">
      <h2>Sent to the model</h2>
      {request.isError ? (
        <ErrorBox error={request.error} what="The request" />
      ) : !request.data ? (
        <p className="muted">Rendering the request…</p>
      ) : (
        <>
          <p className="muted small mono">
            {request.data.method} {request.data.url} · model {toText(body?.model)}
          </p>
          {messages.map((m, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: messages have no id; their order is fixed
            <div key={i} className="pane" data-testid="message">
              <h3>{toText(m.role)}</h3>
              <pre className="value">{toText(m.content)}</pre>
            </div>
          ))}
          {Object.keys(params).length > 0 ? (
            <div className="pane">
              <h3>parameters</h3>
              <pre className="value" data-testid="request-params">
                {toText(params)}
              </pre>
            </div>
          ) : null}
        </>
      )}
    </section>
  );
}
