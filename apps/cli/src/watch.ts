/**
 * Follows a run to its end over the SSE stream (`GET /v1/runs/:id/events`), feeding an optional
 * cli-progress bar with the `progress` events. The watch survives an API restart: when the
 * stream drops before a terminal status it reconnects with `Last-Event-ID` (backoff 250 ms
 * doubling to 5 s), for up to `reconnectForMs` (a minute) without any answer; then it gives up
 * with a `WatchGaveUpError` that says the run goes on and how to follow it.
 */
import { type RunStatus, TERMINAL_STATUSES } from '@runledger/shared';
import { Presets, SingleBar } from 'cli-progress';
import type { RunDetails, RunledgerClient } from './client.js';
import { formatJson, formatRunSummary } from './format.js';
import {
  DEFAULT_GATES,
  EXIT_CODES,
  ExitError,
  evaluateGates,
  type Gates,
  runSubject,
} from './gates.js';

/** How long a watch keeps trying to reach a lost API before it gives up, ms. */
export const DEFAULT_RECONNECT_FOR_MS = 60_000;

/** Options of `watchRun`. */
export interface WatchRunOptions {
  /** Where to draw the progress bar (a TTY redraws; otherwise a line every 2 s); null: no bar. */
  progress?: NodeJS.WritableStream | null;
  /** Stops watching (the promise then rejects with the abort reason). */
  signal?: AbortSignal;
  /**
   * How long to keep reconnecting while the API does not answer (counted from the first failure
   * since the last answer), ms. @defaultValue DEFAULT_RECONNECT_FOR_MS (60 000)
   */
  reconnectForMs?: number;
  /** First reconnect delay, ms; doubles on each failure up to 5000. @defaultValue 250 */
  retryDelayMs?: number;
  /** Told when the API is lost (with the reason) and when the watch got it back. */
  onConnection?: (event: { state: 'lost'; reason: string } | { state: 'back' }) => void;
}

/**
 * The watch gave up reaching the API (exit code 2). The run itself goes on; `message` says how
 * to follow it. `lastRun` is the run as last fetched (its status may be stale).
 */
export class WatchGaveUpError extends ExitError {
  override name = 'WatchGaveUpError';
  constructor(
    readonly runId: string,
    readonly lastRun: RunDetails,
    reason: string,
    seconds: number,
  ) {
    super(
      EXIT_CODES.notCompleted,
      `gave up watching run ${runId}: no answer from the API for ${seconds} s (${reason}); ` +
        `the run goes on: follow it with "runledger runs get ${runId} --watch"`,
    );
  }
}

interface ProgressData {
  done: number;
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

/** True for errors worth retrying: the API unreachable, a dropped stream, 429 or 5xx. */
export function isTransient(err: unknown): boolean {
  const e = err as { name?: string; status?: number };
  if (e?.name === 'ApiError') return e.status === 429 || (e.status ?? 0) >= 500;
  return true;
}

function reasonOf(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: unknown };
  if (e?.name === 'ApiUnreachableError') {
    const m = /\(([^)]*)\)/.exec(e.message ?? '');
    return m?.[1] ?? 'unreachable';
  }
  return (e?.message ?? String(err)).split('\n')[0] ?? 'error';
}

/**
 * Watches `runId` until it is completed, failed or cancelled.
 * @returns the run as fetched after its terminal status (never a stale status).
 * @throws ApiError (e.g. 404: the run was deleted), ApiUnreachableError when the first fetch
 *   fails, WatchGaveUpError after `reconnectForMs` without an answer.
 */
