/**
 * A run's events as Server-Sent Events: replays the stored stream after `Last-Event-ID`, then
 * tails it with `XREAD BLOCK` on a connection of its own, until the terminal status event, the
 * client leaving, or the run being deleted or expiring.
 */
import { type Logger, type RunEvent, TERMINAL_STATUSES } from '@runledger/shared';
import type { SSEStreamingApi } from 'hono/streaming';
import type { Cluster, Redis } from 'ioredis';
import type { AppDeps } from '../context.js';

/** How long one XREAD BLOCK of an SSE stream waits before a keep-alive comment, ms. */
export const SSE_BLOCK_MS = 5000;

/** Events read per XRANGE while replaying. */
const REPLAY_PAGE = 1000;

const isTerminal = (event: RunEvent): boolean =>
  event.type === 'status' &&
  TERMINAL_STATUSES.includes(event.data.status as (typeof TERMINAL_STATUSES)[number]);

/**
 * Writes run `runId`'s events after stream id `after` (`0`: all) to `stream`, then follows it
 * live. Resolves when the stream ends; errors are logged (debug when the connection was closed
 * on purpose), never thrown.
 */
export async function tailRunEvents(
  deps: Pick<AppDeps, 'store' | 'openBlockingRedis'>,
  stream: SSEStreamingApi,
  runId: string,
  after: string,
  logger: Logger,
): Promise<void> {
  const { events, runs } = deps.store;
  let connection: Redis | Cluster | null = null;
  const close = () => {
    connection?.disconnect();
    connection = null;
  };
  stream.onAbort(close);
  /** Sends events; true once a terminal status event went out. */
  const send = async (batch: RunEvent[]): Promise<boolean> => {
    for (const event of batch) {
      await stream.writeSSE({ event: event.type, id: event.id, data: JSON.stringify(event.data) });
      if (isTerminal(event)) return true;
    }
    return false;
  };
  try {
    let last = after;
    // replay what is stored, in pages
    for (;;) {
      const batch = await events.readEvents(runId, last, REPLAY_PAGE);
      if (await send(batch)) return;
      if (batch.length > 0) last = batch[batch.length - 1]!.id;
      if (batch.length < REPLAY_PAGE) break;
    }
    // then live, on a dedicated connection (XREAD BLOCK holds it)
    if (stream.aborted) return;
    connection = deps.openBlockingRedis();
    while (!stream.aborted && connection) {
      const batch = await events.waitForEvents(connection, runId, last, SSE_BLOCK_MS);
      if (batch.length === 0) {
        if ((await runs.getRunStatus(runId)) === null) return; // deleted or expired
        await stream.write(': keep-alive\n\n');
        continue;
      }
      if (await send(batch)) return;
      last = batch[batch.length - 1]!.id;
    }
  } catch (err) {
    // a connection disconnected on purpose (client gone, server closing) is no error
    const closedOnPurpose = stream.aborted || !connection || connection.status === 'end';
    if (closedOnPurpose) logger.debug({ err, runId }, 'event stream closed');
    else logger.warn({ err, runId }, 'event stream ended by an error');
  } finally {
    close();
  }
}
