/**
 * The run store: every Redis read and write of runs, items, results, events, the runs index,
 * the worker registry and fleet metrics. The API and the worker never build keys themselves.
 * Key layout: ./keys.ts. Lua scripts (one per concern, header = contract): ./lua/*.lua.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Result as RedisResult } from 'ioredis';
import { DEFAULT_PROJECT } from './config.js';
import { InvalidCursorError, RunNotFoundError, RunTerminalError } from './errors.js';
import { histogramEdges, type LatencyHistogram } from './histogram.js';
import { KeyLayout } from './keys.js';
import { defineScripts, type RedisClient } from './redis.js';
import { type WaitReplicas, waitForReplicas } from './redis-replication.js';
import { cancelledResult } from './results.js';
import { DEFAULT_ROLE, type Role } from './roles.js';
import type {
  EffectiveSummary,
  ErrorType,
  Execution,
  ItemScore,
  Result,
  ResultStatus,
  Run,
  RunEvent,
  RunStatus,
  ScorerRef,
  ScoreSummary,
  StoredItem,
  StoredResult,
  StoredSpec,
  TargetRef,
  WorkerInfo,
} from './schemas.js';
import { ScriptCode, scriptError } from './script-codes.js';
import { addMaskCounts, type ScrubPolicy } from './scrub.js';
import { summarizeResultScores, summarizeScore } from './stats.js';

/**
 * Lua scripts by ioredis command name, with their key counts (the `-N` of the file name). Every
 * reply is a table led by a `ScriptCode`; `scriptError` (./script-codes.ts) decodes the negative
 * ones into Errors, and each method below maps those to its outcome.
 */
const SCRIPTS = {
  rlCreateRun: { file: 'create-run-3', keys: 3 },
  rlClaimItems: { file: 'claim-items-4', keys: 4 },
  rlRecordResults: { file: 'record-results-9', keys: 9 },
  rlFinishRun: { file: 'finish-run-9', keys: 9 },
  rlReadRun: { file: 'read-run-4', keys: 4 },
  rlAddRerun: { file: 'add-rerun-2', keys: 2 },
  rlFindOpenChunks: { file: 'find-open-chunks-2', keys: 2 },
  rlAcquireSlot: { file: 'acquire-slot-1', keys: 1 },
} as const;

/** A script reply: `[ScriptCode, ...answer]` (see each script's header). */
type ScriptReply = unknown[];
declare module 'ioredis' {
  interface RedisCommander<Context> {
    rlCreateRun(...args: (string | number)[]): RedisResult<ScriptReply, Context>;
    rlClaimItems(...args: (string | number)[]): RedisResult<ScriptReply, Context>;
    rlRecordResults(...args: (string | number)[]): RedisResult<number[], Context>;
    rlFinishRun(...args: (string | number)[]): RedisResult<ScriptReply, Context>;
    rlReadRun(...args: (string | number)[]): RedisResult<ScriptReply, Context>;
    rlFindOpenChunks(...args: (string | number)[]): RedisResult<number[], Context>;
    rlAcquireSlot(...args: (string | number)[]): RedisResult<number[], Context>;
    rlAddRerun(...args: (string | number)[]): RedisResult<ScriptReply, Context>;
  }
}

/** Options of a `RunStore`. */
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
   * ./redis-replication.ts). @defaultValue none
   */
  waitReplicas?: WaitReplicas | undefined;
}

/** A run to commit: everything but its items, which are staged first. Times in ms since epoch. */
export interface NewRun {
  id: string;
  name?: string | undefined;
  target: TargetRef;
  scorers: ScorerRef[];
  execution: Execution;
  datasetId?: string | undefined;
  datasetVersion: string;
  /** `sha256:<16 hex>` content hash of the dataset version's items (see `ContentHasher`). */
  datasetHash?: string | undefined;
  /** The run this one reruns. */
  parentRunId?: string | undefined;
  totalItems: number;
  chunkSize: number;
  /** Retention after the run ends, seconds. */
  ttlSeconds: number;
  tags: string[];
  metadata: Record<string, unknown>;
  createdAt: number;
  /** The project of the API key that submitted the run. @defaultValue `default` */
  project?: string | undefined;
  /** Experiment links (runs created by `POST /v1/experiments` only). */
  experimentId?: string | undefined;
  variant?: string | undefined;
  trialIndex?: number | undefined;
  /** OpenTelemetry trace id of the creating request (see `currentTraceId`), when traced. */
  traceId?: string | undefined;
  /** The scrub policy the run's items got and its results get (./scrub.ts); none: nothing scrubbed. */
  privacy?: ScrubPolicy | null | undefined;
}

/** Outcome of `claimItems`. `items` holds only items with no result yet. */
export type ClaimOutcome =
  | { state: 'ok'; spec: StoredSpec | null; items: { index: number; item: StoredItem | null }[] }
  | { state: 'missing' }
  | { state: 'terminal'; status: RunStatus };

/** One final result to record for the item at `index`. */
export interface ResultRecord {
  index: number;
  result: StoredResult;
}

/** Outcome of `recordResults`: `recorded` new results; `finished` when this call completed the run. */
export type RecordOutcome =
  | {
      state: 'ok';
      recorded: number;
      done: number;
      total: number;
      finished: boolean;
      /** Present (true) when this call ended the run `failed` by its budget (`maxFailures`, `maxCostUsd`). */
      stopped?: true;
    }
  | { state: 'missing' };

/** Outcome of `finishRun`. */
export type FinishOutcome =
  | { state: 'finished'; cancelledItems: number }
  | { state: 'terminal'; status: RunStatus }
  | { state: 'missing' };

/** Filters of `listRuns`; times in ms since epoch. */
export interface RunFilter {
  status?: RunStatus | undefined;
  target?: string | undefined;
  datasetId?: string | undefined;
  tag?: string | undefined;
  /** Case-insensitive substring of the run's name or id. */
  q?: string | undefined;
  /** Only runs of this project. */
  project?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  /** Page size. @defaultValue 50 */
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** Latency percentiles reported on a run (nearest-rank). */
const PERCENTILES = [50, 90, 99] as const;
/** Max index entries one `listRuns` call inspects before returning a partial page with a cursor. */
const LIST_SCAN_BUDGET = 2000;

/** sha256 hex of `text`: API keys and idempotency keys are stored by it, never raw. */
const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

const iso = (ms: string | number | undefined | null): string | null =>
  ms === undefined || ms === null || ms === '' ? null : new Date(Number(ms)).toISOString();

/**
 * All Redis access for runs and results.
 *
 * @example
 * const store = new RunStore(createRedis(config.REDIS_URL), { prefix: 'runledger' });
 * const run = await store.getRun(runId); // Run | null
 */
export class RunStore {
  readonly keys: KeyLayout;
  readonly eventsMaxLen: number;
  readonly safetyTtlSeconds: number;
  /** `RunStoreOptions.waitReplicas`. */
  private readonly waitReplicas: WaitReplicas | undefined;

