/**
 * Follows a run to its end over the SSE stream (`GET /v1/runs/:id/events`), feeding an optional
 * cli-progress bar with the `progress` events, reconnecting with `Last-Event-ID` when the stream
 * drops before a terminal status.
 */
import { type Run, type RunStatus, TERMINAL_STATUSES } from '@runledger/shared';
import { Presets, SingleBar } from 'cli-progress';
import type { RunledgerClient } from './client.js';
import { formatJson, formatRunSummary } from './format.js';

/** Options of `watchRun`. */
export interface WatchRunOptions {
  /** Where to draw the progress bar (a TTY redraws; otherwise a line every 2 s); null: no bar. */
  progress?: NodeJS.WritableStream | null;
  /** Stops watching (the promise then rejects with the abort reason). */
  signal?: AbortSignal;
  /** Consecutive failed reconnects before giving up. @defaultValue 5 */
  maxReconnects?: number;
}

interface ProgressData {
  done: number;
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

/**
 * Watches `runId` until it is completed, failed or cancelled.
 * @returns the run as fetched after its terminal status.
 * @throws ApiError (e.g. 404), ApiUnreachableError after `maxReconnects` failed reconnects.
 */
export async function watchRun(
  client: RunledgerClient,
  runId: string,
  options: WatchRunOptions = {},
): Promise<Run> {
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
  const maxReconnects = options.maxReconnects ?? 5;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      let terminal = false;
      try {
        for await (const event of client.events(runId, {
          ...(lastEventId ? { lastEventId } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        })) {
          failures = 0;
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
        options.signal?.throwIfAborted();
        if ((err as Error).name === 'ApiError' || ++failures > maxReconnects) throw err;
      }
      run = await client.getRun(runId);
      if (terminal || TERMINAL_STATUSES.includes(run.status)) break;
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** failures, 5000)));
    }
  } finally {
    if (bar) {
      const done = run.succeededCount + run.failedCount + run.cancelledCount;
      bar.update(Math.max(done, progress.done), {
        status: run.status,
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
  /** Makes the error thrown when the run did not complete (the CLI's one-line failure). */
  fail: (message: string) => Error;
}

/**
 * `watchRun` with a progress bar, then prints the finished run (`formatJson` or
 * `formatRunSummary`) with `out`: what `submit --watch` and `rerun --watch` do.
 * @returns the finished run.
 * @throws `fail("run ID ended STATUS[: error]")` unless it completed, or what `watchRun` throws.
 */
export async function followRun(
  client: RunledgerClient,
  runId: string,
  options: FollowRunOptions,
): Promise<Run> {
  const run = await watchRun(client, runId, { progress: options.progress });
  options.out(options.json ? formatJson(run) : formatRunSummary(run));
  if (run.status !== 'completed') {
    throw options.fail(`run ${run.id} ended ${run.status}${run.error ? `: ${run.error}` : ''}`);
  }
  return run;
}
