/**
 * /compare/:a/:b: run b (candidate) against run a (baseline) for one scorer, from
 * `GET /v1/runs/:a/compare/:b`: improved / regressed / unchanged counts, pass rates and their
 * difference with the paired bootstrap 95% interval, latency / cost / token deltas, and the
 * items side by side (regressions first), each with both outputs and the expected one.
 * A 409 (different dataset versions) shows the API's reason.
 */
import { differencePairs } from '@runledger/client';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { useCallback, useMemo } from 'react';
import { type Compare, compareRuns, getRun, loadResults, type Result, type Run } from '../api';
import { ErrorBox, Loading, StatusBadge, useTitle } from '../components/common';
import type { Column } from '../components/data-table';
import { VirtualTable } from '../components/virtual-table';
import { fmtInt, fmtMs, fmtPct, fmtPp, fmtPpInterval, fmtUsd, preview } from '../format';
import type { CompareSearch } from '../router';

/** Results read per run for the item table. */
export const COMPARE_MAX_ITEMS = 20_000;

type Change = 'regressed' | 'improved' | 'unchanged';
interface Pair {
  itemId: string;
  change: Change;
  a: Result;
  b: Result;
}

/** The two runs of a pair: a (baseline) and b (candidate). */
const SIDES = ['a', 'b'] as const;

const ORDER: Record<Change, number> = { regressed: 0, improved: 1, unchanged: 2 };

/** Joins the results of a and b by item id; regressions first, then improvements, in item order. */
function pairUp(compare: Compare, resultsA: Result[], resultsB: Result[]): Pair[] {
  const regressed = new Set(compare.byPass.regressedItems);
  const improved = new Set(compare.byPass.improvedItems);
  const byId = new Map(resultsB.map((r) => [r.itemId, r]));
  const pairs: Pair[] = [];
  for (const a of resultsA) {
    const b = byId.get(a.itemId);
    if (!b) continue;
    const change: Change = regressed.has(a.itemId)
      ? 'regressed'
      : improved.has(a.itemId)
        ? 'improved'
        : 'unchanged';
    pairs.push({ itemId: a.itemId, change, a, b });
  }
  return pairs.sort((x, y) => ORDER[x.change] - ORDER[y.change] || x.a.itemIndex - y.a.itemIndex);
}

const verdict = (r: Result, scorer: string) => {
  const s = r.scores[scorer];
  return s ? (s.passed ? '✓' : '✗') : r.status === 'succeeded' ? '–' : r.status;
};

/** A figure of a run, compared in the deltas table: `of(run)`, printed by `format`. */
interface Metric {
  label: string;
  of: (run: Run) => number | null;
  format: (v: number | null) => string;
  lowerIsBetter: boolean;
}

/** The figures of every run compared after the pass rates (lower is better for each). */
const RUN_METRICS: Metric[] = [
  { label: 'latency p50', of: (r) => r.latencyMs.p50, format: fmtMs, lowerIsBetter: true },
  { label: 'latency p99', of: (r) => r.latencyMs.p99, format: fmtMs, lowerIsBetter: true },
  { label: 'cost', of: (r) => r.costUsd, format: fmtUsd, lowerIsBetter: true },
  {
    label: 'tokens',
    of: (r) => r.usage.inputTokens + r.usage.outputTokens,
    format: fmtInt,
    lowerIsBetter: true,
  },
];

/** The pass rate of scorer `s` as a figure (higher is better). */
const passRate = (s: string): Metric => ({
  label: `${s} pass rate`,
  of: (r) => r.scores[s]?.passRate ?? null,
  format: fmtPct,
  lowerIsBetter: false,
});

/** A row of the deltas table: `metric` of a, of b, and b − a coloured good or bad. */
function Delta({ metric, a: runA, b: runB }: { metric: Metric; a: Run; b: Run }) {
  const { format, lowerIsBetter } = metric;
  const a = metric.of(runA);
  const b = metric.of(runB);
  let d = a === null || b === null ? null : b - a;
  // a difference that prints as zero is no difference
  if (d !== null && format(Math.abs(d)) === format(0)) d = 0;
  const cls = d === null || d === 0 ? '' : d < 0 === lowerIsBetter ? 'ok' : 'bad';
  return (
    <tr>
      <td>{metric.label}</td>
      <td>{format(a)}</td>
      <td>{format(b)}</td>
      <td className={cls}>
        {d === null ? '–' : `${d > 0 ? '+' : d < 0 ? '−' : ''}${format(Math.abs(d))}`}
      </td>
    </tr>
  );
}

