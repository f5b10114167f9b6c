/**
 * The store modules over one Redis, each owning one concern, all built from one
 * `StoreResources` (client, key layout, settings) and given the other modules they use
 * explicitly. Callers take the modules they need (`const { runs, events } = store`);
 * docs/architecture.md#layers-and-processes has the module map.
 *
 * | module | file | owns |
 * |--------|------|------|
 * | `scripts` | ./scripts.ts | every run Lua script, typed argument by argument; reply decoding |
 * | `hash` | ./run-hash.ts | the run hash: the fields written at commit, `Run` decoding, narrow reads |
 * | `runs` | ./runs.ts | staging, commit (with its index entries), get, list, reruns, delete |
 * | `results` | ./results.ts | result pages, effective results, items, latency histogram |
 * | `execution` | ./execution.ts | claim, record results, end a run early |
 * | `events` | ./events.ts | the event stream (read, wait), the cancel channel |
 * | `active` | ./active-runs.ts | the one index of runs in flight |
 * | `retention` | ./retention.ts | keep-last groups of finished runs, runs pruned pending deletion |
 * | `snapshots` | ./snapshots.ts | a finished run's snapshot lines, importing a snapshot |
 * | `fleet` | ./fleet.ts | workers, targets, metrics, run slots, open chunks, reconciler lock |
 * | `apiKeys`, `idempotency`, `quotas` | ./access.ts | API keys, Idempotency-Keys, runs in flight per project |
 * | `datasets` | ../dataset-store.ts | datasets and their versions |
 */
import type { Config } from '../config.js';
import { DatasetStore } from '../dataset-store.js';
import { ValueCipher } from '../encryption.js';
import type { KeyLayout } from '../keys.js';
import type { RedisClient } from '../redis.js';
import { waitReplicasOf } from '../redis-replication.js';
import { ApiKeys, IdempotencyKeys, ProjectQuotas } from './access.js';
import { ActiveRuns } from './active-runs.js';
import { RunEvents } from './events.js';
import { RunExecution } from './execution.js';
import { Fleet } from './fleet.js';
import { createStoreResources, type RunStoreOptions, type StoreResources } from './resources.js';
import { RunResults } from './results.js';
import { RunRetention } from './retention.js';
import { RunHash } from './run-hash.js';
import { Runs } from './runs.js';
import { RunScripts } from './scripts.js';
import { RunSnapshots } from './snapshots.js';

export type { ApiKeyInfo, CreatedApiKey } from './access.js';
export { ApiKeys, hashApiKey, IdempotencyKeys, ProjectQuotas } from './access.js';
export { type ActiveRun, ActiveRuns } from './active-runs.js';
export { RunEvents } from './events.js';
export {
  type ClaimOutcome,
  type EncodedResults,
  type ResultRecord,
  RunExecution,
} from './execution.js';
export { Fleet } from './fleet.js';
export { createStoreResources, type RunStoreOptions, type StoreResources } from './resources.js';
export {
  COMPACT_FIELDS,
  canonicalStoredResult,
  decodeStoredResult,
  encodeStoredResult,
} from './result-codec.js';
export { type ResultPageOptions, RunResults, readStatusBits, toResult } from './results.js';
export { RunRetention } from './retention.js';
export { committedRun, type NewRun, RunHash, type RunSummary } from './run-hash.js';
export { type RunFilter, Runs } from './runs.js';
export type { FinishOutcome, RecordOutcome } from './scripts.js';
export { RunScripts } from './scripts.js';
export { RunSnapshots } from './snapshots.js';
export { ValueCodec } from './value-codec.js';

/**
 * The store modules of one runledger keyspace.
 *
 * @example
 * const store = new RunStore(createRedis(config.REDIS_URL), { prefix: 'runledger' });
 * const run = await store.runs.getRun(runId); // Run | null
 */
export class RunStore implements StoreResources {
  readonly redis: RedisClient;
  readonly keys: KeyLayout;
  readonly eventsMaxLen: number;
  readonly safetyTtlSeconds: number;
  readonly waitReplicas: StoreResources['waitReplicas'];
  readonly codec: StoreResources['codec'];
  readonly finishSliceItems: number;
  readonly scripts: RunScripts;
  readonly hash: RunHash;
  readonly events: RunEvents;
  readonly active: ActiveRuns;
  readonly retention: RunRetention;
  readonly snapshots: RunSnapshots;
  readonly runs: Runs;
  readonly results: RunResults;
  readonly execution: RunExecution;
  readonly fleet: Fleet;
  readonly apiKeys: ApiKeys;
  readonly idempotency: IdempotencyKeys;
  readonly quotas: ProjectQuotas;
  readonly datasets: DatasetStore;

  /**
   * @param redis a single-node `Redis` or a `Cluster` (`createRedis`); see `StoreResources.redis`.
   */
  constructor(redis: RedisClient, options: RunStoreOptions = {}) {
    const r = createStoreResources(redis, options);
    this.redis = r.redis;
    this.keys = r.keys;
    this.eventsMaxLen = r.eventsMaxLen;
    this.safetyTtlSeconds = r.safetyTtlSeconds;
    this.waitReplicas = r.waitReplicas;
    this.codec = r.codec;
    this.finishSliceItems = r.finishSliceItems;
    this.scripts = new RunScripts(r);
    this.hash = new RunHash(r);
    this.events = new RunEvents(r);
    this.retention = new RunRetention(r, this.scripts, this.hash);
    this.active = new ActiveRuns(r, this.hash, this.events, this.retention);
    this.runs = new Runs(r, this.scripts, this.hash, this.active, this.retention);
    this.results = new RunResults(r, this.hash, this.runs);
    this.snapshots = new RunSnapshots(r, this.runs);
    this.execution = new RunExecution(r, this.scripts);
    this.fleet = new Fleet(r, this.scripts, this.hash);
    this.apiKeys = new ApiKeys(r);
    this.idempotency = new IdempotencyKeys(r);
    this.quotas = new ProjectQuotas(this.active);
    this.datasets = new DatasetStore(redis, { prefix: r.keys.prefix, cipher: r.codec.cipher });
  }

  /**
   * The store of a process (API, worker) configured by `config`: its prefix, event stream
   * length, early-end slice, safety TTL, `WAIT` replicas and encryption keys.
   * @throws Error when `RUNLEDGER_ENCRYPTION_KEYS` does not parse (`ValueCipher.fromEnv`).
   */
  static fromConfig(redis: RedisClient, config: Config): RunStore {
    return new RunStore(redis, {
      prefix: config.RUNLEDGER_PREFIX,
      eventsMaxLen: config.RUNLEDGER_EVENTS_MAXLEN,
      finishSliceItems: config.RUNLEDGER_FINISH_SLICE_ITEMS,
      safetyTtlSeconds: config.RUNLEDGER_SAFETY_TTL_SECONDS,
      waitReplicas: waitReplicasOf(config),
      cipher: ValueCipher.fromEnv(config.RUNLEDGER_ENCRYPTION_KEYS),
    });
  }
}
