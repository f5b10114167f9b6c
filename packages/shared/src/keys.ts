/**
 * The Redis key layout of runledger: every key name is built here and nowhere else.
 *
 * With the default prefix `runledger`:
 *
 * | key                               | type   | holds                                                     |
 * |-----------------------------------|--------|-----------------------------------------------------------|
 * | `runledger:{<runId>}:run`         | hash   | the run: status, counters, spec JSON, timestamps, scores  |
 * | `runledger:{<runId>}:items`       | hash   | itemIndex -> item JSON (the dataset, stored once)         |
 * | `runledger:{<runId>}:results`     | hash   | itemIndex -> result JSON (outcome only; one per item)     |
 * | `runledger:{<runId>}:hist:latency` | hash  | latency histogram: log bucket -> count (lua/includes/latency-hist.lua) |
 * | `runledger:{<runId>}:bits:succeeded` | string | bitmap: bit itemIndex set when the item's result is succeeded |
 * | `runledger:{<runId>}:bits:failed` | string | bitmap of failed results                                  |
 * | `runledger:{<runId>}:bits:cancelled` | string | bitmap of cancelled results                             |
 * | `runledger:{<runId>}:events`      | stream | status and progress events (SSE, resumable by stream id)  |
 * | `runledger:{<runId>}:errtypes`    | hash   | failed items by error type: `n:<type>` count, `m:<type>` first full message |
 * | `runledger:{<runId>}:reruns`      | zset   | runIds of this run's reruns/replays by createdAt (ms); the run's TTL |
 * | `runledger:{<runId>}:import`      | string | held while a snapshot is imported under this id (10 min PX; store/snapshots.ts) |
 * | `runledger:runs`                  | zset   | runId by createdAt (ms): the list index, pruned lazily    |
 * | `runledger:runs:active`           | zset   | runs not seen finished yet, by createdAt: the one index of runs in flight (reconciler, per-project limit) |
 * | `runledger:idempotency:<sha256>`  | string | runId created for an `Idempotency-Key` (24 h)             |
 * | `runledger:workers`               | hash   | workerId -> worker heartbeat JSON                         |
 * | `runledger:metrics`               | hash   | fleet-wide counters read by `/metrics`                    |
 * | `runledger:targets`               | set    | target names ever submitted (queue names for metrics)     |
 * | `runledger:cancel`                | pubsub | channel: runIds cancelled or deleted                      |
 * | `runledger:reconciler:lock`       | string | workerId of the reconciler leader (PX = pass interval)    |
 * | `runledger:apikeys`               | hash   | sha256 hex of an API key -> `{id, project, name, createdAt}` |
 * | `runledger:ratelimit:<keyId>`     | string | requests of one API key in the current second (rate-limiter-flexible) |
 * | `runledger:{<runId>}:slots`       | zset   | holders of the run's fleet-wide concurrency slots, score = lease expiry (ms); own TTL |
 * | `runledger:{<runId>}:scoresort`   | zset   | results by score for sorting (result-queries.ts): member `<scorer slot>:<10-digit itemIndex>`, score `2 * slot + score`; 300 s TTL |
 * | `runledger:{<runId>}:scoresort:n` | string | `<result count>:<ms>` `scoresort` was built from (rebuilt when the count changed; a running run's at most every 5 s); same TTL |
 * | `runledger:{<runId>}:latsort`, `:latsort:n`, `:latsort:lock` | zset, string, string | results by latency for `sort=latency` (member itemIndex, score latencyMs), built on demand like `scoresort` |
 * | `runledger:{<runId>}:scoresort:lock` | string | held while one API process builds `scoresort` (30 s PX); others read the previous index meanwhile |
 * | `runledger:targetlimit:rpm:<t>`   | string | requests to target t in the current window (rate-limiter-flexible) |
 * | `runledger:targetlimit:tpm:<t>`   | string | tokens reported by target t in the current window          |
 * | `runledger:experiment:{<id>}`     | hash   | an experiment: name, project, spec JSON, runIds JSON (variant x trial) |
 * | `runledger:experiments`           | zset   | experiment id by createdAt (ms): the list index, pruned lazily |
 * | `runledger:dataset:{<p>/<d>}:meta` | hash  | dataset d of project p: id, name, project, latestVersion, createdAt, updatedAt (no TTL) |
 * | `runledger:dataset:{<p>/<d>}:versions` | zset | version entry JSON `{version,itemCount,contentHash,createdAt}` by version number (no TTL) |
 * | `runledger:dataset:{<p>/<d>}:version:<v>` | hash | itemIndex -> item JSON of version v; immutable once committed (no TTL) |
 * | `runledger:dataset:{<p>/<d>}:staging:<token>` | hash | a version being written (1 h TTL); renamed to `:version:<v>` on commit |
 * | `runledger:project:<p>:datasets`  | zset   | dataset ids of project p by createdAt (ms)                |
 * | `runledger:audit:{<p>}`           | stream | project p's audit log: one entry per change (audit-log.ts); capped by length and age |
 * | `runledger:throughput:{<target>}:<m>` | string | items recorded for target in epoch minute m (queue-stats.ts; 65 min TTL) |
 * | `runledger:{retention}:kept:<g>`  | zset   | keep-last group g (project/target/dataset): finished runs kept, by completedAt (retention.ts) |
 * | `runledger:{retention}:settled:<g>` | zset | runs of group g ever settled (kept, pruned or deleted), by expiresAt: never added twice |
 * | `runledger:{retention}:pending`   | set    | runs pruned from a group and not deleted yet (the reconciler drains it) |
 * | `{runledger}:items.<target>:*`    | BullMQ | one queue per target; jobs carry item chunks, not items   |
 *
 * Every per-run key carries the run id as its hash tag, so each per-run Lua script touches one
 * slot and stays valid on Redis Cluster. BullMQ's prefix is hash-tagged (`{runledger}`) for the
 * same reason (docs/architecture.md#redis-key-layout).
 */

