/**
 * Searching and sorting a run's results (`GET /v1/runs/:id/results?q=&sort=`): Redis reads only,
 * so every API process answers the same pages.
 *
 * - Search (`q`): a case-insensitive substring of the item id, or of the text of the input,
 *   output, expected output (a string as it is, anything else as its JSON) or error message.
 *   There is no text index: candidates are read in the page's order from the cursor and matched
 *   here, at most `scanBudget` (default 2,000) per request. A page may therefore hold fewer than
 *   `limit` results, even none, with a non-null `nextCursor`: follow it until it is null.
 * - Sort (`sort`): `latency` / `-latency` and `score:<scorer>` / `-score:<scorer>` page through
 *   an index built on demand in Redis from the results hash (`KeyLayout.runLatencySort`: a zset
 *   of the results with a latency; `KeyLayout.runScoreSort`: one zset for every scorer of the
 *   run; 300 s TTL), so pages stay consistent across API processes. A finished run's index is
 *   rebuilt only when the run's result count differs from the one it was built from; a run still
 *   queued or running rebuilds at most once per `minRebuildIntervalMs` (5 s), so its sorted pages
 *   may lag the newest results by that long (a build reads every result: ~2 s per 100,000). One process builds at a time (a lock with a 30 s TTL); while it does, the others
 *   page through the previous index, when there is one. Items without the sort key (never ran, not scored by that scorer) are left out.
 *   Ties are ordered by item index (score) or by the index's text (latency); a descending sort
 *   is the exact reverse of the ascending one (ties too).
 * - Cursors: in item order (no `sort`) the item index to read next (digits, as without search);
 *   sorted, an opaque token naming the sort and the last item read, so a page starts right after
 *   it even when results landed meanwhile. A token of another sort or run is refused
 *   (`InvalidCursorError`, 400).
 * - Scorer filter (`scorer` + `passed`): `passed: true` keeps the results whose
 *   `scores[scorer].passed` is true; `passed: false` keeps every other result, including those
 *   with no score from that scorer (the item failed or was cancelled, or the scorer errored), as
 *   `summarizeScore`'s pass rate counts them (./stats.ts: passRate = passed / totalItems). Items
 *   without a result are not listed. A filter of the same bounded scan as `q`, combinable with
 *   `status`, `q` and `sort`.
 */
import { randomBytes } from 'node:crypto';
import { InvalidCursorError, RunNotFoundError, ValidationError } from './errors.js';
import type { KeyLayout } from './keys.js';
import type { RedisClient } from './redis.js';
import type { Result, ResultStatus, StoredSpec } from './schemas.js';
import {
  createStoreResources,
  RunHash,
  RunScripts,
  readStatusBits,
  toResult,
  ValueCodec,
} from './store/index.js';

