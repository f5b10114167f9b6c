/**
 * Experiments in Redis, and the figures computed from their runs' results.
 *
 * An experiment is a hash `runledger:experiment:{<id>}` (id, name, project, createdAt, spec JSON
 * without the items, runIds JSON: variant name -> run ids by trial index) plus an entry in the
 * index zset `runledger:experiments` (score createdAt). Its runs are ordinary runs carrying
 * `experimentId`, `variant` and `trialIndex`.
 *
 * Lifetime: the hash is written with the safety TTL (like a running run's keys); once every run
 * is terminal, `settle` sets its TTL to the longest retention of its runs, so it expires with
 * them. Index entries whose hash is gone are pruned when listed.
 *
 * Summaries are computed from every result of every run (`RunResults.allResults`, pages of 1000):
 * exact figures, at O(total results) reads and memory per request (about 1 s and tens of MB for
 * 100k results). Figures: see ./experiment-schemas.ts and ./stats.ts.
 */
import { InvalidCursorError, RunNotFoundError } from './errors.js';
import type { ExperimentReport, ExperimentSummary, VariantScore } from './experiment-schemas.js';
import { readIndexPage } from './index-page.js';
import { KeyLayout } from './keys.js';
import type { RedisClient } from './redis.js';
import {
  type Result,
  type Run,
  type ScorerRef,
  type TargetRef,
  TERMINAL_STATUSES,
} from './schemas.js';
import { redactSecrets } from './secrets.js';
import { nearestRank, passAtK, passHatK, summarizeResultScores, wilsonInterval } from './stats.js';
import type { RunResults, Runs } from './store/index.js';

/** An experiment as stored. Times in ms since epoch. */
export interface ExperimentRecord {
  id: string;
  name: string;
  project: string;
  createdAt: number;
  datasetId: string | null;
  datasetVersion: string | null;
  trials: number;
  scorers: ScorerRef[];
  tags: string[];
  /** Variants in request order, each with its run ids by trial index. */
  variants: { name: string; target: TargetRef; runIds: string[] }[];
}

/** Options of an `ExperimentStore`. */
export interface ExperimentStoreOptions {
  /** Key prefix. @defaultValue `runledger` */
  prefix?: string;
  /** TTL of an experiment until its runs are terminal, seconds. @defaultValue 2592000 (30 days) */
  safetyTtlSeconds?: number;
}

/**
 * Redis access for experiments (key layout in ./keys.ts).
 *
 * @example
 * const experiments = new ExperimentStore(redis, { prefix: 'runledger' });
 * await experiments.create(record);
 * const found = await experiments.get(record.id); // ExperimentRecord | null
 */
export class ExperimentStore {
  readonly keys: KeyLayout;
  readonly safetyTtlSeconds: number;

  constructor(
    readonly redis: RedisClient,
    options: ExperimentStoreOptions = {},
  ) {
    this.keys = new KeyLayout(options.prefix ?? 'runledger');
    this.safetyTtlSeconds = options.safetyTtlSeconds ?? 30 * 24 * 3600;
  }

  /** Writes an experiment (with the safety TTL) and indexes it. */
  async create(record: ExperimentRecord): Promise<void> {
    const key = this.keys.experiment(record.id);
    await this.redis
      .multi()
      .hset(key, {
        id: record.id,
        project: record.project,
        createdAt: record.createdAt,
        record: JSON.stringify(record),
      })
      .expire(key, this.safetyTtlSeconds)
      .exec();
    await this.redis.zadd(this.keys.experimentsIndex, record.createdAt, record.id);
  }

  /** The experiment, or null when it does not exist (or expired). */
  async get(id: string): Promise<ExperimentRecord | null> {
    const json = await this.redis.hget(this.keys.experiment(id), 'record');
    return json === null ? null : (JSON.parse(json) as ExperimentRecord);
  }

  /**
   * Sets the experiment's TTL to `ttlSeconds` once (when every run is terminal; the longest
   * retention of its runs). Later calls change nothing.
   */
  async settle(id: string, ttlSeconds: number): Promise<void> {
    const key = this.keys.experiment(id);
    if ((await this.redis.hsetnx(key, 'settledAt', Date.now())) === 1) {
      await this.redis.expire(key, Math.max(1, Math.round(ttlSeconds)));
    }
  }