/** The per-run keys, in the order the Lua scripts take them as KEYS. */
export interface RunKeys {
  run: string;
  items: string;
  results: string;
  latency: string;
  succeeded: string;
  failed: string;
  cancelled: string;
  events: string;
  /** Failed items grouped by error type (record-results-9 writes it). */
  errtypes: string;
  /** Ids of the run's reruns (not a script key: `addRerun` writes it, `deleteRun` removes it). */
  reruns: string;
}

/**
 * The keys of one on-demand sort index of a run's results (`KeyLayout.runScoreSort`,
 * `runLatencySort`): `index` the zset, `builtCount` `<result count>:<ms>` of its last build,
 * `lock` held while a build runs, `temp(token)` where a build is written before it replaces
 * `index`.
 */
export interface SortIndexKeys {
  index: string;
  builtCount: string;
  lock: string;
  temp(token: string): string;
}

/** The `SortIndexKeys` under `base` (the index itself; the others are `base:<suffix>`). */
function sortIndexKeys(base: string): SortIndexKeys {
  return {
    index: base,
    builtCount: `${base}:n`,
    lock: `${base}:lock`,
    temp: (token) => `${base}:tmp:${token}`,
  };
}

/** Builds every key name for one key prefix. */
export class KeyLayout {
  /** @param prefix key prefix, e.g. `runledger` (no trailing colon). */
  constructor(readonly prefix: string) {}

  /** All keys of one run, hash-tagged with the run id. */
  run(runId: string): RunKeys {
    const base = `${this.prefix}:{${runId}}`;
    return {
      run: `${base}:run`,
      items: `${base}:items`,
      results: `${base}:results`,
      // new names for the new types (a histogram, bitmaps; they were zsets at `:latency`,
      // `:succeeded`, ...): runs recorded before read as having no latency figures and no status
      // index instead of failing with WRONGTYPE
      latency: `${base}:hist:latency`,
      succeeded: `${base}:bits:succeeded`,
      failed: `${base}:bits:failed`,
      cancelled: `${base}:bits:cancelled`,
      events: `${base}:events`,
      errtypes: `${base}:errtypes`,
      reruns: `${base}:reruns`,
    };
  }

