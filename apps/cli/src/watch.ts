/**
 * Follows a run to its end over the SSE stream (`GET /v1/runs/:id/events`), feeding an optional
 * cli-progress bar with the `progress` events. The watch survives an API restart: when the
 * stream drops before a terminal status it reconnects with `Last-Event-ID` (backoff 250 ms
 * doubling to 5 s), for up to `reconnectForMs` (a minute) without any answer; then it gives up
 * with a `WatchGaveUpError` that says the run goes on and how to follow it.
 */

import { isTransientError, timeLeft } from '@runledger/client';
import { Presets, SingleBar } from 'cli-progress';
import { type RunDetails, type RunledgerClient, TERMINAL_STATUSES } from './client.js';
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

/**
 * Runs `watch` with a signal that aborts at the first SIGINT (Ctrl-C) while it runs; an
 * interrupted watch ends in `ExitError` (exit code 130) with `message`, which says that the run
 * goes on and how to follow or stop it: Ctrl-C stops the watching, not the run. Further SIGINTs
 * (npm and tsx pass on a Ctrl-C the process already got from the terminal) are ignored until
 * the process exits.
 * @throws ExitError(130) when interrupted; what `watch` throws otherwise.
 */
export async function stopWatchOnInterrupt<T>(
  watch: (signal: AbortSignal) => Promise<T>,
  message: string,
): Promise<T> {
  const controller = new AbortController();
  const onInterrupt = () => controller.abort(new Error('interrupted (SIGINT)'));
  process.on('SIGINT', onInterrupt);
  try {
    return await watch(controller.signal);
  } catch (err) {
    if (controller.signal.aborted) throw new ExitError(EXIT_CODES.interrupted, message);
    throw err;
  } finally {
    // once interrupted, the listener stays: a repeated SIGINT must not kill the process before
    // it has said how to follow the run
    if (!controller.signal.aborted) process.off('SIGINT', onInterrupt);
  }
}

/**
 * The bar's time-left note, e.g. ` | eta 4m05s`: the items left at the pace seen since the watch
 * began (`timeLeft` of the items finished since `start`, over the ms since it); '' until an item
 * finished after it began, or when nothing is left. Times in ms since epoch.
 */