  /**
   * Deletes the experiment's hash and index entry (not its runs: the caller deletes those
   * first). Returns true when it existed.
   */
  async delete(id: string): Promise<boolean> {
    const [deleted] = await Promise.all([
      this.redis.del(this.keys.experiment(id)),
      this.redis.zrem(this.keys.experimentsIndex, id),
    ]);
    return deleted > 0;
  }

  /**
   * `project`'s experiments, newest first, at most `limit`, created before `before` (ms, the
   * cursor). Index entries of expired experiments are removed. Inspects at most 2000 entries.
   */
  async list(
    project: string,
    options: { limit?: number | undefined; cursor?: string | undefined } = {},
  ): Promise<{ experiments: ExperimentRecord[]; nextCursor: string | null }> {
    const limit = options.limit ?? 50;
    // cursor `<createdAt ms>.<id>`: the last experiment handed out; ties on createdAt are ordered
    // by id (ZREVRANGEBYSCORE returns equal scores in reverse lexicographic order)
    const cursor = options.cursor === undefined ? null : parseListCursor(options.cursor);
    const max = cursor === null ? '+inf' : String(cursor.t);
    const out: ExperimentRecord[] = [];
    const gone: string[] = [];
    let offset = 0;
    let last: { t: number; id: string } | null = null;
    let more = true;
    while (out.length < limit && offset < 2000) {
      const { entries, read } = await readIndexPage(
        this.redis,
        this.keys.experimentsIndex,
        { max, min: '-inf' },
        offset,
        200,
        cursor,
      );
      offset += read;
      const records = await Promise.all(entries.map((e) => this.get(e.id)));
      let used = 0;
      for (; used < entries.length && out.length < limit; used++) {
        const record = records[used];
        last = entries[used]!;
        if (!record) gone.push(last.id);
        else if (record.project === project) out.push(record);
      }
      if (read < 200 && used === entries.length) {
        more = false; // the index ends within this page and every entry of it was seen
        break;
      }
    }
    if (gone.length > 0) await this.redis.zrem(this.keys.experimentsIndex, ...gone);
    const nextCursor = more && last !== null ? `${last.t}.${last.id}` : null;
    return { experiments: out, nextCursor };
  }
}

/**
 * Every result of a run, in item order, each as `keep` makes it (`RunResults.allResults`). []
 * when the run does not exist.
 */
export async function loadAllResults<T = Result>(
  results: RunResults,
  runId: string,
  keep?: (result: Result) => T,
): Promise<T[]> {
  try {
    return await results.allResults(runId, keep);
  } catch (err) {
    if (err instanceof RunNotFoundError) return [];
    throw err;
  }
}

/**
 * What an experiment's summary and report read of a result: its item, status, latency (ms), scores
 * and error type. The rest (the output first: a model's answer can be kilobytes) is dropped as
 * each page is read, so an experiment's summary holds ~the item id and scores per result.
 */
export type TrialResult = Pick<
  Result,
  'itemId' | 'itemIndex' | 'status' | 'latencyMs' | 'scores'
> & {
  error: { type: string } | null;
};

/** A result as `TrialResult` (what `loadExperimentData` keeps of each). */
export function keepTrialResult(r: Result): TrialResult {
  return {
    itemId: r.itemId,
    itemIndex: r.itemIndex,
    status: r.status,
    latencyMs: r.latencyMs,
    scores: r.scores,
    error: r.error ? { type: r.error.type } : null,
  };
}

/** A run of an experiment with its results, as `summarizeExperiment` needs it (null: gone). */
export interface TrialData {
  run: Run | null;
  results: TrialResult[];
}

/**
 * Loads every run and every result of an experiment (one run at a time, results in pages, each
 * kept as `TrialResult`).
 */
export async function loadExperimentData(
  store: { runs: Runs; results: RunResults },
  record: ExperimentRecord,
): Promise<TrialData[][]> {
  const data: TrialData[][] = [];
  for (const variant of record.variants) {
    const trials: TrialData[] = [];
    for (const runId of variant.runIds) {
      const run = await store.runs.getRun(runId);
      trials.push({
        run,
        results: run ? await loadAllResults(store.results, runId, keepTrialResult) : [],
      });
    }
    data.push(trials);
  }
  return data;
}

/** The runs that still exist (null: gone). */
const presentRuns = (runs: (Run | null)[]): Run[] => runs.filter((r): r is Run => r !== null);

