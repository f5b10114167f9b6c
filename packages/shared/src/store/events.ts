/**
 * A run's events (its stream, `<prefix>:{<runId>}:events`: status and progress, resumable by
 * stream id) and the fleet's cancel channel (pub/sub, fire and forget: the run's status is the
 * source of truth, docs/architecture.md#cancel-delete-and-the-claim-lease).
 */
import type { RedisClient } from '../redis.js';
import type { RunEvent } from '../schemas.js';
import type { StoreResources } from './resources.js';
import { pairsToRecord } from './scripts.js';

function toEvent([id, fields]: [string, string[]]): RunEvent {
  const h = pairsToRecord(fields);
  return {
    id,
    type: h.type === 'progress' ? 'progress' : 'status',
    data: JSON.parse(h.data ?? '{}') as Record<string, unknown>,
  };
}

/** Reads and waits on run event streams; publishes and receives cancel notices. */
export class RunEvents {
  constructor(private readonly r: StoreResources) {}

  /** Events after stream id `afterId` (exclusive; `0` for all), oldest first, at most `count`. */
  async readEvents(runId: string, afterId = '0', count = 1000): Promise<RunEvent[]> {
    const start = afterId === '0' ? '-' : `(${afterId}`;
    const entries = await this.r.redis.xrange(
      this.r.keys.run(runId).events,
      start,
      '+',
      'COUNT',
      count,
    );
    return entries.map(toEvent);
  }

  /**
   * Waits up to `blockMs` for events after `afterId` on `connection`, a dedicated connection
   * (XREAD BLOCK holds it). Returns [] on timeout.
   */
  async waitForEvents(
    connection: RedisClient,
    runId: string,
    afterId: string,
    blockMs: number,
  ): Promise<RunEvent[]> {
    const reply = await connection.xread(
      'COUNT',
      1000,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.r.keys.run(runId).events,
      afterId,
    );
    if (!reply) return [];
    return reply.flatMap(([, entries]) => entries.map(toEvent));
  }

  /** Time of the run's latest event (ms since epoch, from its stream id), or null when it has none. */
  async lastEventAt(runId: string): Promise<number | null> {
    const entries = await this.r.redis.xrevrange(
      this.r.keys.run(runId).events,
      '+',
      '-',
      'COUNT',
      1,
    );
    const at = Number(entries[0]?.[0].split('-')[0]);
    return Number.isFinite(at) ? at : null;
  }

  /** Tells every worker that `runId` was cancelled, stopped or deleted; returns the receivers counted by Redis. */
  async publishCancel(runId: string): Promise<number> {
    return this.r.redis.publish(this.r.keys.cancelChannel, runId);
  }

  /**
   * Subscribes `connection` (dedicated: it enters subscriber mode) to the cancel channel.
   * `onCancel` receives each cancelled, stopped or deleted run id.
   */
  async subscribeCancel(connection: RedisClient, onCancel: (runId: string) => void): Promise<void> {
    const channel = this.r.keys.cancelChannel;
    connection.on('message', (ch: string, message: string) => {
      if (ch === channel) onCancel(message);
    });
    await connection.subscribe(channel);
  }
}
