/**
 * Totals over the runs listed (the filtered pages loaded so far) and the same figures grouped
 * by target and, where the target config names one, its model: runs, items, tokens, cost,
 * average duration and pooled pass rate.
 */
import type { Run } from '../api';
import { fmtInt, fmtMs, fmtPct, fmtUsd } from '../format';

interface Totals {
  key: string;
  runs: number;
  items: number;
  tokens: number;
  cost: number;
  durationMs: number;
  finished: number;
  passed: number;
  scored: number;
}

const empty = (key: string): Totals => ({
  key,
  runs: 0,
  items: 0,
  tokens: 0,
  cost: 0,
  durationMs: 0,
  finished: 0,
  passed: 0,
  scored: 0,
});

function add(t: Totals, run: Run): void {
  t.runs++;
  t.items += run.totalItems;
  t.tokens += run.usage.inputTokens + run.usage.outputTokens;
  t.cost += run.costUsd;
  if (run.startedAt && run.completedAt) {
    t.finished++;
    t.durationMs += Date.parse(run.completedAt) - Date.parse(run.startedAt);
  }
  for (const s of Object.values(run.scores)) {
    t.passed += s.passed;
    t.scored += run.totalItems; // pass rate = passed / items, as the API defines it
  }
}

/** `target` or `target · model` when `target.config.model` is a string. */
export function groupKey(run: Run): string {
  const model = run.target.config?.model;
  return typeof model === 'string' && model ? `${run.target.name} · ${model}` : run.target.name;
}

/** Totals over `runs`, then per target (and model). */
export function summarizeRuns(runs: Run[]): { all: Totals; groups: Totals[] } {
  const all = empty('all');
  const groups = new Map<string, Totals>();
  for (const run of runs) {
    add(all, run);
    const key = groupKey(run);
    const g = groups.get(key) ?? empty(key);
    groups.set(key, g);
    add(g, run);
  }
  return { all, groups: [...groups.values()].sort((a, b) => b.runs - a.runs) };
}

const cells = (t: Totals) => [
  fmtInt(t.runs),
  fmtInt(t.items),
  fmtInt(t.tokens),
  fmtUsd(t.cost),
  t.finished ? fmtMs(t.durationMs / t.finished) : '–',
  t.scored ? fmtPct(t.passed / t.scored) : '–',
];

const HEAD = ['Runs', 'Items', 'Tokens', 'Cost', 'Avg duration', 'Pass rate'];

/** The totals line and the per-target table (folded). */
export function RunTotals({ runs, more }: { runs: Run[]; more: boolean }) {
  const { all, groups } = summarizeRuns(runs);
  return (
    <details className="totals">
      <summary data-testid="run-totals">
        {HEAD.map((h, i) => (
          <span key={h}>
            <span className="muted">{h}</span> {cells(all)[i]}
          </span>
        ))}
        <span className="muted small">
          over the {fmtInt(all.runs)} runs listed{more ? ' (load older runs to include them)' : ''}{' '}
          · by target ▾
        </span>
      </summary>
      <table className="table compact" aria-label="runs by target">
        <thead>
          <tr>
            <th>Target</th>
            {HEAD.map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.key}>
              <td>{g.key}</td>
              {cells(g).map((c, i) => (
                <td key={HEAD[i]}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