  /**
   * @param redis a single-node `Redis` or a `Cluster` (`createRedis`). On a Cluster every script,
   *   pipeline and transaction here touches one run's keys (one hash tag) or one global key;
   *   reads across runs are sent as separate commands.
   */
  constructor(
    readonly redis: RedisClient,
    options: RunStoreOptions = {},
  ) {
    this.keys = new KeyLayout(options.prefix ?? 'runledger');
    this.eventsMaxLen = options.eventsMaxLen ?? 10_000;
    this.safetyTtlSeconds = options.safetyTtlSeconds ?? 30 * 24 * 3600;
    this.waitReplicas = options.waitReplicas;
    defineScripts(redis, SCRIPTS);
  }

  // ---------------------------------------------------------------- creating runs

  /**
   * Writes items `startIndex..startIndex+items.length-1` of a run that is not committed yet.
   * Staged items carry the safety TTL, so an abandoned submission cleans itself up.
   */
  async stageItems(runId: string, startIndex: number, items: StoredItem[]): Promise<void> {
    if (items.length === 0) return;
    const key = this.keys.run(runId).items;
    const args: string[] = [];
    items.forEach((item, i) => {
      args.push(String(startIndex + i), JSON.stringify(item));
    });
    await this.redis
      .multi()
      .hset(key, ...args)
      .expire(key, this.safetyTtlSeconds)
      .exec();
  }

  /**
   * Makes a staged run visible with status `queued` (one atomic script). Call after every item
   * is staged; enqueue its jobs after this and `indexRun` last.
   * @throws RunStateError when the run exists already or the staged items do not number `totalItems`.
   */
  async commitRun(run: NewRun): Promise<void> {
    const k = this.keys.run(run.id);
    const spec: StoredSpec = { target: run.target, scorers: run.scorers, execution: run.execution };
    if (run.privacy) spec.privacy = run.privacy;
    const fields: Record<string, string | number> = {
      id: run.id,
      status: 'queued',
      spec: JSON.stringify(spec),
      datasetVersion: run.datasetVersion,
      totalItems: run.totalItems,
      chunkSize: run.chunkSize,
      ttlSeconds: run.ttlSeconds,
      tags: JSON.stringify(run.tags),
      metadata: JSON.stringify(run.metadata),
      createdAt: run.createdAt,
      succeededCount: 0,
      failedCount: 0,
      cancelledCount: 0,
    };
    if (run.name !== undefined) fields.name = run.name;
    if (run.datasetId !== undefined) fields.datasetId = run.datasetId;
    if (run.datasetHash !== undefined) fields.datasetHash = run.datasetHash;
    if (run.parentRunId !== undefined) fields.parentRunId = run.parentRunId;
    fields.project = run.project ?? DEFAULT_PROJECT;
    // budget thresholds, read by record-results-9.lua
    if (run.execution.maxFailures !== undefined) fields.maxFailures = run.execution.maxFailures;
    if (run.execution.maxCostUsd !== undefined) fields.maxCostUsd = run.execution.maxCostUsd;
    if (run.experimentId !== undefined) fields.experimentId = run.experimentId;
    if (run.variant !== undefined) fields.variant = run.variant;
    if (run.trialIndex !== undefined) fields.trialIndex = run.trialIndex;
    if (run.traceId !== undefined) fields.traceId = run.traceId;
    const reply = await this.redis.rlCreateRun(
      k.run,
      k.items,
      k.events,
      run.createdAt,
      this.eventsMaxLen,
      this.safetyTtlSeconds,
      run.totalItems,
      ...Object.entries(fields).flat(),
    );
    const error = scriptError(reply, { runId: run.id, totalItems: run.totalItems });
    if (error) throw error;
    if (run.parentRunId !== undefined) await this.addRerun(run.parentRunId, run.id, run.createdAt);
    await waitForReplicas(this.redis, this.waitReplicas);
  }

  /**
   * Lists run `childId` (created at `createdAt`, ms) among the reruns of `parentId`, in the
   * parent's keyspace with the parent's TTL (add-rerun-2.lua). `commitRun` calls it for runs
   * with a `parentRunId`. Returns false when the parent is gone (nothing written).
   */
  async addRerun(parentId: string, childId: string, createdAt: number): Promise<boolean> {
    const k = this.keys.run(parentId);
    const reply = await this.redis.rlAddRerun(k.run, k.reruns, childId, createdAt);
    const error = scriptError(reply, { runId: parentId });
    if (error instanceof RunNotFoundError) return false;
    if (error) throw error;
    return true;
  }

  /** Adds a committed run to the runs index (listing, newest first). */
  async indexRun(runId: string, createdAt: number, target: string): Promise<void> {
    await Promise.all([
      this.redis.zadd(this.keys.runsIndex, createdAt, runId),
      this.redis.zadd(this.keys.activeRuns, createdAt, runId),
      this.redis.sadd(this.keys.targets, target),
    ]);
  }

  /**
   * Removes every key of a run (`KeyLayout.allRunKeys`: results, error types, its reruns list,
   * slots, ...), its index entries and its entry in its parent's reruns list. Returns true when
   * the run existed. Also used to discard a half-staged submission. Its own reruns are kept
   * (they are runs of their own).
   */
  async deleteRun(runId: string): Promise<boolean> {
    const parent = await this.redis.hget(this.keys.run(runId).run, 'parentRunId');
    const [deleted] = await Promise.all([
      this.redis.del(...this.keys.allRunKeys(runId)),
      this.redis.zrem(this.keys.runsIndex, runId),
      this.redis.zrem(this.keys.activeRuns, runId),
    ]);
    if (parent) await this.redis.zrem(this.keys.run(parent).reruns, runId);
    return deleted > 0;
  }

  // ---------------------------------------------------------------- reading runs