function Summary({ compare, a, b }: { compare: Compare; a: Run; b: Run }) {
  const ciText = compare.ci95 ? `95% CI ${fmtPpInterval(compare.ci95)}` : 'no interval';
  const significant = compare.ci95 !== null && (compare.ci95[0] > 0 || compare.ci95[1] < 0);
  return (
    <>
      <div className="cards">
        <div className="card card-bad" data-testid="regressed">
          <h3>Regressed</h3>
          <div className="big">{fmtInt(compare.byPass.regressed)}</div>
          <div className="muted small">passed in a, failed in b</div>
        </div>
        <div className="card card-ok" data-testid="improved">
          <h3>Improved</h3>
          <div className="big">{fmtInt(compare.byPass.improved)}</div>
          <div className="muted small">failed in a, passed in b</div>
        </div>
        <div className="card" data-testid="unchanged">
          <h3>Unchanged</h3>
          <div className="big">{fmtInt(compare.byPass.unchanged)}</div>
          <div className="muted small">
            {fmtInt(compare.items)} items joined
            {compare.unmatched ? ` · ${fmtInt(compare.unmatched)} unmatched` : ''}
          </div>
        </div>
        <div className="card" data-testid="diff-card">
          <h3>Pass rate ({compare.scorer})</h3>
          <div className="big">
            {fmtPct(compare.passRateA)} → {fmtPct(compare.passRateB)}
          </div>
          <div
            className={
              significant ? (compare.diff !== null && compare.diff < 0 ? 'bad' : 'ok') : 'muted'
            }
          >
            {fmtPp(compare.diff)}
            <div className="small">{ciText}</div>
          </div>
          <div className="muted small">
            paired bootstrap, {fmtInt(compare.bootstrap.resamples)} resamples
            {significant ? '' : ' · not significant'}
          </div>
        </div>
      </div>
      <table className="table compact" aria-label="deltas">
        <thead>
          <tr>
            <th />
            <th>a (baseline)</th>
            <th>b (candidate)</th>
            <th>b − a</th>
          </tr>
        </thead>
        <tbody>
          {[
            ...Object.keys(a.scores)
              .filter((s) => b.scores[s])
              .map(passRate),
            ...RUN_METRICS,
          ].map((metric) => (
            <Delta key={metric.label} metric={metric} a={a} b={b} />
          ))}
        </tbody>
      </table>
    </>
  );
}

/**
 * What sets run b apart from run a (`Compare.differences`): one entry per target field that
 * differs, a's value then b's (the full value as the title of a cut one); nothing when the
 * targets are the same.
 */