function statusOf(present: Run[]): ExperimentSummary['status'] {
  if (present.some((r) => !TERMINAL_STATUSES.includes(r.status))) return 'running';
  if (present.some((r) => r.status === 'failed')) return 'failed';
  if (present.some((r) => r.status === 'cancelled')) return 'cancelled';
  return 'completed';
}

/**
 * The side-by-side summary of an experiment from its runs' results (see
 * `ExperimentSummarySchema`): per variant and scorer, `summarizeScore` (stats.ts: the one pass
 * rate, passed / items, so failed, cancelled and pending items count as not passed) over the
 * items of every trial run that still exists, with its Wilson 95% interval; with
 * trials > 1, pass@k and pass^k with k = trials, per item (n = trials with a result, c = those
 * that passed; items with fewer than k results are left out) averaged over items; latency
 * percentiles (nearest rank) over every result that ran; usage and cost summed from the runs;
 * errors (failed results) by error type. Runs that no longer exist are listed in
 * `missingRunIds` (per variant and in total) and the summary says `incomplete`; their items are
 * left out of every figure.
 */
export function summarizeExperiment(
  record: ExperimentRecord,
  data: TrialData[][],
): ExperimentSummary {
  const scorerNames = record.scorers.map((s) => s.name);
  const differences = targetDifferences(record.variants.map((variant) => variant.target));
  const missingRunIds: string[] = [];
  const variants = record.variants.map((variant, v) => {
    const trials = data[v] ?? [];
    const runs = trials.map((t) => t.run);
    variant.runIds.forEach((id, i) => {
      if (!runs[i]) missingRunIds.push(id);
    });
    const present = presentRuns(runs);
    const results = trials.flatMap((t) => t.results);
    const latencies = results
      .map((r) => r.latencyMs)
      .filter((ms): ms is number => ms !== null)
      .sort((x, y) => x - y);
    const byType: Record<string, number> = {};
    let errors = 0;
    let cancelled = 0;
    for (const r of results) {
      if (r.status === 'failed') {
        errors++;
        const type = r.error?.type ?? 'unknown';
        byType[type] = (byType[type] ?? 0) + 1;
      } else if (r.status === 'cancelled') cancelled++;
    }
    const k = record.trials;
    // with trials > 1, per item id: trials with a result (n), and per scorer those that passed (c)
    const perItem = new Map<string, { n: number; c: Record<string, number> }>();
    if (k > 1) {
      for (const r of results) {
        let e = perItem.get(r.itemId);
        if (!e) {
          e = { n: 0, c: {} };
          perItem.set(r.itemId, e);
        }
        e.n++;
        for (const name of scorerNames)
          if (r.scores[name]?.passed) e.c[name] = (e.c[name] ?? 0) + 1;
      }
    }
    const full = [...perItem.values()].filter((e) => e.n >= k);
    const totalItems = present.reduce((acc, r) => acc + r.totalItems, 0);
    const scores: Record<string, VariantScore> = {};
    for (const name of scorerNames) {
      const n = Math.max(totalItems, results.length);
      const summary = summarizeResultScores(results, name, n);
      const score: VariantScore = {
        ...summary,
        ci95: n === 0 ? null : wilsonInterval(summary.passed, n),
        n,
      };
      if (k > 1) {
        score.passAtK =
          full.length === 0
            ? null
            : full.reduce((acc, e) => acc + passAtK(e.n, e.c[name] ?? 0, k), 0) / full.length;
        score.passHatK =
          full.length === 0
            ? null
            : full.reduce((acc, e) => acc + passHatK(e.n, e.c[name] ?? 0, k), 0) / full.length;
      }
      scores[name] = score;
    }
    return {
      name: variant.name,
      target: variant.target,
      differences: differences[v] ?? {},
      runIds: variant.runIds,
      missingRunIds: variant.runIds.filter((_, i) => !runs[i]),
      status: statusOf(present),
      totalItems,
      completedItems: present.reduce(
        (acc, r) => acc + r.succeededCount + r.failedCount + r.cancelledCount,
        0,
      ),
      scores,
      latencyMs: {
        p50: nearestRank(latencies, 50),
        p90: nearestRank(latencies, 90),
        p99: nearestRank(latencies, 99),
      },
      usage: {
        inputTokens: present.reduce((acc, r) => acc + r.usage.inputTokens, 0),
        outputTokens: present.reduce((acc, r) => acc + r.usage.outputTokens, 0),
      },
      costUsd: present.reduce((acc, r) => acc + r.costUsd, 0),
      unpriced: {
        results: present.reduce((acc, r) => acc + r.unpriced.results, 0),
        model: present.find((r) => r.unpriced.results > 0)?.unpriced.model ?? null,
      },
      errors: { count: errors, byType },
      cancelled,
    };
  });
  return {
    id: record.id,
    project: record.project,
    name: record.name,
    status: statusOf(presentRuns(data.flat().map((t) => t.run))),
    createdAt: new Date(record.createdAt).toISOString(),
    datasetId: record.datasetId,
    datasetVersion: record.datasetVersion,
    trials: record.trials,
    scorers: scorerNames,
    incomplete: missingRunIds.length > 0,
    missingRunIds,
    variants,
  };
}