  /**
   * Returns the run, or null when it does not exist. Its `reruns` leave out runs that no longer
   * exist (expired; deleted ones are removed from the list by `deleteRun`), and those are dropped
   * from the list.
   */
  async getRun(runId: string): Promise<Run | null> {
    const k = this.keys.run(runId);
    const reply = await this.redis.rlReadRun(
      k.run,
      k.latency,
      k.errtypes,
      k.reruns,
      ...PERCENTILES,
    );
    const error = scriptError(reply, { runId });
    if (error instanceof RunNotFoundError) return null;
    if (error) throw error;
    const run = toRun(reply.slice(1));
    if (run.reruns.length > 0) {
      // one command per run (not a pipeline): run keys live in different cluster slots
      const exists = await Promise.all(
        run.reruns.map((id) => this.redis.exists(this.keys.run(id).run)),
      );
      const gone = run.reruns.filter((_, i) => exists[i] === 0);
      if (gone.length > 0) {
        await this.redis.zrem(k.reruns, ...gone);
        run.reruns = run.reruns.filter((_, i) => exists[i] === 1);
      }
    }
    return run;
  }

  /** Returns the run's status, or null when it does not exist. */
  async getRunStatus(runId: string): Promise<RunStatus | null> {
    return (await this.redis.hget(this.keys.run(runId).run, 'status')) as RunStatus | null;
  }

  /** The status of each of `runIds` (null: gone), in order. */
  private readStatuses(runIds: string[]): Promise<(RunStatus | null)[]> {
    // one command per run (not a pipeline): run keys live in different cluster slots
    return Promise.all(runIds.map((id) => this.getRunStatus(id)));
  }

  /** Returns the run's total item count and chunk size, or null when it does not exist. */
  async getRunLayout(
    runId: string,
  ): Promise<{ totalItems: number; chunkSize: number; target: string } | null> {
    const [total, chunk, spec] = await this.redis.hmget(
      this.keys.run(runId).run,
      'totalItems',
      'chunkSize',
      'spec',
    );
    if (!total || !chunk || !spec) return null;
    return {
      totalItems: Number(total),
      chunkSize: Number(chunk),
      target: (JSON.parse(spec) as StoredSpec).target.name,
    };
  }

  /**
   * Lists runs newest first. Expired runs found in the index are dropped from it.
   * One call inspects at most 2,000 index entries (`LIST_SCAN_BUDGET`), so a page may hold fewer
   * than `limit` runs (even none) with a non-null `nextCursor` when filters (`q` among them)
   * reject many; follow `nextCursor` until it is null. `scanned`: index entries inspected.
   */
  async listRuns(
    filter: RunFilter = {},
  ): Promise<{ runs: Run[]; nextCursor: string | null; scanned: number }> {
    const limit = filter.limit ?? 50;
    const cursor = filter.cursor ? decodeCursor(filter.cursor) : null;
    const upper = Math.min(cursor?.t ?? Infinity, filter.until ?? Infinity);
    const max = upper === Infinity ? '+inf' : String(upper);
    const min = filter.since !== undefined ? String(filter.since) : '-inf';
    const runs: Run[] = [];
    let scanned = 0;
    let offset = 0;
    let last: { t: number; id: string } | null = null;
    while (runs.length < limit && scanned < LIST_SCAN_BUDGET) {
      const batch = await this.redis.zrevrangebyscore(
        this.keys.runsIndex,
        max,
        min,
        'WITHSCORES',
        'LIMIT',
        offset,
        200,
      );
      if (batch.length === 0) return { runs, nextCursor: null, scanned };
      offset += batch.length / 2;
      const candidates: { id: string; t: number }[] = [];
      for (let i = 0; i < batch.length; i += 2) {
        const id = batch[i]!;
        const t = Number(batch[i + 1]);
        if (cursor && t === cursor.t && id >= cursor.id) continue;
        candidates.push({ id, t });
      }
      // one command per run (not a pipeline): run keys live in different cluster slots
      const found = await Promise.all(candidates.map((c) => this.getRun(c.id)));
      const expired: string[] = [];
      for (let i = 0; i < candidates.length; i++) {
        const c = candidates[i]!;
        scanned++;
        last = c;
        const run = found[i];
        if (!run) {
          expired.push(c.id);
          continue;
        }
        if (matches(run, filter)) runs.push(run);
        if (runs.length === limit) break;
      }
      if (expired.length > 0) await this.redis.zrem(this.keys.runsIndex, ...expired);
    }
    return { runs, nextCursor: last ? encodeCursor(last) : null, scanned };
  }

  /**
   * Lists a run's results in item order, joined with their items. Without `status`, a page covers
   * item indexes `[cursor, cursor+limit)` and skips items whose result has not landed yet.
   * @throws RunNotFoundError when the run does not exist.
   */
  async listResults(
    runId: string,
    options: {
      status?: ResultStatus | undefined;
      limit?: number | undefined;
      cursor?: string | undefined;
    } = {},
  ): Promise<{ results: Result[]; nextCursor: string | null }> {
    const k = this.keys.run(runId);
    const limit = options.limit ?? 100;
    const from = options.cursor ? Number(options.cursor) : 0;
    const [total, trial] = await this.redis.hmget(k.run, 'totalItems', 'trialIndex');
    if (total === null) throw new RunNotFoundError(runId);
    let indexes: number[];
    let nextCursor: string | null;
    if (options.status) {
      const zkey = k[options.status];
      const page = await this.redis.zrangebyscore(zkey, from, '+inf', 'LIMIT', 0, limit + 1);
      indexes = page.slice(0, limit).map(Number);
      nextCursor = page.length > limit ? page[limit]! : null;
    } else {
      const end = Math.min(from + limit, Number(total));
      indexes = [];
      for (let i = from; i < end; i++) indexes.push(i);
      nextCursor = end < Number(total) ? String(end) : null;
    }
    if (indexes.length === 0) return { results: [], nextCursor };
    const [[e1, stored], [e2, items]] = (await this.redis
      .pipeline()
      .hmget(k.results, ...indexes.map(String))
      .hmget(k.items, ...indexes.map(String))
      .exec()) as [[Error | null, (string | null)[]], [Error | null, (string | null)[]]];
    if (e1 || e2) throw e1 ?? e2;
    const results: Result[] = [];
    indexes.forEach((index, i) => {
      const s = stored[i];
      const it = items[i];
      if (!s || !it) return;
      const item = JSON.parse(it) as StoredItem;
      const result = toResult(runId, index, item, JSON.parse(s) as StoredResult);
      if (trial !== null && trial !== undefined) result.trialIndex = Number(trial);
      results.push(result);
    });
    return { results, nextCursor };
  }