/** `latency`, `-latency`, `score:<scorer>` or `-score:<scorer>` (`-`: descending). */
export const RESULT_SORT_PATTERN = /^-?(latency|score:[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$/;

/** How `ResultQueries.list` orders results: see `RESULT_SORT_PATTERN`. */
export type ResultSort = 'latency' | '-latency' | `score:${string}` | `-score:${string}`;

/** A cursor handed out by the results listing: item-order digits or a sorted-page token. */
export const RESULT_CURSOR_PATTERN = /^(\d{1,10}|s[A-Za-z0-9_-]{4,400})$/;

/** Options of `ResultQueries.list`. */
export interface ResultQuery {
  status?: ResultStatus | undefined;
  /** Case-insensitive substring (see the module doc). */
  q?: string | undefined;
  sort?: ResultSort | undefined;
  /**
   * Keep only results that passed (`passed: true`) or did not pass (`passed: false`, also
   * results without a score from this scorer) scorer `scorer` of the run; both or neither.
   */
  scorer?: { name: string; passed: boolean } | undefined;
  /** Page size. @defaultValue 100 */
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** Options of `ResultQueries`. */
export interface ResultQueriesOptions {
  /** Candidates read per request at most (search, status filter on a sort). @defaultValue 2000 */
  scanBudget?: number;
  /** TTL of the sort indexes (score and latency), seconds. @defaultValue 300 */
  scoreIndexTtlSeconds?: number;
  /**
   * Least time between two builds of the sort index of a run still queued or running, ms (a
   * finished run's is rebuilt whenever its result count changed). @defaultValue 5000
   */
  minRebuildIntervalMs?: number;
  /** The clock the rebuild interval is measured with, ms since the epoch. @defaultValue Date.now */
  now?: () => number;
  /**
   * The store's codec (`RunStore.codec`): decrypts items and results stored encrypted.
   * @defaultValue plain JSON (an encrypted value then throws `DecryptionError`)
   */
  codec?: ValueCodec;
  /**
   * The store's script layer (`RunStore.scripts`), which puts built sort indexes in place.
   * @defaultValue one over `redis` and `keys`
   */
  scripts?: RunScripts;
}

/** Reads per Redis round trip. */
const BATCH = 250;
/** How long one sort index build (score or latency) may hold the build lock, ms. */
const BUILD_LOCK_MS = 30_000;

/** Statuses after which a run's results never change (its index is then rebuilt only on a count change). */
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/**
 * What an index was built from (`KeyLayout.runScoreSort(...).builtCount`): `<result count>:<ms
 * the build started>`; a bare count (written before the build time was kept) reads as built at 0.
 */
function parseBuilt(value: string | null): { count: number; at: number } | null {
  const m = value === null ? null : /^(\d+)(?::(\d+))?$/.exec(value);
  return m ? { count: Number(m[1]), at: Number(m[2] ?? 0) } : null;
}

/** The on-demand sort indexes. */
type SortKind = 'score' | 'latency';

/** A sorted page's place: the sort and the member of the last item read. */
interface SortCursor {
  sort: string;
  member: string;
}

const encodeSortCursor = (c: SortCursor): string =>
  `s${Buffer.from(JSON.stringify([c.sort, c.member])).toString('base64url')}`;

function decodeSortCursor(cursor: string, sort: string): SortCursor {
  try {
    if (!cursor.startsWith('s')) throw new Error('not a sort cursor');
    const [s, member] = JSON.parse(Buffer.from(cursor.slice(1), 'base64url').toString()) as [
      unknown,
      unknown,
    ];
    if (s !== sort || typeof member !== 'string' || !/^(\d+:)?\d{1,10}$/.test(member)) {
      throw new Error('another sort');
    }
    return { sort, member };
  } catch {
    throw new InvalidCursorError();
  }
}

/** A string as it is, anything else as its JSON; lowercased. */
const text = (value: unknown): string =>
  value === null || value === undefined
    ? ''
    : (typeof value === 'string' ? value : JSON.stringify(value)).toLowerCase();

/** True when `q` (lowercased) is in the item id, input, output, expected output or error message. */
export function resultMatches(result: Result, q: string): boolean {
  return (
    result.itemId.toLowerCase().includes(q) ||
    text(result.input).includes(q) ||
    text(result.output).includes(q) ||
    text(result.expectedOutput).includes(q) ||
    (result.error?.message.toLowerCase().includes(q) ?? false)
  );
}

/**
 * The index of scorer `name` in the run's spec (its slot in the score sort index).
 * @throws ValidationError (400) at `path` naming the run's scorers, when the run has no such scorer.
 */
function scorerSlot(runId: string, spec: StoredSpec, name: string, path: string): number {
  const names = (spec.scorers ?? []).map((s) => s.name);
  const slot = names.indexOf(name);
  if (slot < 0) {
    const known = names.length > 0 ? names.join(', ') : 'none';
    throw new ValidationError(`run ${runId} has no scorer ${name} (its scorers: ${known})`, [
      { path, message: `not a scorer of this run: ${name}` },
    ]);
  }
  return slot;
}

/** Zero-padded item index: score index members sort by it within a score. */
const pad = (index: number) => String(index).padStart(10, '0');

/**
 * Search and sort over a run's results (see the module doc).
 *
 * @example
 * const queries = new ResultQueries(store.redis, store.keys, { codec: store.codec });
 * const page = await queries.list(runId, { q: 'paris', sort: '-score:exact_match', limit: 50 });
 */
export class ResultQueries {
  readonly scanBudget: number;
  readonly scoreIndexTtlMs: number;
  readonly minRebuildIntervalMs: number;
  private readonly now: () => number;
  /** Reads of the run hash (the codec, ./store/run-hash.ts). */
  private readonly hash: RunHash;
  /** Decodes stored items and results (./store/value-codec.ts). */
  private readonly codec: ValueCodec;
  private readonly scripts: RunScripts;

  /**
   * @param redis the store's client (single node or Cluster: every command here touches one
   *   run's keys, one hash tag).
   * @param keys the store's key layout (`RunStore.keys`).
   */
  constructor(
    readonly redis: RedisClient,
    readonly keys: KeyLayout,
    options: ResultQueriesOptions = {},
  ) {
    this.scanBudget = options.scanBudget ?? 2000;
    this.scoreIndexTtlMs = (options.scoreIndexTtlSeconds ?? 300) * 1000;
    this.minRebuildIntervalMs = options.minRebuildIntervalMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.hash = new RunHash({ redis, keys });
    this.codec = options.codec ?? new ValueCodec();
    this.scripts =
      options.scripts ?? new RunScripts(createStoreResources(redis, { prefix: keys.prefix }));
  }

  /**
   * One page of run `runId`'s results, filtered by `status`, `q` and `scorer`, in item order or by `sort`.
   * @returns `nextCursor` null once the whole run was read; otherwise pass it back for the next
   *   page (the page may be short when the scan budget ran out).
   * @throws RunNotFoundError when the run does not exist; ValidationError for a scorer the run
   *   does not have (path `sort` or `scorer`); InvalidCursorError for a cursor of another sort.
   */
  async list(
    runId: string,
    query: ResultQuery,
  ): Promise<{ results: Result[]; nextCursor: string | null }> {
    const limit = query.limit ?? 100;
    const q = query.q ? query.q.toLowerCase() : undefined;
    const info = await this.hash.querySource(runId);
    if (!info) throw new RunNotFoundError(runId);
    const byScorer = query.scorer;
    if (byScorer) scorerSlot(runId, info.spec, byScorer.name, 'scorer');
    const source = await this.source(runId, info.totalItems, info.spec, query);
    const results: Result[] = [];
    let scanned = 0;
    let last: string | null = null;
    let exhausted = false;
    while (results.length < limit && scanned < this.scanBudget) {
      // without a filter a page reads exactly what it shows
      const want = q || byScorer || (query.status && query.sort) ? BATCH : limit - results.length;
      const batch = await source.next(Math.min(want, this.scanBudget - scanned));
      if (batch.length === 0) {
        exhausted = true;
        break;
      }
      const found = await this.read(
        runId,
        batch.map((b) => b.index),
        info.trialIndex,
      );
      for (let i = 0; i < batch.length; i++) {
        scanned++;
        last = batch[i]!.token;
        const r = found[i];
        if (!r) continue;
        if (query.status && r.status !== query.status) continue;
        if (q && !resultMatches(r, q)) continue;
        if (byScorer && (r.scores?.[byScorer.name]?.passed === true) !== byScorer.passed) continue;
        results.push(r);
        if (results.length === limit) break;
      }
      source.advance(last as string);
      if (source.done) {
        // everything was read when the batch was the source's last and fully inspected
        exhausted = last === batch[batch.length - 1]!.token;
        if (exhausted) break;
      }
    }
    return { results, nextCursor: exhausted || last === null ? null : source.cursor(last) };
  }

  /** Results and items at `indexes`, joined (null where either is missing). */
  private async read(
    runId: string,
    indexes: number[],
    trial: number | null,
  ): Promise<(Result | null)[]> {
    const k = this.keys.run(runId);
    const fields = indexes.map(String);
    const [[e1, stored], [e2, items]] = (await this.redis
      .pipeline()
      .hmget(k.results, ...fields)
      .hmget(k.items, ...fields)
      .exec()) as [[Error | null, (string | null)[]], [Error | null, (string | null)[]]];
    if (e1 || e2) throw e1 ?? e2;
    return indexes.map((index, i) => {
      const s = stored[i];
      const it = items[i];
      if (!s || !it) return null;
      const result = toResult(runId, index, this.codec.decodeItem(it), this.codec.decodeResult(s));
      if (trial !== null) result.trialIndex = trial;
      return result;
    });
  }

  /** Where the candidates of `query` come from, in page order, from its cursor. */
  private async source(
    runId: string,
    total: number,
    spec: StoredSpec,
    query: ResultQuery,
  ): Promise<Source> {
    const k = this.keys.run(runId);
    const { sort, cursor } = query;
    if (!sort) {
      if (cursor !== undefined && !/^\d{1,10}$/.test(cursor)) throw new InvalidCursorError();
      const from = cursor ? Number(cursor) : 0;
      if (query.status) return new StatusSource(this.redis, k[query.status], from);
      return new IndexSource(from, total);
    }
    const after = cursor === undefined ? null : decodeSortCursor(cursor, sort).member;
    const desc = sort.startsWith('-');
    if (sort.endsWith('latency')) {
      await this.ensureIndex(runId, 'latency', spec);
      const index = this.keys.runLatencySort(runId).index;
      return new ZsetSource(this.redis, index, sort, desc, after, '-inf', '+inf');
    }
    const scorer = sort.slice(desc ? 7 : 6);
    const slot = scorerSlot(runId, spec, scorer, 'sort');
    await this.ensureIndex(runId, 'score', spec);
    const index = this.keys.runScoreSort(runId).index;
    return new ZsetSource(this.redis, index, sort, desc, after, 2 * slot, 2 * slot + 1);
  }

  /**
   * Builds the run's `kind` sort index (score: `KeyLayout.runScoreSort`, one zset member per
   * (scorer, item); latency: `KeyLayout.runLatencySort`, member the item index, score its
   * latencyMs) unless the one there is current (`isCurrent`). Reads the results hash with HSCAN,
   * 500 at a time, into a temporary zset that replaces the index in one script
   * (`RunScripts.swapSortIndex`), so readers never see half an index. While another process holds
   * the build lock, an existing (older) index is used as it is.
   * @throws RunNotFoundError when the run is gone.
   */
  async ensureIndex(runId: string, kind: SortKind, spec?: StoredSpec): Promise<void> {
    const sort = this.sortKeys(runId, kind);
    const [counted, built, status] = await Promise.all([
      this.hash.resultCount(runId),
      this.redis.get(sort.builtCount),
      this.hash.status(runId),
    ]);
    if (!counted) throw new RunNotFoundError(runId);
    const count = counted.resultCount;
    if (this.isCurrent(parseBuilt(built), count, status)) return;
    const token = randomBytes(6).toString('hex');
    const locked = await this.redis.set(sort.lock, token, 'PX', BUILD_LOCK_MS, 'NX');
    if (locked !== 'OK' && built !== null) return; // being rebuilt: the previous index serves
    try {
      await this.build(runId, kind, spec ?? counted.spec, `${count}:${this.now()}`, token);
    } finally {
      if (locked === 'OK' && (await this.redis.get(sort.lock)) === token) {
        await this.redis.del(sort.lock);
      }
    }
  }

  /**
   * True when an index built from `built` serves a run with `count` results and `status`: built
   * from that count, or, while the run is not finished, built less than `minRebuildIntervalMs`
   * ago (its pages then lag the newest results by at most that long).
   */
  private isCurrent(
    built: { count: number; at: number } | null,
    count: number,
    status: string | null,
  ): boolean {
    if (built === null) return false;
    if (built.count === count) return true;
    return !FINISHED.has(status ?? '') && this.now() - built.at < this.minRebuildIntervalMs;
  }

  private sortKeys(runId: string, kind: SortKind) {
    return kind === 'score' ? this.keys.runScoreSort(runId) : this.keys.runLatencySort(runId);
  }

  /**
   * Writes the `kind` index of every result to a temporary zset and swaps it in; `built` (what
   * the build started from: `<result count>:<ms>`) is stored with it.
   */
  private async build(
    runId: string,
    kind: SortKind,
    spec: StoredSpec,
    built: string,
    token: string,
  ) {
    const k = this.keys.run(runId);
    const sort = this.sortKeys(runId, kind);
    const slots = new Map((spec.scorers ?? []).map((sc, i) => [sc.name, i]));
    const temp = sort.temp(token);
    let scanCursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(k.results, scanCursor, 'COUNT', 500);
      scanCursor = next;
      const args: (string | number)[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const index = Number(flat[i]);
        const stored = this.codec.decodeResultPlain(flat[i + 1]!); // scores are plaintext
        if (kind === 'latency') {
          // member: the index as text (ties in the index's text order, as ZADD sorts them)
          if (stored.latencyMs !== undefined && Number.isFinite(stored.latencyMs)) {
            args.push(stored.latencyMs, String(index));
          }
          continue;
        }
        for (const [name, score] of Object.entries(stored.scores ?? {})) {
          const slot = slots.get(name);
          if (slot === undefined || !Number.isFinite(score.score)) continue;
          const clamped = Math.min(1, Math.max(0, score.score));
          args.push(2 * slot + clamped, `${slot}:${pad(index)}`);
        }
      }
      if (args.length > 0) {
        await this.redis
          .multi()
          .zadd(temp, ...args)
          .pexpire(temp, this.scoreIndexTtlMs)
          .exec();
      }
    } while (scanCursor !== '0');
    await this.scripts.swapSortIndex(
      runId,
      { tempKey: temp, indexKey: sort.index, builtKey: sort.builtCount },
      this.scoreIndexTtlMs,
      built,
    );
  }
}

/** Candidates in page order: `next(n)` reads up to n after the last `advance`d token. */
interface Source {
  next(n: number): Promise<{ index: number; token: string }[]>;
  /** Moves past `token` (the last candidate inspected). */
  advance(token: string): void;
  /** True once the last `next` reached the end. */
  done: boolean;
  /** The cursor of the page after `token`. */
  cursor(token: string): string;
}

/**
 * Base of the sources whose tokens are item indexes (`'<index>'`), read in item order from
 * index `from` on: advancing past a token, or the cursor after it, is the next index.
 */
abstract class IndexTokenSource implements Source {
  done = false;
  constructor(protected from: number) {}
  abstract next(n: number): Promise<{ index: number; token: string }[]>;
  advance(token: string) {
    this.from = Number(token) + 1;
  }
  cursor(token: string) {
    return String(Number(token) + 1);
  }
}

/** Item indexes `from..total-1` (item order). Tokens: the index. */
class IndexSource extends IndexTokenSource {
  constructor(
    from: number,
    private readonly total: number,
  ) {
    super(from);
  }
  async next(n: number) {
    const end = Math.min(this.from + n, this.total);
    if (end >= this.total) this.done = true;
    const out: { index: number; token: string }[] = [];
    for (let i = this.from; i < end; i++) out.push({ index: i, token: String(i) });
    return out;
  }
}

/** Indexes of one status (its bitmap, bit i = item i), from index `from`. */
class StatusSource extends IndexTokenSource {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    from: number,
  ) {
    super(from);
  }
  async next(n: number) {
    const page = await readStatusBits(this.redis, this.key, this.from, n);
    if (page.length < n) this.done = true;
    return page.map((i) => ({ index: i, token: String(i) }));
  }
}

/**
 * Members of a zset in rank order (descending with `desc`) within scores `[min, max]`, after
 * member `after`. Keyset paging by rank: ZRANK of the last member read, so results landing
 * meanwhile never make a page repeat or skip one already listed.
 */
class ZsetSource implements Source {
  done = false;
  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly sort: string,
    private readonly desc: boolean,
    private after: string | null,
    private readonly min: number | string,
    private readonly max: number | string,
  ) {}
  async next(n: number) {
    let flat: string[];
    if (this.after === null) {
      flat = this.desc
        ? await this.redis.zrevrangebyscore(
            this.key,
            this.max,
            this.min,
            'WITHSCORES',
            'LIMIT',
            0,
            n,
          )
        : await this.redis.zrangebyscore(this.key, this.min, this.max, 'WITHSCORES', 'LIMIT', 0, n);
    } else {
      const rank = this.desc
        ? await this.redis.zrevrank(this.key, this.after)
        : await this.redis.zrank(this.key, this.after);
      if (rank === null) throw new InvalidCursorError();
      flat = this.desc
        ? await this.redis.zrevrange(this.key, rank + 1, rank + n, 'WITHSCORES')
        : await this.redis.zrange(this.key, String(rank + 1), String(rank + n), 'WITHSCORES');
    }
    const lo = this.min === '-inf' ? -Infinity : Number(this.min);
    const hi = this.max === '+inf' ? Infinity : Number(this.max);
    const out: { index: number; token: string }[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const score = Number(flat[i + 1]);
      if (score < lo || score > hi) {
        this.done = true; // past the scorer's range
        break;
      }
      const member = flat[i]!;
      out.push({ index: Number(member.slice(member.indexOf(':') + 1)), token: member });
    }
    if (flat.length < 2 * n) this.done = true;
    return out;
  }
  advance(token: string) {
    this.after = token;
  }
  cursor(token: string) {
    return encodeSortCursor({ sort: this.sort, member: token });
  }
}
