/**
 * The fault suite's accounting rows: appended by each test to `test-results/faults-report.json`
 * and printed as a table. No workspace imports: the suite's globalSetup loads this module, and
 * globalSetup modules do not resolve the `@runledger/source` export condition.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where every fault test appends its accounting row (gitignored). */
export const REPORT_FILE = join(process.cwd(), 'test-results', 'faults-report.json');

/** Jepsen-style accounting of one run after a fault. */
export interface Accounting {
  fault: string;
  runId: string;
  status: string | null;
  totalItems: number;
  /** Results stored (HLEN of the results hash). */
  results: number;
  /** Items without a result. */
  lost: number;
  /** Results beyond one per item: items in more than one status bitmap, hash fields outside the run. */
  duplicatedResults: number;
  /**
   * Counter mismatches: |counter - results with that status| and |bitmap count - results with that
   * status| summed over succeeded/failed/cancelled, plus bitmap entries whose result has another status.
   */
  wrongCounters: number;
  /** True when the run was not terminal when accounted. */
  stuck: boolean;
  /** Attempts the target received for the run. */
  executions: number;
  /** Items the target saw more than once. */
  executedTwice: number;
  /** Recovery time, ms (fault-specific; null when not measured). */
  recoveryMs: number | null;
  /** Anything else the fault reports. */
  notes: string;
}

/** Prints `row` as a table line and appends it to `REPORT_FILE`. */
export function report(row: Accounting): void {
  mkdirSync(dirname(REPORT_FILE), { recursive: true });
  let rows: Accounting[] = [];
  try {
    rows = JSON.parse(readFileSync(REPORT_FILE, 'utf8')) as Accounting[];
  } catch {
    rows = [];
  }
  rows.push(row);
  writeFileSync(REPORT_FILE, `${JSON.stringify(rows, null, 2)}\n`);
  console.log(formatTable([row]));
}

/** The accounting rows as a fixed-width table. */
export function formatTable(rows: Accounting[]): string {
  const head = [
    'fault',
    'items',
    'status',
    'lost',
    'dup results',
    'wrong counters',
    'stuck',
    'executions',
    'executed twice',
    'recovery ms',
    'notes',
  ];
  const body = rows.map((r) => [
    r.fault,
    String(r.totalItems),
    String(r.status),
    String(r.lost),
    String(r.duplicatedResults),
    String(r.wrongCounters),
    r.stuck ? 'YES' : 'no',
    String(r.executions),
    String(r.executedTwice),
    r.recoveryMs === null ? '-' : String(Math.round(r.recoveryMs)),
    r.notes,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join(' | ')}`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