export async function watchRun(
  client: RunledgerClient,
  runId: string,
  options: WatchRunOptions = {},
): Promise<RunDetails> {
  let run = await client.getRun(runId);
  if (TERMINAL_STATUSES.includes(run.status)) return run;
  const bar = options.progress ? createBar(options.progress) : null;
  const payload = (p: ProgressData, status: string) => ({
    status,
    succeeded: p.succeeded,
    failed: p.failed,
    cancelled: p.cancelled,
  });
  let status: string = run.status;
  let progress: ProgressData = {
    done: run.succeededCount + run.failedCount + run.cancelledCount,
    total: run.totalItems,
    succeeded: run.succeededCount,
    failed: run.failedCount,
    cancelled: run.cancelledCount,
  };
  bar?.start(progress.total, progress.done, payload(progress, status));
  let lastEventId: string | undefined;
  let failures = 0;
  let lostSince: number | null = null;
  let lastReason = '';
  let fresh = true;
  const reconnectForMs = options.reconnectForMs ?? DEFAULT_RECONNECT_FOR_MS;
  const firstDelay = options.retryDelayMs ?? 250;
  const answered = () => {
    if (lostSince !== null) options.onConnection?.({ state: 'back' });
    lostSince = null;
    failures = 0;
  };
  const lost = (err: unknown) => {
    options.signal?.throwIfAborted();
    if (!isTransient(err)) throw err;
    lastReason = reasonOf(err);
    failures++;
    if (lostSince === null) {
      lostSince = Date.now();
      options.onConnection?.({ state: 'lost', reason: lastReason });
    }
  };
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      let terminal = false;
      try {
        for await (const event of client.events(runId, {
          ...(lastEventId ? { lastEventId } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        })) {
          answered();
          if (event.id) lastEventId = event.id;
          const data = (event.data ?? {}) as Record<string, unknown>;
          if (event.event === 'progress' && typeof data.done === 'number') {
            progress = {
              done: data.done,
              total: num(data.total, progress.total),
              succeeded: num(data.succeeded, 0),
              failed: num(data.failed, 0),
              cancelled: num(data.cancelled, 0),
            };
            bar?.setTotal(progress.total);
            bar?.update(progress.done, payload(progress, status));
          } else if (event.event === 'status' && typeof data.status === 'string') {
            status = data.status;
            bar?.update(progress.done, payload(progress, status));
            if (TERMINAL_STATUSES.includes(status as RunStatus)) {
              terminal = true;
              break;
            }
          }
        }
      } catch (err) {
        lost(err);
      }
      try {
        run = await client.getRun(runId);
        answered();
        fresh = true;
        if (terminal || TERMINAL_STATUSES.includes(run.status)) break;
      } catch (err) {
        lost(err);
        fresh = false;
      }
      if (lostSince !== null && Date.now() - lostSince >= reconnectForMs) {
        throw new WatchGaveUpError(runId, run, lastReason, Math.round(reconnectForMs / 1000));
      }
      const delay = Math.min(firstDelay * 2 ** Math.max(failures - 1, 0), 5000);
      await new Promise((r) => setTimeout(r, delay));
    }
  } finally {
    if (bar) {
      const done = run.succeededCount + run.failedCount + run.cancelledCount;
      bar.update(Math.max(done, progress.done), {
        status: fresh ? run.status : 'unknown (API unreachable)',
        succeeded: run.succeededCount,
        failed: run.failedCount,
        cancelled: run.cancelledCount,
      });
      bar.stop();
    }
  }
  return run;
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function createBar(stream: NodeJS.WritableStream): SingleBar {
  return new SingleBar(
    {
      stream,
      format:
        '{bar} {percentage}% | {value}/{total} items | {status} | ok {succeeded} failed {failed} cancelled {cancelled} | {duration_formatted}',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
}

/** Options of `followRun`. */
export interface FollowRunOptions {
  /** Where to draw the progress bar; null: none. */
  progress: NodeJS.WritableStream | null;
  /** Print the finished run as JSON instead of its summary. */
  json: boolean | undefined;
  out: (text: string) => void;
  /** Where reconnect notes go (`watch: lost the API ...`, `watch: reconnected`). */
  err?: (text: string) => void;
  /** The checks of the finished run. @defaultValue DEFAULT_GATES (completed, no failed item) */
  gates?: Gates;
  /** See `WatchRunOptions.reconnectForMs`. */
  reconnectForMs?: number | undefined;
}

/**
 * `watchRun` with a progress bar, then prints the finished run (`formatJson` or
 * `formatRunSummary`) with `out` and checks it against `gates`: what `submit --watch`,
 * `rerun --watch` and `runs get --watch` do.
 * @returns the finished run when every check held.
 * @throws ExitError with the exit code of the first failed check (see `EXIT_CODES`) and one line
 *   per failed check; WatchGaveUpError (exit code 2); what `watchRun` throws.
 */
export async function followRun(
  client: RunledgerClient,
  runId: string,
  options: FollowRunOptions,
): Promise<RunDetails> {
  const run = await watchRun(client, runId, {
    progress: options.progress,
    ...(options.reconnectForMs !== undefined ? { reconnectForMs: options.reconnectForMs } : {}),
    onConnection: (event) =>
      options.err?.(
        event.state === 'lost'
          ? `watch: lost the API at ${client.baseUrl} (${event.reason}); reconnecting\n`
          : 'watch: reconnected\n',
      ),
  });
  options.out(options.json ? formatJson(run) : formatRunSummary(run));
  const outcome = evaluateGates([runSubject(run)], options.gates ?? DEFAULT_GATES);
  if (outcome.code !== EXIT_CODES.ok)
    throw new ExitError(outcome.code, outcome.failures.join('\n'));
  return run;
}
