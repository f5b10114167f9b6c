/**
 * Synchronous replication of the writes that matter (`RUNLEDGER_REDIS_WAIT_REPLICAS`): after a
 * run commit, a result record or a cancel, `WAIT numreplicas timeout` on the same connection
 * blocks until that many replicas acknowledged every write the connection made before it.
 * Redis replication is asynchronous otherwise, so a failover may lose the last acknowledged
 * writes; with WAIT, an acknowledged write is on `replicas` replicas, and Sentinel promotes a
 * replica (the most up to date one) on failover.
 */
import type { RedisClient } from './redis.js';

/** `WAIT` settings: how many replicas, and how long to wait for them (ms). */
export interface WaitReplicas {
  replicas: number;
  timeoutMs: number;
}

/**
 * Fewer replicas than asked acknowledged a write within the timeout: the write is on the
 * master, but may be lost in a failover. Redis kind `replication` (503 `unavailable` in the API,
 * retried by workers' result writes).
 */
export class ReplicationTimeoutError extends Error {
  override name = 'ReplicationTimeoutError';
  constructor(
    readonly acknowledged: number,
    readonly wanted: number,
    readonly timeoutMs: number,
  ) {
    super(
      `Redis replication: ${acknowledged} of ${wanted} replicas acknowledged the write within ${timeoutMs} ms (RUNLEDGER_REDIS_WAIT_REPLICAS)`,
    );
  }
}

/**
 * Waits until `wait.replicas` replicas acknowledged every write `redis` made so far (`WAIT`).
 * No-op when `wait` is undefined or asks for 0 replicas. Not for a Cluster (WAIT goes to one
 * node): Cluster setups rely on their own replication settings.
 * @throws ReplicationTimeoutError when fewer acknowledged within `wait.timeoutMs`.
 */
export async function waitForReplicas(
  redis: RedisClient,
  wait: WaitReplicas | undefined,
): Promise<void> {
  if (!wait || wait.replicas <= 0 || 'nodes' in redis) return;
  const acknowledged = Number(await redis.wait(wait.replicas, wait.timeoutMs));
  if (acknowledged < wait.replicas) {
    throw new ReplicationTimeoutError(acknowledged, wait.replicas, wait.timeoutMs);
  }
}

/** `WaitReplicas` from config (`RUNLEDGER_REDIS_WAIT_REPLICAS`, `..._TIMEOUT_MS`); undefined when 0. */
export function waitReplicasOf(config: {
  RUNLEDGER_REDIS_WAIT_REPLICAS: number;
  RUNLEDGER_REDIS_WAIT_TIMEOUT_MS: number;
}): WaitReplicas | undefined {
  return config.RUNLEDGER_REDIS_WAIT_REPLICAS > 0
    ? {
        replicas: config.RUNLEDGER_REDIS_WAIT_REPLICAS,
        timeoutMs: config.RUNLEDGER_REDIS_WAIT_TIMEOUT_MS,
      }
    : undefined;
}