  /**
   * The per-run keys of the record/finish scripts, in their KEYS order (run, items, results,
   * latency, succeeded, failed, cancelled, events, errtypes). A finished run's keys all carry
   * its retention TTL (the scripts set it; keys never written do not exist).
   */
  runKeyList(runId: string): string[] {
    const k = this.run(runId);
    return [
      k.run,
      k.items,
      k.results,
      k.latency,
      k.succeeded,
      k.failed,
      k.cancelled,
      k.events,
      k.errtypes,
    ];
  }

  /**
   * Every key of a run: `runKeyList`, the status/latency zsets of runs recorded before the
   * bitmaps and histogram, the reruns list, the concurrency slots and the results' score and
   * latency sort indexes (`deleteRun`).
   */
  allRunKeys(runId: string): string[] {
    const sort = this.runScoreSort(runId);
    const lat = this.runLatencySort(runId);
    const base = `${this.prefix}:{${runId}}`;
    return [
      ...this.runKeyList(runId),
      // the zsets runs recorded before the histogram and bitmaps used (see `run`): a delete of
      // such a run removes them too
      ...['latency', 'succeeded', 'failed', 'cancelled'].map((name) => `${base}:${name}`),
      this.run(runId).reruns,
      this.runSlots(runId),
      sort.index,
      sort.builtCount,
      sort.lock,
      lat.index,
      lat.builtCount,
      lat.lock,
    ];
  }

  /**
   * A run's on-demand index of its results by score (`ResultQueries`, result-queries.ts): `index`
   * a zset (member `<scorer slot>:<10-digit itemIndex>`, score `2 * slot + score`), `builtCount`
   * `<result count>:<ms>`: the run's result count when it was built, and when. Both carry a short TTL (300 s, never past the
   * run's own); `deleteRun` deletes them. `lock`: held (with a TTL) while a build runs;
   * `temp(token)`: where a build is written before it replaces `index`.
   */
  runScoreSort(runId: string): SortIndexKeys {
    return sortIndexKeys(`${this.prefix}:{${runId}}:scoresort`);
  }

  /** Held (SET NX, 10 min PX) while a snapshot is imported under run id `runId` (store/snapshots.ts). */
  runImportLock(runId: string): string {
    return `${this.prefix}:{${runId}}:import`;
  }

  /**
   * A run's on-demand index of its results by latency (`sort=latency` of the results listing,
   * `ResultQueries`): like `runScoreSort`, a zset (member the itemIndex, score latencyMs) with
   * `builtCount`, `lock` and `temp(token)`, the same TTLs; `deleteRun` deletes them.
   */
  runLatencySort(runId: string): SortIndexKeys {
    return sortIndexKeys(`${this.prefix}:{${runId}}:latsort`);
  }

  get runsIndex(): string {
    return `${this.prefix}:runs`;
  }

  /**
   * The one index of runs in flight (queued or running when added at commit), pruned when seen
   * finished or gone: the reconciler's work list and the per-project limit's count (store/active-runs.ts).
   */
  get activeRuns(): string {
    return `${this.prefix}:runs:active`;
  }

  idempotency(hashedKey: string): string {
    return `${this.prefix}:idempotency:${hashedKey}`;
  }

  get workers(): string {
    return `${this.prefix}:workers`;
  }

  get metrics(): string {
    return `${this.prefix}:metrics`;
  }

  get targets(): string {
    return `${this.prefix}:targets`;
  }

  /** Pub/sub channel on which cancelled and deleted run ids are published. */
  get cancelChannel(): string {
    return `${this.prefix}:cancel`;
  }

  /** Leader lock of the reconciler: the worker holding it runs the fleet's reconciliation pass. */
  get reconcilerLock(): string {
    return `${this.prefix}:reconciler:lock`;
  }

  /** API keys stored in Redis: hash of sha256 hex of the key -> JSON `{id, project, name, createdAt}`. */
  get apiKeys(): string {
    return `${this.prefix}:apikeys`;
  }

