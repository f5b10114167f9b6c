/**
 * A run's Server-Sent Events (`GET /v1/runs/:id/events`) as an async iterator that reconnects
 * after a dropped connection, resuming with `Last-Event-ID`, and ends after the terminal status.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { RunledgerApiError } from './errors.js';
import { isAbortError, sleep } from './retry.js';
import type { RunEvent, RunStatus } from './types.js';

/** The statuses after which a run never changes again. */
export const TERMINAL_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

/** How `runs.events` reconnects after the stream dropped before the terminal status. */
export interface ReconnectOptions {
  /** First delay, ms; doubles per failed attempt. @defaultValue 250 */
  minDelayMs?: number;
  /** Largest delay, ms. @defaultValue 5000 */
  maxDelayMs?: number;
  /**
   * Give up (throw the last error) once the API has not answered for this long, counted from
   * the first failure since the last answer, ms. @defaultValue 60000
   */
  giveUpAfterMs?: number;
}

/** Options of `runs.events`. */
export interface RunEventsOptions {
  /** Resume after this event id (the `id` of a `RunEvent`); default: from the run's first event. */
  lastEventId?: string;
  /** Ends the iteration (the iterator returns quietly). */
  signal?: AbortSignal;
  /** `false`: never reconnect (a dropped stream throws). @defaultValue {} (the defaults above) */
  reconnect?: ReconnectOptions | false;
  /** Told when the connection was lost (with the error) and when it is back. */
  onConnection?: (event: { state: 'lost'; error: unknown } | { state: 'back' }) => void;
}

/** The stream ended before the run's terminal status (the server went away or closed it). */
export class StreamEndedError extends Error {
  override name = 'StreamEndedError';
}

/** True when `err` is worth reconnecting after: a network error, a drop, 429 or 5xx. */
export function isTransientError(err: unknown): boolean {
  if (err instanceof RunledgerApiError) return err.status === 429 || err.status >= 500;
  return !isAbortError(err);
}

/**
 * Iterates the events of one run. `connect(lastEventId, signal)` opens the stream (throws a
 * `RunledgerApiError` on an error answer). Ends after a `status` event with a terminal status.
 * @throws RunledgerApiError (e.g. 404: the run does not exist or was deleted), or the last
 *   network error once `giveUpAfterMs` passed without an answer (at once with `reconnect: false`).
 */
export async function* iterateRunEvents(
  connect: (lastEventId: string | undefined, signal: AbortSignal | undefined) => Promise<Response>,
  options: RunEventsOptions = {},
): AsyncGenerator<RunEvent> {
  const { signal } = options;
  const reconnect = options.reconnect === false ? null : (options.reconnect ?? {});
  const minDelayMs = reconnect?.minDelayMs ?? 250;
  const maxDelayMs = reconnect?.maxDelayMs ?? 5000;
  const giveUpAfterMs = reconnect?.giveUpAfterMs ?? 60_000;
  let lastEventId = options.lastEventId;
  let failures = 0;
  let lostSince: number | null = null;
  const answered = () => {
    if (lostSince !== null) options.onConnection?.({ state: 'back' });
    lostSince = null;
    failures = 0;
  };
  for (;;) {
    if (signal?.aborted) return;
    try {
      const response = await connect(lastEventId, signal);
      answered();
      for await (const event of readEvents(response, signal)) {
        answered();
        lastEventId = event.id;
        yield event;
        if (event.event === 'status' && TERMINAL_STATUSES.includes(event.data.status)) return;
      }
      if (signal?.aborted) return;
      throw new StreamEndedError('the event stream ended before the run ended');
    } catch (err) {
      if (signal?.aborted) return;
      if (!reconnect || !isTransientError(err)) throw err;
      failures++;
      if (lostSince === null) {
        lostSince = Date.now();
        options.onConnection?.({ state: 'lost', error: err });
      } else if (Date.now() - lostSince >= giveUpAfterMs) {
        throw err;
      }
      const retryAfter = err instanceof RunledgerApiError ? err.retryAfterMs : undefined;
      const delay = retryAfter ?? Math.min(minDelayMs * 2 ** (failures - 1), maxDelayMs);
      try {
        await sleep(delay, signal);
      } catch {
        return;
      }
    }
  }
}

/** The events of one open SSE response, parsed (JSON data) until the body ends. */
async function* readEvents(
  response: Response,
  signal: AbortSignal | undefined,
): AsyncGenerator<RunEvent> {
  if (!response.body) return;
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => queue.push(message) });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      parser.feed(chunk.value);
      while (queue.length > 0) {
        const event = toRunEvent(queue.shift()!);
        if (event) yield event;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await reader.cancel().catch(() => {});
  }
}

function toRunEvent(message: EventSourceMessage): RunEvent | null {
  if (message.event !== 'status' && message.event !== 'progress') return null;
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return null;
  }
  return { id: message.id ?? '', event: message.event, data } as RunEvent;
}