  /** Every result of a run in item order (pages of 1000). @throws RunNotFoundError when the run does not exist. */
  private async allResults(runId: string): Promise<Result[]> {
    const out: Result[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listResults(runId, { limit: 1000, cursor });
      out.push(...page.results);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  }

  /**
   * The run and its reruns, recursively (reruns of reruns): the run first, then the reruns by
   * creation (createdAt, then id). Reruns that no longer exist are left out; at most `max` runs.
   * @throws RunNotFoundError when the run does not exist.
   */
  async getRunWithReruns(runId: string, max = 1000): Promise<Run[]> {
    const root = await this.getRun(runId);
    if (!root) throw new RunNotFoundError(runId);
    const tree: Run[] = [root];
    const seen = new Set([root.id]);
    for (let i = 0; i < tree.length && tree.length < max; i++) {
      const ids = tree[i]!.reruns.filter((id) => !seen.has(id));
      for (const id of ids) seen.add(id);
      // one command per run (not a pipeline): run keys live in different cluster slots
      const found = await Promise.all(ids.map((id) => this.getRun(id)));
      for (const run of found) if (run && tree.length < max) tree.push(run);
    }
    const reruns = tree
      .slice(1)
      .sort((a, b) =>
        a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1,
      );
    return [root, ...reruns];
  }

  /**
   * A run's **effective** results: per item (joined by item id), the latest result across the
   * run and its reruns (`getRunWithReruns`; a later rerun's result replaces an earlier one), in
   * the run's item order. Each result's `runId` names the run it came from; its `itemIndex` is
   * the item's index in the run asked for (the listing's order and cursor). Pages like
   * `listResults`: without `status`, indexes `[cursor, cursor+limit)`; with `status`, the next
   * `limit` items whose effective result has that status. `effective` counts every item of the
   * run (`pending`: items with no result in any of the runs) and scores them with
   * `summarizeScore` over the effective results.
   *
   * Cost: a run without reruns reads like `listResults`; with reruns, every result of every run
   * of the tree is read on each call (like an experiment summary).
   * @throws RunNotFoundError when the run does not exist.
   */
  async listEffectiveResults(
    runId: string,
    options: {
      status?: ResultStatus | undefined;
      limit?: number | undefined;
      cursor?: string | undefined;
    } = {},
  ): Promise<{ results: Result[]; nextCursor: string | null; effective: EffectiveSummary }> {
    const tree = await this.getRunWithReruns(runId);
    const root = tree[0]!;
    const scorerNames = root.scorers.map((sc) => sc.name);
    const limit = options.limit ?? 100;
    const from = options.cursor ? Number(options.cursor) : 0;
    if (tree.length === 1) {
      // no rerun: the run's own results and counters
      const page = await this.listResults(runId, options);
      return {
        ...page,
        effective: {
          runIds: [root.id],
          totalItems: root.totalItems,
          succeeded: root.succeededCount,
          failed: root.failedCount,
          cancelled: root.cancelledCount,
          pending: root.totalItems - root.succeededCount - root.failedCount - root.cancelledCount,
          scores: root.scores,
        },
      };
    }
    const latest = new Map<string, Result>();
    for (const run of tree.slice(1)) {
      let results: Result[];
      try {
        results = await this.allResults(run.id);
      } catch (err) {
        if (err instanceof RunNotFoundError) continue; // gone meanwhile
        throw err;
      }
      for (const r of results) latest.set(r.itemId, r);
    }
    const effective = (await this.allResults(root.id)).map((r): Result => {
      const newer = latest.get(r.itemId);
      return newer ? { ...newer, itemIndex: r.itemIndex } : r;
    });
    const counts = { succeeded: 0, failed: 0, cancelled: 0 };
    for (const r of effective) counts[r.status]++;
    const scores: Record<string, ScoreSummary> = {};
    for (const name of scorerNames) {
      scores[name] = summarizeResultScores(effective, name, root.totalItems);
    }
    let results: Result[];
    let nextCursor: string | null;
    if (options.status) {
      const matching = effective.filter((r) => r.status === options.status && r.itemIndex >= from);
      results = matching.slice(0, limit);
      nextCursor = matching.length > limit ? String(matching[limit]!.itemIndex) : null;
    } else {
      const end = Math.min(from + limit, root.totalItems);
      results = effective.filter((r) => r.itemIndex >= from && r.itemIndex < end);
      nextCursor = end < root.totalItems ? String(end) : null;
    }
    return {
      results,
      nextCursor,
      effective: {
        runIds: tree.map((r) => r.id),
        totalItems: root.totalItems,
        ...counts,
        pending: root.totalItems - effective.length,
        scores,
      },
    };
  }

  /**
   * Items of a run by index (stored form), null for indexes it does not have.
   * @throws RunNotFoundError when the run does not exist.
   */
  async readItems(runId: string, indexes: number[]): Promise<(StoredItem | null)[]> {
    const k = this.keys.run(runId);
    if (!(await this.redis.exists(k.run))) throw new RunNotFoundError(runId);
    if (indexes.length === 0) return [];
    const values = await this.redis.hmget(k.items, ...indexes.map(String));
    return values.map((v) => (v === null ? null : (JSON.parse(v) as StoredItem)));
  }

  /** Item indexes of a run's results with `status`, ascending, from index `from`, at most `limit`. */
  async listResultIndexes(
    runId: string,
    status: ResultStatus,
    from = 0,
    limit = 1000,
  ): Promise<number[]> {
    const page = await this.redis.zrangebyscore(
      this.keys.run(runId)[status],
      from,
      '+inf',
      'LIMIT',
      0,
      limit,
    );
    return page.map(Number);
  }

  /**
   * The histogram of a run's item latencies in `buckets` buckets (see `histogramEdges`), from its
   * latency index: the two ends, then one ZCOUNT per bucket in a pipeline.
   * @returns null when the run does not exist.
   */
  async latencyHistogram(runId: string, buckets: number): Promise<LatencyHistogram | null> {
    const k = this.keys.run(runId);
    const [[e1, exists], [e2, first], [e3, last]] = (await this.redis
      .pipeline()
      .exists(k.run)
      .zrangebyscore(k.latency, '-inf', '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
      .zrevrangebyscore(k.latency, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
      .exec()) as [[Error | null, number], [Error | null, string[]], [Error | null, string[]]];
    if (e1 || e2 || e3) throw e1 ?? e2 ?? e3;
    if (!exists) return null;
    if (first.length < 2 || last.length < 2) {
      return { runId, count: 0, minMs: null, maxMs: null, scale: 'linear', buckets: [] };
    }
    const minMs = Number(first[1]);
    const maxMs = Number(last[1]);
    const { scale, edges } = histogramEdges(minMs, maxMs, buckets);
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < edges.length - 1; i++) {
      const lastBucket = i === edges.length - 2;
      pipeline.zcount(k.latency, edges[i]!, lastBucket ? edges[i + 1]! : `(${edges[i + 1]}`);
    }
    const counts = ((await pipeline.exec()) ?? []).map(([err, n]) => {
      if (err) throw err;
      return Number(n);
    });
    return {
      runId,
      count: counts.reduce((s, n) => s + n, 0),
      minMs,
      maxMs,
      scale,
      buckets: counts.map((count, i) => ({ fromMs: edges[i]!, toMs: edges[i + 1]!, count })),
    };
  }

  // ---------------------------------------------------------------- executing items (worker)

  /**
   * The gate before attempts start (see claim-items-4.lua): checks the run may go on, marks it
   * `running`, and returns those of `indexes` that have no result yet.
   * @param options.withItems return each item's JSON (first attempts); false for retries.
   * @param options.withSpec return the run's spec (first claim of a run by this process).
   */
  async claimItems(
    runId: string,
    indexes: number[],
    options: { withItems: boolean; withSpec: boolean; now?: number },
  ): Promise<ClaimOutcome> {
    const k = this.keys.run(runId);
    const reply = await this.redis.rlClaimItems(
      k.run,
      k.items,
      k.results,
      k.events,
      options.now ?? Date.now(),
      options.withItems ? '1' : '0',
      options.withSpec ? '1' : '0',
      this.eventsMaxLen,
      ...indexes,
    );
    const error = scriptError(reply, { runId });
    if (error instanceof RunNotFoundError) return { state: 'missing' };
    if (error instanceof RunTerminalError) {
      return { state: 'terminal', status: error.runStatus as RunStatus };
    }
    if (error) throw error;
    const specJson = reply[1] as string | null;
    const items: { index: number; item: StoredItem | null }[] = [];
    for (let i = 2; i < reply.length; i += 2) {
      const json = reply[i + 1] as string;
      items.push({ index: Number(reply[i]), item: json ? (JSON.parse(json) as StoredItem) : null });
    }
    return { state: 'ok', spec: specJson ? (JSON.parse(specJson) as StoredSpec) : null, items };
  }

  /**
   * Records final results, exactly once per item, in one atomic script (record-results-9.lua):
   * results, counters, latency index, usage, scores, error types of failed results, a progress
   * event and the terminal transition with retention TTL when the last item lands. Results
   * already stored are kept.
   */
  async recordResults(
    runId: string,
    records: ResultRecord[],
    now = Date.now(),
  ): Promise<RecordOutcome> {
    if (records.length === 0)
      return { state: 'ok', recorded: 0, done: 0, total: 0, finished: false };
    const args: string[] = [];
    for (const { index, result } of records) {
      const meta: Record<string, unknown> = { i: index, s: result.status };
      if (result.latencyMs !== undefined) meta.l = result.latencyMs;
      if (result.usage) {
        meta.it = result.usage.inputTokens;
        meta.ot = result.usage.outputTokens;
      }
      if (result.costUsd !== undefined) meta.c = result.costUsd;
      if (result.scores) {
        const sc = Object.entries(result.scores).map(([name, s]: [string, ItemScore]) => [
          name,
          s.score,
          s.passed,
        ]);
        if (sc.length > 0) meta.sc = sc;
      }
      if (result.status === 'failed' && result.error) {
        meta.et = result.error.type;
        meta.em = result.error.message;
      }
      args.push(JSON.stringify(meta), JSON.stringify(result));
    }
    const reply = await this.redis.rlRecordResults(
      ...this.keys.runKeyList(runId),
      now,
      this.eventsMaxLen,
      ...args,
    );
    const error = scriptError(reply, { runId });
    if (error instanceof RunNotFoundError) return { state: 'missing' };
    if (error) throw error;
    await waitForReplicas(this.redis, this.waitReplicas);
    const [, recorded = 0, done = 0, total = 0, finished = 0, stopped = 0] = reply.map(Number);
    const outcome: RecordOutcome = { state: 'ok', recorded, done, total, finished: finished === 1 };
    if (stopped === 1) outcome.stopped = true;
    return outcome;
  }

  /**
   * Ends a run early: items without a result are recorded `cancelled`, the run moves to `status`
   * (`cancelled` by the API, `failed` when the run itself cannot go on) and gets its retention TTL.
   * Workers must still be told through `publishCancel` to abort items in flight.
   */
  async finishRun(
    runId: string,
    status: 'cancelled' | 'failed',
    error?: string,
    now = Date.now(),
  ): Promise<FinishOutcome> {
    const cancelled = cancelledResult(error ?? `run ${status}`, { completedAt: now });
    const reply = await this.redis.rlFinishRun(
      ...this.keys.runKeyList(runId),
      now,
      this.eventsMaxLen,
      status,
      error ?? '',
      JSON.stringify(cancelled),
    );
    const outcome = scriptError(reply, { runId });
    if (outcome instanceof RunNotFoundError) return { state: 'missing' };
    if (outcome instanceof RunTerminalError) {
      return { state: 'terminal', status: outcome.runStatus as RunStatus };
    }
    if (outcome) throw outcome;
    await waitForReplicas(this.redis, this.waitReplicas);
    return { state: 'finished', cancelledItems: Number(reply[1]) };
  }

  // ---------------------------------------------------------------- events and cancellation

  /** Events after stream id `afterId` (exclusive; `0` for all), oldest first. */
  async readEvents(runId: string, afterId = '0', count = 1000): Promise<RunEvent[]> {
    const start = afterId === '0' ? '-' : `(${afterId}`;
    const entries = await this.redis.xrange(
      this.keys.run(runId).events,
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
      this.keys.run(runId).events,
      afterId,
    );
    if (!reply) return [];
    return reply.flatMap(([, entries]) => entries.map(toEvent));
  }

  /** Tells every worker that `runId` was cancelled or deleted (fire and forget; the run's status is the source of truth). */
  async publishCancel(runId: string): Promise<number> {
    return this.redis.publish(this.keys.cancelChannel, runId);
  }

  /**
   * Subscribes `connection` (dedicated: it enters subscriber mode) to the cancel channel.
   * `onCancel` receives each cancelled or deleted run id.
   */
  async subscribeCancel(connection: RedisClient, onCancel: (runId: string) => void): Promise<void> {
    const channel = this.keys.cancelChannel;
    connection.on('message', (ch: string, message: string) => {
      if (ch === channel) onCancel(message);
    });
    await connection.subscribe(channel);
  }

  // ---------------------------------------------------------------- idempotency

  /**
   * Reserves an `Idempotency-Key` for `runId` for `ttlSeconds` (default 24 h).
   * Returns null when reserved, else the run id the key already belongs to.
   */
  async reserveIdempotencyKey(
    key: string,
    runId: string,
    ttlSeconds = 24 * 3600,
  ): Promise<string | null> {
    const k = this.keys.idempotency(sha256Hex(key));
    const ok = await this.redis.set(k, runId, 'EX', ttlSeconds, 'NX');
    return ok === 'OK' ? null : await this.redis.get(k);
  }

  /** Sets how long a reserved key is kept, seconds (e.g. 24 h once its run is created). */
  async keepIdempotencyKey(key: string, ttlSeconds: number): Promise<void> {
    await this.redis.expire(this.keys.idempotency(sha256Hex(key)), ttlSeconds);
  }

  /** Releases a reserved key (the submission failed, a retry may use it). */
  async releaseIdempotencyKey(key: string): Promise<void> {
    await this.redis.del(this.keys.idempotency(sha256Hex(key)));
  }

  // ---------------------------------------------------------------- workers, targets, metrics

  /** Writes a worker's heartbeat. */
  async heartbeatWorker(info: WorkerInfo): Promise<void> {
    await this.redis.hset(this.keys.workers, info.id, JSON.stringify(info));
  }

  /** Removes a worker (graceful shutdown). */
  async removeWorker(workerId: string): Promise<void> {
    await this.redis.hdel(this.keys.workers, workerId);
  }

  /** Live workers: heartbeat within `maxAgeMs`; older entries are removed. */
  async listWorkers(maxAgeMs: number, now = Date.now()): Promise<WorkerInfo[]> {
    const all = await this.redis.hgetall(this.keys.workers);
    const live: WorkerInfo[] = [];
    const stale: string[] = [];
    for (const [id, json] of Object.entries(all)) {
      const info = JSON.parse(json) as WorkerInfo;
      if (now - Date.parse(info.heartbeatAt) <= maxAgeMs) live.push(info);
      else stale.push(id);
    }
    if (stale.length > 0) await this.redis.hdel(this.keys.workers, ...stale);
    return live.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Target names ever submitted (one BullMQ queue each). */
  async listTargets(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.targets)).sort();
  }

  /** Adds to fleet-wide counters (`/metrics`). Field names are Prometheus-style, values integers or floats. */
  async incrementMetrics(increments: Record<string, number>): Promise<void> {
    const pipeline = this.redis.pipeline();
    // HINCRBYFLOAT for all: a field once incremented by a float can no longer take HINCRBY
    for (const [field, by] of Object.entries(increments))
      pipeline.hincrbyfloat(this.keys.metrics, field, by);
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }

  /** Reads the fleet-wide counters written by `incrementMetrics`. */
  async readMetrics(): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(this.keys.metrics);
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }

  /** Counts runs in the index by status (expired entries skipped). Reads at most `max` runs. */
  async countRunsByStatus(max = 10_000): Promise<Record<RunStatus, number>> {
    const counts: Record<RunStatus, number> = {
      queued: 0,
      running: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
    };
    const ids = await this.redis.zrevrange(this.keys.runsIndex, 0, max - 1);
    const statuses = await this.readStatuses(ids);
    for (const status of statuses) {
      if (status !== null && status in counts) counts[status]++;
    }
    return counts;
  }

  // ---------------------------------------------------------------- fleet-wide run concurrency

  /**
   * Takes one of the run's `limit` fleet-wide slots for `holder` (unique per attempt) for
   * `leaseMs` (acquire-slot-1.lua); an expired lease frees its slot by itself.
   * @returns `{ acquired: true }`, or `{ acquired: false, waitMs }` (until the earliest lease ends).
   */
  async acquireRunSlot(
    runId: string,
    holder: string,
    limit: number,
    leaseMs: number,
    now = Date.now(),
  ): Promise<{ acquired: true } | { acquired: false; waitMs: number }> {
    const reply = await this.redis.rlAcquireSlot(
      this.keys.runSlots(runId),
      now,
      limit,
      holder,
      leaseMs,
    );
    const error = scriptError(reply, { runId });
    if (error) throw error;
    return Number(reply[0]) === ScriptCode.Ok
      ? { acquired: true }
      : { acquired: false, waitMs: Number(reply[1] ?? 1) };
  }

