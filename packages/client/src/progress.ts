/** Reading a run's progress, shared by the CLI and the dashboard. */
import type { Run } from './types.js';

/**
 * The time left for `left` items at the pace of `finished` items in `elapsedMs` (ms), for
 * people: `9s`, `4m05s`, `25h00m`; null when the pace is unknown (nothing finished yet, no time
 * elapsed) or nothing is left. A linear estimate: retries and a slower tail make it optimistic.
 */
export function timeLeft(finished: number, elapsedMs: number, left: number): string | null {
  if (finished <= 0 || elapsedMs <= 0 || left <= 0) return null;
  const seconds = Math.ceil((left * elapsedMs) / finished / 1000);
  const m = Math.floor(seconds / 60);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${m}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The time left of a running run (`timeLeft`) at its pace since it started, at `nowMs` (ms since
 * epoch); null unless it is `running` (not ending) with a `startedAt` and an item done.
 */
export function runTimeLeft(
  run: Pick<
    Run,
    | 'status'
    | 'startedAt'
    | 'ending'
    | 'totalItems'
    | 'succeededCount'
    | 'failedCount'
    | 'cancelledCount'
  >,
  nowMs: number,
): string | null {
  if (run.status !== 'running' || !run.startedAt || run.ending) return null;
  const done = run.succeededCount + run.failedCount + run.cancelledCount;
  return timeLeft(done, nowMs - Date.parse(run.startedAt), run.totalItems - done);
}