  /** An experiment's hash (hash-tagged with its id, like a run's keys). */
  experiment(experimentId: string): string {
    return `${this.prefix}:experiment:{${experimentId}}`;
  }

  /** Experiment ids by createdAt (ms), newest last: the `GET /v1/experiments` index. */
  get experimentsIndex(): string {
    return `${this.prefix}:experiments`;
  }

  /** Key prefix of the per-API-key request counters (rate-limiter-flexible appends `:<keyId>`). */
  get rateLimitPrefix(): string {
    return `${this.prefix}:ratelimit`;
  }

  /**
   * A run's fleet-wide concurrency slots (`execution.concurrency`): zset of holder ids scored by
   * lease expiry (ms). Not in `runKeyList` (not a key of the per-run scripts): it carries its own
   * TTL (renewed on each acquire) and `deleteRun` deletes it.
   */
  runSlots(runId: string): string {
    return `${this.prefix}:{${runId}}:slots`;
  }

  /** Key prefix of the per-target rate-limit counters (`:rpm:<target>`, `:tpm:<target>`). */
  get targetLimitPrefix(): string {
    return `${this.prefix}:targetlimit`;
  }

  /**
   * Keys of dataset `datasetId` of `project`, hash-tagged with both (one slot per dataset), so
   * projects never share dataset ids. Datasets have no TTL (only a staging version does).
   */
  dataset(
    project: string,
    datasetId: string,
  ): {
    meta: string;
    versions: string;
    version(v: number): string;
    staging(token: string): string;
  } {
    const base = `${this.prefix}:dataset:{${project}/${datasetId}}`;
    return {
      meta: `${base}:meta`,
      versions: `${base}:versions`,
      version: (v: number) => `${base}:version:${v}`,
      staging: (token: string) => `${base}:staging:${token}`,
    };
  }

  /** Dataset ids of a project (zset datasetId -> createdAt ms). */
  projectDatasets(project: string): string {
    return `${this.prefix}:project:${project}:datasets`;
  }

  /**
   * Items recorded for `target` in epoch minute `minute` (`floor(ms / 60000)`): a counter with a
   * TTL (queue-stats.ts). Hash-tagged with the target so one target's minutes share a slot.
   */
  throughput(target: string, minute: number): string {
    return `${this.prefix}:throughput:{${target}}:${minute}`;
  }

  /** Project `project`'s audit log (stream, hash-tagged with the project; see audit-log.ts). */
  auditLog(project: string): string {
    return `${this.prefix}:audit:{${project}}`;
  }

  /**
   * The keys of keep-last group `group` (`retentionGroup`): `kept` (zset runId by completedAt
   * ms: the finished runs the group keeps) and `settled` (zset runId by expiresAt ms: every run
   * the group ever took in, kept or not, so none is taken in twice). Every retention key shares
   * the hash tag `{retention}` (one cluster slot, apart from every run's): see ./retention.ts.
   */
  retention(group: string): { kept: string; settled: string } {
    return {
      kept: `${this.prefix}:{retention}:kept:${group}`,
      settled: `${this.prefix}:{retention}:settled:${group}`,
    };
  }

  /** Runs pruned from their keep-last group and not deleted yet (set; ./retention.ts). */
  get retentionPending(): string {
    return `${this.prefix}:{retention}:pending`;
  }

  /** BullMQ prefix: hash-tagged so every BullMQ script stays in one cluster slot. */
  get bullPrefix(): string {
    return `{${this.prefix}}`;
  }
}

/**
 * The keep-last group of a run (`KeyLayout.retention`): its project, target name and dataset id
 * (none: empty), each URI-encoded, joined by `/`.
 */
export function retentionGroup(project: string, target: string, datasetId: string | null): string {
  return [project, target, datasetId ?? ''].map(encodeURIComponent).join('/');
}

/** BullMQ queue name of a target's item chunks (queue names may not contain `:`). */
export function queueNameForTarget(target: string): string {
  return `items.${target}`;
}