/**
 * What tells the variants of an experiment apart: per target of `targets` (in order), the dotted
 * paths of the fields whose values are not the same in every target (`name`,
 * `config.params.temperature`), each with this target's value, null where it has none, in the
 * order the fields first appear. Objects are walked; arrays and other values compare as JSON.
 * Secret fields are compared and shown redacted (`redactSecrets`), so targets that differ only in a
 * key show no difference there. One target, or identical ones: `{}` each.
 */
export function targetDifferences(targets: readonly TargetRef[]): Record<string, unknown>[] {
  const leaves = targets.map((target) => {
    const out = new Map<string, unknown>();
    const walk = (value: unknown, path: string) => {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const entries = Object.entries(value);
        // an empty object is a value of its own (`{}` differs from a missing field)
        if (entries.length === 0) out.set(path, value);
        for (const [key, v] of entries) walk(v, path === '' ? key : `${path}.${key}`);
      } else out.set(path, value);
    };
    walk(redactSecrets(target), '');
    return out;
  });
  const paths = [...new Set(leaves.flatMap((l) => [...l.keys()]))];
  const differing = paths.filter((path) => {
    const first = JSON.stringify(leaves[0]?.get(path));
    return leaves.some((l) => JSON.stringify(l.get(path)) !== first);
  });
  return leaves.map((l) =>
    Object.fromEntries(differing.map((path) => [path, l.has(path) ? l.get(path) : null])),
  );
}

/**
 * The summary plus one row per item (in item order of the first run that has it): per variant,
 * one entry per trial with the result's status (`pending` when it has none yet) and, per scorer,
 * passed (null when unscored).
 */
export function reportExperiment(record: ExperimentRecord, data: TrialData[][]): ExperimentReport {
  const summary = summarizeExperiment(record, data);
  const scorerNames = record.scorers.map((s) => s.name);
  const rows = new Map<string, ExperimentReport['items'][number]>();
  const order: string[] = [];
  // item ids and indexes from every result (all runs share the dataset)
  for (const trials of data) {
    for (const t of trials) {
      for (const r of t.results) {
        if (!rows.has(r.itemId)) {
          rows.set(r.itemId, { itemId: r.itemId, itemIndex: r.itemIndex, variants: {} });
          order.push(r.itemId);
        }
      }
    }
  }
  record.variants.forEach((variant, v) => {
    const trials = data[v] ?? [];
    const byTrial = trials.map((t) => new Map(t.results.map((r) => [r.itemId, r])));
    for (const row of rows.values()) {
      row.variants[variant.name] = byTrial.map((results, trialIndex) => {
        const r = results.get(row.itemId);
        const passed: Record<string, boolean | null> = {};
        for (const name of scorerNames) passed[name] = r?.scores[name]?.passed ?? null;
        return { trialIndex, status: r ? r.status : 'pending', passed };
      });
    }
  });
  const items = order
    .map((id) => rows.get(id)!)
    .sort((x, y) => x.itemIndex - y.itemIndex || x.itemId.localeCompare(y.itemId));
  return { ...summary, items };
}

/** Parses a `list` cursor (`<createdAt ms>.<id>`). @throws InvalidCursorError when malformed. */
function parseListCursor(cursor: string): { t: number; id: string } {
  const dot = cursor.indexOf('.');
  const t = Number(cursor.slice(0, dot));
  const id = cursor.slice(dot + 1);
  if (dot <= 0 || !Number.isSafeInteger(t) || id === '') throw new InvalidCursorError();
  return { t, id };
}