function Differences({ d }: { d: Compare['differences'] }) {
  const rows = differencePairs(d);
  if (rows.length === 0) return null;
  return (
    <div className="differences muted small">
      differs in
      <ul aria-label="differences">
        {rows.map(([path, a, b]) => (
          <li key={path} className="mono">
            {path} <span title={a.full}>{a.shown}</span> → <span title={b.full}>{b.shown}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The compare page. */
export function ComparePage() {
  useTitle('Compare');
  const { a: idA, b: idB } = useParams({ from: '/compare/$a/$b' });
  const search = useSearch({ from: '/compare/$a/$b' });
  const navigate = useNavigate({ from: '/compare/$a/$b' });
  const show = search.show ?? 'changed';
  const runA = useQuery({ queryKey: ['run', idA], queryFn: () => getRun(idA) });
  const runB = useQuery({ queryKey: ['run', idB], queryFn: () => getRun(idB) });
  const compare = useQuery({
    queryKey: ['compare', idA, idB, search.scorer],
    queryFn: () => compareRuns(idA, idB, search.scorer),
  });
  const results = useQuery({
    queryKey: ['compare-results', idA, idB],
    queryFn: async () =>
      Promise.all([loadResults(idA, COMPARE_MAX_ITEMS), loadResults(idB, COMPARE_MAX_ITEMS)]),
    enabled: compare.isSuccess,
    staleTime: 30_000,
  });
  const pairs = useMemo(
    () =>
      compare.data && results.data ? pairUp(compare.data, results.data[0], results.data[1]) : [],
    [compare.data, results.data],
  );
  const shown = useMemo(
    () =>
      show === 'all'
        ? pairs
        : pairs.filter((p) => (show === 'changed' ? p.change !== 'unchanged' : p.change === show)),
    [pairs, show],
  );
  const scorer = compare.data?.scorer ?? '';
  const rowAt = useCallback((i: number) => shown[i] as Pair, [shown]);
  const open = useCallback(
    (i: number) => {
      const p = shown[i];
      if (p)
        navigate({
          to: '/runs/$runId/items/$itemId',
          params: { runId: idB, itemId: p.itemId },
          search: { i: p.b.itemIndex },
        });
    },
    [shown, navigate, idB],
  );
  const columns = useMemo<Column<Pair>[]>(
    () => [
      {
        head: 'Item',
        width: 'minmax(90px,1fr)',
        cell: (p) => <span className="mono">{p.itemId}</span>,
      },
      { head: 'Change', width: '100px', cell: (p) => <StatusBadge status={p.change} /> },
      ...SIDES.map((side) => ({
        head: side,
        width: '40px',
        cell: (p: Pair) => verdict(p[side], scorer),
      })),
      {
        head: 'Expected',
        width: 'minmax(120px,2fr)',
        cell: (p) => <span className="clip muted">{preview(p.a.expectedOutput, 100)}</span>,
      },
      ...SIDES.map((side) => ({
        head: `Output ${side}`,
        width: 'minmax(120px,2fr)',
        cell: (p: Pair) => (
          <span className="clip">{preview(p[side].output ?? p[side].error?.message, 100)}</span>
        ),
      })),
    ],
    [scorer],
  );

  const title = (r: Run | undefined, id: string) => (
    <Link to="/runs/$runId" params={{ runId: id }} search={{}}>
      {r?.name ?? id}
    </Link>
  );

  return (
    <section className="compare-page">
      <div className="page-head">
        <h1>Compare</h1>
        <div>
          <span className="muted">a</span> {title(runA.data, idA)}{' '}
          <span className="muted">→ b</span> {title(runB.data, idB)}{' '}
          <Link to="/compare/$a/$b" params={{ a: idB, b: idA }} search={{}} className="button">
            Swap
          </Link>
        </div>
      </div>
      {compare.isSuccess && <Differences d={compare.data.differences} />}
      {runA.data && runA.data.scorers.length > 1 && (
        <label>
          Scorer{' '}
          <select
            value={search.scorer ?? runA.data.scorers[0]?.name}
            onChange={(e) =>
              navigate({ search: (s: CompareSearch) => ({ ...s, scorer: e.target.value }) })
            }
          >
            {runA.data.scorers.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {compare.isPending ? (
        <Loading what="Comparing" />
      ) : compare.isError ? (
        <ErrorBox error={compare.error} what="Run" />
      ) : runA.data && runB.data ? (
        <Summary compare={compare.data} a={runA.data} b={runB.data} />
      ) : runA.isError || runB.isError ? (
        <ErrorBox error={runA.error ?? runB.error} what="Run" />
      ) : (
        <Loading />
      )}
      {compare.isSuccess && (
        <>
          <div className="results-head">
            <h2>Items</h2>
            <fieldset className="segmented" aria-label="item filter">
              {(['changed', 'regressed', 'improved', 'all'] as const).map((s) => (
                <button
                  key={s}
                  type="button"
                  aria-pressed={show === s}
                  onClick={() =>
                    navigate({ search: (old: CompareSearch) => ({ ...old, show: s }) })
                  }
                >
                  {s}
                </button>
              ))}
            </fieldset>
          </div>
          {results.isPending ? (
            <Loading what="Loading results" />
          ) : results.isError ? (
            <ErrorBox error={results.error} />
          ) : shown.length === 0 ? (
            <p className="empty">No {show === 'all' ? '' : `${show} `}items.</p>
          ) : (
            <VirtualTable
              label="compared items"
              columns={columns}
              rows={{ count: shown.length, rowAt }}
              onOpen={open}
            />
          )}
          {results.data &&
            (results.data[0].length >= COMPARE_MAX_ITEMS ||
              results.data[1].length >= COMPARE_MAX_ITEMS) && (
              <p className="muted small">
                Items beyond the first {fmtInt(COMPARE_MAX_ITEMS)} of each run are not listed.
              </p>
            )}
        </>
      )}
    </section>
  );
}
