/**
 * Reading a run's results and items: pages in item order or by status, effective results across
 * reruns, the latency histogram. Results are written only by record-results-9 and finish-run-9
 * (./execution.ts).
 */
import { RunNotFoundError } from '../errors.js';
import { histogramEdges, type LatencyHistogram, latencyBucketValue } from '../histogram.js';
import type {
  EffectiveSummary,
  Result,
  ResultStatus,
  ScoreSummary,
  StoredItem,
  StoredResult,
} from '../schemas.js';
import { addMaskCounts } from '../scrub.js';
import { summarizeResultScores } from '../stats.js';
import type { StoreResources } from './resources.js';
import type { RunHash } from './run-hash.js';
import type { Runs } from './runs.js';

/** Paging of `listResults` and `listEffectiveResults`. */
export interface ResultPageOptions {
  /** Only results with this status. */
  status?: ResultStatus | undefined;
  /** Page size. @defaultValue 100 */
  limit?: number | undefined;
  /** The item index to start from (a `nextCursor`). */
  cursor?: string | undefined;
}

/** The last second `iso` formatted (ms since epoch, floored to the second) and its ISO prefix. */
let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * `new Date(ms).toISOString()`, or null. The results of a page mostly share their seconds, so
 * the `YYYY-MM-DDTHH:mm:ss` part of the last second formatted is reused and only the
 * milliseconds are appended (formatting a Date was ~13% of a results page's CPU).
 */
export function iso(ms: number | null | undefined): string | null {
  if (ms === undefined || ms === null) return null;
  const second = Math.floor(ms / 1000);
  const millis = ms - second * 1000;
  if (second !== isoSecond || !Number.isInteger(millis)) {
    const full = new Date(ms).toISOString();
    if (!Number.isInteger(millis)) return full;
    isoSecond = second;
    isoPrefix = full.slice(0, -4); // without `mmmZ`
    return full;
  }
  return `${isoPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/**
 * A stored result joined with its item: the `Result` the API answers (times ISO-8601, `null` for
 * what the result lacks). Used by `RunResults.listResults` and `ResultQueries`.
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

/** Results and items of runs. */
export class RunResults {
  constructor(
    private readonly r: StoreResources,
    private readonly hash: RunHash,
    private readonly runs: Runs,
  ) {}

  /**
   * Lists a run's results in item order, joined with their items. Without `status`, a page covers
   * item indexes `[cursor, cursor+limit)` and skips items whose result has not landed yet.
   * @throws RunNotFoundError when the run does not exist.
   */
  async listResults(
    runId: string,
    options: ResultPageOptions = {},
  ): Promise<{ results: Result[]; nextCursor: string | null }> {
    const k = this.r.keys.run(runId);
    const limit = options.limit ?? 100;
    const from = options.cursor ? Number(options.cursor) : 0;
    const info = await this.hash.resultsInfo(runId);
    if (info === null) throw new RunNotFoundError(runId);
    let indexes: number[];
    let nextCursor: string | null;
    if (options.status) {
      const page = await this.listResultIndexes(runId, options.status, from, limit + 1);
      indexes = page.slice(0, limit);
      nextCursor = page.length > limit ? String(page[limit]!) : null;
    } else {
      const end = Math.min(from + limit, info.totalItems);
      indexes = [];
      for (let i = from; i < end; i++) indexes.push(i);
      nextCursor = end < info.totalItems ? String(end) : null;
    }
    if (indexes.length === 0) return { results: [], nextCursor };
    const [[e1, stored], [e2, items]] = (await this.r.redis
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
      const { codec } = this.r;
      const result = toResult(runId, index, codec.decodeItem(it), codec.decodeResult(s));
      if (info.trialIndex !== null) result.trialIndex = info.trialIndex;
      results.push(result);
    });
    return { results, nextCursor };
  }

  /**
   * Every result of a run in item order (pages of 1000), each as `keep` makes it (default: the
   * whole `Result`; a caller that needs a few fields keeps only those, so a page's full results
   * die young). @throws RunNotFoundError when the run does not exist.
   */
  async allResults<T = Result>(
    runId: string,
    keep: (result: Result) => T = (result) => result as T,
  ): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listResults(runId, { limit: 1000, cursor });
      for (const result of page.results) out.push(keep(result));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  }

  /**
   * A run's **effective** results: per item (joined by item id), the latest result across the
   * run and its reruns (`Runs.getRunWithReruns`; a later rerun's result replaces an earlier one),
   * in the run's item order. Each result's `runId` names the run it came from; its `itemIndex` is
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
    options: ResultPageOptions = {},
  ): Promise<{ results: Result[]; nextCursor: string | null; effective: EffectiveSummary }> {
    const tree = await this.runs.getRunWithReruns(runId);
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
    const k = this.r.keys.run(runId);
    if (!(await this.r.redis.exists(k.run))) throw new RunNotFoundError(runId);
    if (indexes.length === 0) return [];
    const values = await this.r.redis.hmget(k.items, ...indexes.map(String));
    return values.map((v) => (v === null ? null : this.r.codec.decodeItem(v)));
  }

  /**
   * Item indexes of a run's results with `status`, ascending, from index `from`, at most `limit`:
   * the set bits of the status bitmap (record-results-9), read with `readStatusBits`.
   */
  async listResultIndexes(
    runId: string,
    status: ResultStatus,
    from = 0,
    limit = 1000,
  ): Promise<number[]> {
    return readStatusBits(this.r.redis, this.r.keys.run(runId)[status], from, limit);
  }

  /**
   * The histogram of a run's item latencies (ms) in `buckets` buckets (see `histogramEdges`)
   * between the exact min and max (run hash), from the stored log buckets (one HGETALL): each
   * stored bucket counts in the bucket holding the value it reports (`latencyBucketValue`, within
   * 1% of each latency in it, clamped to the exact min and max), so a latency within 1% of an edge
   * may count in the neighbouring bucket.
   * @returns null when the run does not exist.
   */
  async latencyHistogram(runId: string, buckets: number): Promise<LatencyHistogram | null> {
    const k = this.r.keys.run(runId);
    const [[e1, mm], [e2, flat]] = (await this.r.redis
      .pipeline()
      .hmget(k.run, 'id', 'latencyMinMs', 'latencyMaxMs')
      .hgetall(k.latency)
      .exec()) as [[Error | null, (string | null)[]], [Error | null, Record<string, string>]];
    if (e1 || e2) throw e1 ?? e2;
    if (mm[0] === null) return null;
    const stored = Object.entries(flat).map(([b, n]) => [Number(b), Number(n)] as const);
    if (stored.length === 0 || mm[1] === null || mm[2] === null) {
      return { runId, count: 0, minMs: null, maxMs: null, scale: 'linear', buckets: [] };
    }
    const minMs = Number(mm[1]);
    const maxMs = Number(mm[2]);
    const { scale, edges } = histogramEdges(minMs, maxMs, buckets);
    const counts = new Array<number>(edges.length - 1).fill(0);
    for (const [b, n] of stored) {
      const v = Math.min(maxMs, Math.max(minMs, latencyBucketValue(b)));
      // the last bucket holds its upper edge; others are [from, to)
      let i = 0;
      while (i < counts.length - 1 && v >= edges[i + 1]!) i++;
      counts[i]! += n;
    }
    return {
      runId,
      count: counts.reduce((s, n) => s + n, 0),
      minMs,
      maxMs,
      scale,
      buckets: counts.map((count, i) => ({ fromMs: edges[i]!, toMs: edges[i + 1]!, count })),
    };
  }
}

/** Bytes of a status bitmap read per GETRANGE (32,768 items). */
const BITMAP_READ_BYTES = 4096;

/**
 * Set bits of a bitmap (a run's status bitmap: bit i = item i), ascending, from bit `from`, at
 * most `limit`; skips zero bytes with BITPOS, then reads `BITMAP_READ_BYTES` at a time with
 * GETRANGE, until `limit` bits were found or the string ended (bits past its end are 0).
 */
export async function readStatusBits(
  redis: StoreResources['redis'],
  key: string,
  from: number,
  limit: number,
): Promise<number[]> {
  const out: number[] = [];
  if (limit <= 0) return out;
  let byte = Math.floor(Math.max(0, from) / 8);
  for (;;) {
    // skip to the first byte holding a set bit (sparse bitmaps: failed, cancelled)
    const first = Number(await redis.call('BITPOS', key, 1, byte));
    if (first < 0) return out;
    byte = Math.max(byte, Math.floor(first / 8));
    const chunk = await redis.getrangeBuffer(key, byte, byte + BITMAP_READ_BYTES - 1);
    for (let j = 0; j < chunk.length; j++) {
      const v = chunk[j]!;
      if (v === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        // SETBIT numbers bits from the most significant bit of each byte
        if ((v & (0x80 >> bit)) === 0) continue;
        const index = (byte + j) * 8 + bit;
        if (index < from) continue;
        out.push(index);
        if (out.length === limit) return out;
      }
    }
    if (chunk.length < BITMAP_READ_BYTES) return out;
    byte += BITMAP_READ_BYTES;
  }
}