  /** Returns the slot `holder` took with `acquireRunSlot` (no-op when its lease expired). */
  async releaseRunSlot(runId: string, holder: string): Promise<void> {
    await this.redis.zrem(this.keys.runSlots(runId), holder);
  }

  // ---------------------------------------------------------------- reconciliation

  /**
   * Chunk numbers of `runId` (chunk c = item indexes `[c * chunkSize, (c + 1) * chunkSize)`) that
   * still hold an item without a result, ascending (find-open-chunks-2.lua). [] when the run does
   * not exist or every item has a result. Each script call inspects at most `pageChunks` chunks.
   */
  async findOpenChunks(runId: string, pageChunks = 200): Promise<number[]> {
    const k = this.keys.run(runId);
    const open: number[] = [];
    let from = 0;
    while (from >= 0) {
      const reply = await this.redis.rlFindOpenChunks(k.run, k.results, from, pageChunks);
      const error = scriptError(reply, { runId });
      if (error instanceof RunNotFoundError) return [];
      if (error) throw error;
      from = Number(reply[1]);
      for (let i = 2; i < reply.length; i++) open.push(Number(reply[i]));
    }
    return open;
  }

  /**
   * Takes the reconciler's leader lock for `holder` (a worker id) for `ttlMs`, or renews it when
   * `holder` holds it already. Returns true when `holder` holds the lock.
   */
  async acquireReconcilerLock(holder: string, ttlMs: number): Promise<boolean> {
    const key = this.keys.reconcilerLock;
    if ((await this.redis.set(key, holder, 'PX', ttlMs, 'NX')) === 'OK') return true;
    if ((await this.redis.get(key)) !== holder) return false;
    await this.redis.pexpire(key, ttlMs);
    return true;
  }

