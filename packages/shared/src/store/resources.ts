/**
 * What every store module is built from: one Redis client, the key layout and the settings the
 * run keys share. `createStoreResources` also loads the run scripts onto the client
 * (./scripts.ts), so a module that holds the resources can call them.
 */
import type { ValueCipher } from '../encryption.js';
import { KeyLayout } from '../keys.js';
import type { RedisClient } from '../redis.js';
import type { WaitReplicas } from '../redis-replication.js';
import { ValueCodec } from './value-codec.js';

/** Options of the store modules (`RunStore`, `createStoreResources`). */
export interface RunStoreOptions {
  /** Key prefix. @defaultValue `runledger` */
  prefix?: string;
  /** Approximate max entries of a run's event stream. @defaultValue 10000 */
  eventsMaxLen?: number;
  /** TTL of a run's keys until it finishes, seconds. @defaultValue 2592000 (30 days) */
  safetyTtlSeconds?: number;
  /**
   * `WAIT` for replicas after a run commit, result records and a finish (cancel/fail): the call
   * resolves only once they hold the write (`RUNLEDGER_REDIS_WAIT_REPLICAS`; see
   * ../redis-replication.ts). @defaultValue none
   */
  waitReplicas?: WaitReplicas | undefined;
  /**
   * Encryption at rest of items, results and dataset items (`RUNLEDGER_ENCRYPTION_KEYS`,
   * `ValueCipher.fromEnv`): the first key encrypts, every key decrypts. @defaultValue none
   * (stored as plain JSON; encrypted values then fail to read with `DecryptionError`)
   */
  cipher?: ValueCipher | null | undefined;
  /**
   * Items an early end of a run (cancel, budget stop, a run that cannot go on) records
   * `cancelled` per finish-run-9 call: Redis answers nobody else for about 2-3 us per item of a
   * slice (`npm run bench:cancel`), so a huge run is ended in many short scripts
   * (`RUNLEDGER_FINISH_SLICE_ITEMS`). @defaultValue 10000
   */
  finishSliceItems?: number;
}

/** The shared resources of the store modules. */
export interface StoreResources {
  /**
   * A single-node `Redis` or a `Cluster` (`createRedis`). On a Cluster every script, pipeline and
   * transaction of the modules touches one run's keys (one hash tag) or one global key; reads
   * across runs are sent as separate commands.
   */
  readonly redis: RedisClient;
  /** The key layout (../keys.ts). */
  readonly keys: KeyLayout;
  /** Approximate max entries of a run's event stream. */
  readonly eventsMaxLen: number;
  /** TTL of a run's keys until it finishes, seconds. */
  readonly safetyTtlSeconds: number;
  /** Replicas the writes of runs wait for (`RunStoreOptions.waitReplicas`); none when undefined. */
  readonly waitReplicas: WaitReplicas | undefined;
  /** Encodes items, results and error messages for Redis, encrypted with a cipher (./value-codec.ts). */
  readonly codec: ValueCodec;
  /** Items an early end records `cancelled` per finish-run-9 call (`RunStoreOptions.finishSliceItems`). */
  readonly finishSliceItems: number;
}

/**
 * The resources for `redis` with `options`' defaults applied.
 * @throws RangeError when `finishSliceItems` is not an integer >= 1.
 */
export function createStoreResources(
  redis: RedisClient,
  options: RunStoreOptions = {},
): StoreResources {
  const finishSliceItems = options.finishSliceItems ?? 10_000;
  if (!Number.isInteger(finishSliceItems) || finishSliceItems < 1) {
    throw new RangeError(`finishSliceItems must be an integer >= 1, got ${finishSliceItems}`);
  }
  return {
    redis,
    keys: new KeyLayout(options.prefix ?? 'runledger'),
    eventsMaxLen: options.eventsMaxLen ?? 10_000,
    safetyTtlSeconds: options.safetyTtlSeconds ?? 30 * 24 * 3600,
    waitReplicas: options.waitReplicas,
    codec: new ValueCodec(options.cipher ?? null),
    finishSliceItems,
  };
}