export function etaNote(
  start: { atMs: number; done: number },
  done: number,
  total: number,
  nowMs: number,
): string {
  const left = timeLeft(done - start.done, nowMs - start.atMs, total - done);
  return left === null ? '' : ` | eta ${left}`;
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
  return isTransientError(err);
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
 * Watches `runId` until it is completed, failed or cancelled, over `client.runs.events` (which
 * reconnects with `Last-Event-ID`, backoff from `retryDelayMs` doubling to 5 s, and gives up
 * after `reconnectForMs` without an answer).
 * @returns the run as fetched after its terminal status (never a stale status).
 * @throws RunledgerApiError (e.g. 404: the run was deleted), ApiUnreachableError when the first
 *   fetch fails, WatchGaveUpError after `reconnectForMs` without an answer.
 */
export async function watchRun(
  client: RunledgerClient,
  runId: string,
  options: WatchRunOptions = {},
): Promise<RunDetails> {
  let run = await client.runs.get(runId);
  if (TERMINAL_STATUSES.includes(run.status)) return run;
  const bar = options.progress ? createBar(options.progress) : null;
  /** Where the watch began, for the time left (`etaNote`). */
  let start: { atMs: number; done: number } | null = null;
  const payload = (p: ProgressData, status: string) => {
    start ??= { atMs: Date.now(), done: p.done };
    return {
      status,
      succeeded: p.succeeded,
      failed: p.failed,
      cancelled: p.cancelled,
      timeLeft: etaNote(start, p.done, p.total, Date.now()),
    };
  };
  let status: string = run.status;
  let progress: ProgressData = {
    done: run.succeededCount + run.failedCount + run.cancelledCount,
    total: run.totalItems,
    succeeded: run.succeededCount,
    failed: run.failedCount,
    cancelled: run.cancelledCount,
  };
  bar?.start(progress.total, progress.done, payload(progress, status));
  let fresh = true;
  const reconnectForMs = options.reconnectForMs ?? DEFAULT_RECONNECT_FOR_MS;
  const firstDelay = options.retryDelayMs ?? 250;
  const gaveUp = (err: unknown) =>
    new WatchGaveUpError(runId, run, reasonOf(err), Math.round(reconnectForMs / 1000));
  try {
    try {
      for await (const event of client.runs.events(runId, {
        ...(options.signal ? { signal: options.signal } : {}),
        reconnect: { minDelayMs: firstDelay, maxDelayMs: 5000, giveUpAfterMs: reconnectForMs },
        onConnection: (change) =>
          options.onConnection?.(
            change.state === 'lost'
              ? { state: 'lost', reason: reasonOf(change.error) }
              : { state: 'back' },
          ),
      })) {
        if (event.event === 'progress') {
          progress = { ...event.data };
          bar?.setTotal(progress.total);
          bar?.update(progress.done, payload(progress, status));
        } else {
          status = event.data.status;
          bar?.update(progress.done, payload(progress, status));
        }
      }
    } catch (err) {
      options.signal?.throwIfAborted();
      if (!isTransient(err)) throw err;
      fresh = false;
      throw gaveUp(err);
    }
    options.signal?.throwIfAborted();
    // the run after its terminal status; the API may go away right then
    let lostSince: number | null = null;
    for (;;) {
      try {
        run = await client.runs.get(runId);
        break;
      } catch (err) {
        options.signal?.throwIfAborted();
        if (!isTransient(err)) throw err;
        lostSince ??= Date.now();
        if (Date.now() - lostSince >= reconnectForMs) {
          fresh = false;
          throw gaveUp(err);
        }
        await new Promise((r) => setTimeout(r, firstDelay));
      }
    }
  } finally {
    if (bar) {
      const done = run.succeededCount + run.failedCount + run.cancelledCount;
      bar.update(Math.max(done, progress.done), {
        status: fresh ? run.status : 'unknown (API unreachable)',
        succeeded: run.succeededCount,
        failed: run.failedCount,
        cancelled: run.cancelledCount,
        timeLeft: '',
      });
      bar.stop();
    }
  }
  return run;
}

function createBar(stream: NodeJS.WritableStream): SingleBar {
  return new SingleBar(
    {
      stream,
      format:
        '{bar} {percentage}% | {value}/{total} items | {status} | ok {succeeded} failed {failed} cancelled {cancelled} | {duration_formatted}{timeLeft}',
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
  /** Runs after the summary is printed and before the gates are checked (e.g. more lines to print). */
  afterSummary?: (run: RunDetails) => Promise<void>;
}

/**
 * `watchRun` with a progress bar, then prints the finished run (`formatJson` or
 * `formatRunSummary`) with `out` and checks it against `gates`: what `submit --watch`,
 * `rerun --watch` and `runs get --watch` do.
 * @returns the finished run when every check held.
 * Ctrl-C stops the watch (exit code 130, `stopWatchOnInterrupt`), not the run.
 * @throws ExitError with the exit code of the first failed check (see `EXIT_CODES`) and one line
 *   per failed check, or 130 when interrupted; WatchGaveUpError (exit code 2); what `watchRun` throws.
 */
export async function followRun(
  client: RunledgerClient,
  runId: string,
  options: FollowRunOptions,
): Promise<RunDetails> {
  const run = await stopWatchOnInterrupt(
    (signal) =>
      watchRun(client, runId, {
        progress: options.progress,
        signal,
        ...(options.reconnectForMs !== undefined ? { reconnectForMs: options.reconnectForMs } : {}),
        onConnection: (event) =>
          options.err?.(
            event.state === 'lost'
              ? `watch: lost the API at ${client.baseUrl} (${event.reason}); reconnecting\n`
              : 'watch: reconnected\n',
          ),
      }),
    `stopped watching run ${runId}; it goes on: follow it with "runledger runs get ${runId} --watch", stop it with "runledger runs cancel ${runId}"`,
  );
  options.out(options.json ? formatJson(run) : formatRunSummary(run, client.baseUrl));
  await options.afterSummary?.(run);
  const outcome = evaluateGates([runSubject(run)], options.gates ?? DEFAULT_GATES);
  if (outcome.code !== EXIT_CODES.ok)
    throw new ExitError(outcome.code, outcome.failures.join('\n'));
  return run;
}