  /**
   * The `queued` and `running` runs, oldest first, with what the reconciler needs. Reads the
   * candidate set `runs:active` (not the whole runs index, so a pass costs O(active runs)),
   * `batch` runs per round trip; drops finished runs from it, and runs whose keys are gone
   * (expired, deleted) from it and from the runs index.
   */
  async listActiveRuns(batch = 500): Promise<ActiveRun[]> {
    const active: ActiveRun[] = [];
    const gone: string[] = [];
    const finished: string[] = [];
    for (let start = 0; ; start += batch) {
      const page = await this.redis.zrange(
        this.keys.activeRuns,
        String(start),
        String(start + batch - 1),
      );
      if (page.length === 0) break;
      // one command per run (not a pipeline): run keys live in different cluster slots
      const replies = await Promise.all(
        page.map((id) =>
          this.redis.hmget(
            this.keys.run(id).run,
            'status',
            'spec',
            'totalItems',
            'chunkSize',
            'createdAt',
          ),
        ),
      );
      const found: ActiveRun[] = [];
      page.forEach((id, i) => {
        const [status, spec, total, chunk, created] = replies[i]!;
        if (!status || !spec) {
          gone.push(id);
          return;
        }
        if (status !== 'queued' && status !== 'running') {
          finished.push(id);
          return;
        }
        found.push({
          id,
          status,
          target: (JSON.parse(spec) as StoredSpec).target.name,
          totalItems: Number(total),
          chunkSize: Number(chunk),
          createdAt: Number(created),
          lastEventAt: Number(created),
        });
      });
      if (found.length > 0) {
        const latest = await Promise.all(
          found.map((run) =>
            this.redis.xrevrange(this.keys.run(run.id).events, '+', '-', 'COUNT', 1),
          ),
        );
        found.forEach((run, i) => {
          const entries = latest[i];
          const at = Number(entries?.[0]?.[0].split('-')[0]);
          if (Number.isFinite(at) && at > run.lastEventAt) run.lastEventAt = at;
        });
        active.push(...found);
      }
      if (page.length < batch) break;
    }
    if (gone.length > 0) await this.redis.zrem(this.keys.runsIndex, ...gone);
    if (gone.length + finished.length > 0) {
      await this.redis.zrem(this.keys.activeRuns, ...gone, ...finished);
    }
    return active;
  }

  // ================================================================ security: API keys and projects
  // (API keys stored hashed in `keys.apiKeys`; per-project active runs for the in-flight limit)

  /**
   * Creates an API key for `project`: `rl_<project>_<43 base64url chars>` (32 random bytes).
   * Only its sha256 is stored; the key itself is returned once and cannot be read back.
   * @param name free text for listing (e.g. who holds it).
   * @param role what the key may do (see roles.ts). @defaultValue `admin`
   * @returns the key and its record (`id`: 12 hex chars, for listing and revoking).
   */
  async createApiKey(
    project: string,
    name = '',
    role: Role = DEFAULT_ROLE,
  ): Promise<CreatedApiKey> {
    const key = `rl_${project}_${randomBytes(32).toString('base64url')}`;
    const info: ApiKeyInfo = {
      id: randomBytes(6).toString('hex'),
      project,
      name,
      role,
      createdAt: new Date().toISOString(),
    };
    await this.redis.hset(this.keys.apiKeys, hashApiKey(key), JSON.stringify(info));
    return { key, ...info };
  }

