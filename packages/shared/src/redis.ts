/**
 * The Redis connection factory: every ioredis connection of runledger is made here.
 */
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import { Redis } from 'ioredis';

/** What a connection is for; each role gets the options BullMQ and ioredis recommend for it. */
export type RedisRole =
  /** Ordinary commands (run store, producers): fail fast when Redis is down. */
  | 'command'
  /** Blocking reads (BullMQ workers, XREAD BLOCK, pub/sub): retry forever. */
  | 'blocking';

/**
 * Opens an ioredis connection to `url` (e.g. `redis://127.0.0.1:6379`).
 * `command` connections fail requests after 3 retries and queue nothing while offline-for-good;
 * `blocking` connections use `maxRetriesPerRequest: null` as BullMQ workers require.
 * Both reconnect by themselves with a capped backoff (50 ms * attempt, max 2 s).
 */
export function createRedis(
  url: string,
  role: RedisRole = 'command',
  extra: { lazyConnect?: boolean; connectionName?: string } = {},
): Redis {
  return new Redis(url, {
    connectionName: extra.connectionName ?? `runledger-${role}`,
    lazyConnect: extra.lazyConnect ?? false,
    retryStrategy: (times: number) => Math.min(times * 50, 2000),
    maxRetriesPerRequest: role === 'blocking' ? null : 3,
  });
}

/**
 * BullMQ connection options for `url`: BullMQ creates and owns (and closes) these connections.
 * `blocking` for workers (`maxRetriesPerRequest: null`), `command` for producers (fail fast).
 */
export function bullConnection(url: string, role: RedisRole): BullRedisOptions {
  return {
    url,
    retryStrategy: (times: number) => Math.min(times * 50, 2000),
    ...(role === 'blocking' ? { maxRetriesPerRequest: null } : { enableOfflineQueue: false }),
  };
}