  /** Every stored API key's record (never the key or its hash), oldest first. */
  async listApiKeys(): Promise<ApiKeyInfo[]> {
    const all = await this.redis.hvals(this.keys.apiKeys);
    return all
      .map(parseApiKeyInfo)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Deletes the stored API key with this `id`; returns its record, or null when there is none. */
  async revokeApiKey(id: string): Promise<ApiKeyInfo | null> {
    const all = await this.redis.hgetall(this.keys.apiKeys);
    for (const [hash, json] of Object.entries(all)) {
      const info = parseApiKeyInfo(json);
      if (info.id === id) {
        await this.redis.hdel(this.keys.apiKeys, hash);
        return info;
      }
    }
    return null;
  }

  /** The record of the stored key whose sha256 hex is `sha256hex` (see `hashApiKey`), or null. */
  async findApiKey(sha256hex: string): Promise<ApiKeyInfo | null> {
    const json = await this.redis.hget(this.keys.apiKeys, sha256hex);
    return json === null ? null : parseApiKeyInfo(json);
  }

  /** How many API keys are stored in Redis. */
  async countApiKeys(): Promise<number> {
    return this.redis.hlen(this.keys.apiKeys);
  }

  /** The project a run belongs to (`default` for runs committed without one), or null when it does not exist. */
  async getRunProject(runId: string): Promise<string | null> {
    const [status, project] = await this.redis.hmget(this.keys.run(runId).run, 'status', 'project');
    if (status === null) return null;
    return project ?? DEFAULT_PROJECT;
  }

  /**
   * Records a committed run as a candidate active run of `project` (for `countActiveRuns`).
   * The set's TTL is renewed to the safety TTL, so an idle project's set disappears.
   */
  async trackActiveRun(project: string, runId: string, createdAt: number): Promise<void> {
    const key = this.keys.projectActiveRuns(project);
    await this.redis.multi().zadd(key, createdAt, runId).expire(key, this.safetyTtlSeconds).exec();
  }

  /**
   * Counts `project`'s runs that are `queued` or `running`, reading each tracked run's status
   * (at most `max`, oldest first) and dropping finished, deleted or expired ones from the set.
   * Not atomic with submissions: runs submitted concurrently are not counted by each other.
   */
  async countActiveRuns(project: string, max = 10_000): Promise<number> {
    const key = this.keys.projectActiveRuns(project);
    const ids = await this.redis.zrange(key, '0', String(max - 1));
    if (ids.length === 0) return 0;
    const statuses = await this.readStatuses(ids);
    const done = ids.filter((_, i) => statuses[i] !== 'queued' && statuses[i] !== 'running');
    if (done.length > 0) await this.redis.zrem(key, ...done);
    return ids.length - done.length;
  }
}

/** A stored API key's record (`RunStore.listApiKeys`); `createdAt` is ISO-8601. */
export interface ApiKeyInfo {
  id: string;
  project: string;
  name: string;
  /** What the key may do; records stored before roles existed read `admin`. */
  role: Role;
  createdAt: string;
}

/** A stored key record from its JSON; one stored without a role is `admin`. */
function parseApiKeyInfo(json: string): ApiKeyInfo {
  const info = JSON.parse(json) as Omit<ApiKeyInfo, 'role'> & { role?: Role };
  return { ...info, role: info.role ?? DEFAULT_ROLE };
}

/** `RunStore.createApiKey`'s answer: the key (shown once) and its record. */
export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}

/** sha256 hex of an API key: how keys are stored and looked up. */
export const hashApiKey: (key: string) => string = sha256Hex;

/** A queued or running run as the reconciler sees it (`RunStore.listActiveRuns`); times in ms since epoch. */
export interface ActiveRun {
  id: string;
  status: 'queued' | 'running';
  target: string;
  totalItems: number;
  chunkSize: number;
  createdAt: number;
  /** Time of the run's latest event (status or progress), or `createdAt` when it has none. */
  lastEventAt: number;
}

// ------------------------------------------------------------------ conversions

/** `[field, value, field, value, ...]` (HGETALL in Lua, a stream entry's fields) as a record. */
function pairsToRecord(flat: string[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
  return h;
}

function toRun(reply: ScriptReply): Run {
  const h = pairsToRecord(reply[0] as string[]);
  const count = Number(reply[1]);
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const spec = JSON.parse(h.spec ?? '{}') as StoredSpec;
  const total = Number(h.totalItems ?? 0);
  const succeeded = Number(h.succeededCount ?? 0);
  const failed = Number(h.failedCount ?? 0);
  const cancelled = Number(h.cancelledCount ?? 0);
  const scores: Run['scores'] = {};
  for (const scorer of spec.scorers ?? []) {
    scores[scorer.name] = summarizeScore({
      passed: Number(h[`score:${scorer.name}:passed`] ?? 0),
      failed: Number(h[`score:${scorer.name}:failed`] ?? 0),
      scoreSum: Number(h[`score:${scorer.name}:sum`] ?? 0),
      resultCount: succeeded + failed + cancelled,
      totalItems: total,
    });
  }
  const percentiles = PERCENTILES.length;
  const errorTypes = toErrorTypes((reply[3 + percentiles] as string[] | undefined) ?? []);
  const reruns = ((reply[4 + percentiles] as string[] | undefined) ?? []).map(String);
  return {
    id: h.id ?? '',
    project: h.project ?? DEFAULT_PROJECT,
    name: h.name ?? null,
    status: (h.status ?? 'queued') as RunStatus,
    target: spec.target,
    scorers: spec.scorers ?? [],
    execution: spec.execution,
    datasetId: h.datasetId ?? null,
    datasetVersion: h.datasetVersion ?? null,
    datasetHash: h.datasetHash ?? null,
    parentRunId: h.parentRunId ?? null,
    totalItems: total,
    succeededCount: succeeded,
    failedCount: failed,
    cancelledCount: cancelled,
    progress: total === 0 ? 0 : (succeeded + failed + cancelled) / total,
    latencyMs: {
      p50: num(reply[3]),
      p90: num(reply[4]),
      p99: num(reply[5]),
      mean: count === 0 ? null : Number(h.latencySumMs ?? 0) / count,
      max: num(reply[2]),
    },
    usage: { inputTokens: Number(h.inputTokens ?? 0), outputTokens: Number(h.outputTokens ?? 0) },
    costUsd: Number(h.costUsd ?? 0),
    scores,
    errorTypes,
    reruns,
    tags: JSON.parse(h.tags ?? '[]') as string[],
    metadata: JSON.parse(h.metadata ?? '{}') as Record<string, unknown>,
    retention: { ttlSeconds: Number(h.ttlSeconds ?? 0) },
    createdAt: iso(h.createdAt) ?? new Date(0).toISOString(),
    startedAt: iso(h.startedAt),
    completedAt: iso(h.completedAt),
    expiresAt: iso(h.expiresAt),
    error: h.error ?? null,
    traceId: h.traceId ?? null,
    privacy: spec.privacy ?? null,
    ...(h.experimentId === undefined ? {} : { experimentId: h.experimentId }),
    ...(h.variant === undefined ? {} : { variant: h.variant }),
    ...(h.trialIndex === undefined ? {} : { trialIndex: Number(h.trialIndex) }),
  };
}

/**
 * The errtypes hash (flat HGETALL: `n:<type>` count, `m:<type>` message) as `ErrorType`s, by
 * count descending, then type.
 */
function toErrorTypes(flat: string[]): ErrorType[] {
  const h = pairsToRecord(flat);
  const out: ErrorType[] = [];
  for (const [field, value] of Object.entries(h)) {
    if (!field.startsWith('n:')) continue;
    const type = field.slice(2);
    out.push({ type, count: Number(value), message: h[`m:${type}`] ?? '' });
  }
  return out.sort((a, b) => b.count - a.count || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/**
 * A stored result joined with its item: the `Result` the API answers (times ISO-8601, `null` for
 * what the result lacks). Used by `RunStore.listResults` and `ResultQueries`.
 */
export function toResult(runId: string, index: number, item: StoredItem, r: StoredResult): Result {
  return {
    runId,
    itemId: item.id,
    itemIndex: index,
    status: r.status,
    input: item.input,
    expectedOutput: item.expectedOutput ?? null,
    metadata: item.metadata ?? null,
    output: r.output ?? null,
    error: r.error ?? null,
    attempts: r.attempts,
    latencyMs: r.latencyMs ?? null,
    queueMs: r.queueMs ?? null,
    startedAt: iso(r.startedAt),
    completedAt: iso(r.completedAt),
    usage: r.usage ?? null,
    costUsd: r.costUsd ?? null,
    scores: r.scores ?? {},
    workerId: r.workerId ?? null,
    masked: addMaskCounts(addMaskCounts({}, item.masked), r.masked),
  };
}

function toEvent([id, fields]: [string, string[]]): RunEvent {
  const h = pairsToRecord(fields);
  return {
    id,
    type: h.type === 'progress' ? 'progress' : 'status',
    data: JSON.parse(h.data ?? '{}') as Record<string, unknown>,
  };
}

function matches(run: Run, f: RunFilter): boolean {
  if (f.status && run.status !== f.status) return false;
  if (f.target && run.target.name !== f.target) return false;
  if (f.datasetId && run.datasetId !== f.datasetId) return false;
  if (f.tag && !run.tags.includes(f.tag)) return false;
  if (f.project && run.project !== f.project) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    if (!run.id.toLowerCase().includes(q) && !(run.name ?? '').toLowerCase().includes(q))
      return false;
  }
  return true;
}

function encodeCursor(c: { t: number; id: string }): string {
  return Buffer.from(`${c.t}.${c.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { t: number; id: string } {
  const [t, id] = Buffer.from(cursor, 'base64url').toString().split('.');
  const n = Number(t);
  if (!id || !Number.isFinite(n)) throw new InvalidCursorError();
  return { t: n, id };
}
