/**
 * Run snapshots (../snapshot.ts has the format): reading a finished run's keys as snapshot lines,
 * and importing a checked snapshot under its run id. Every key written is the run's own
 * (`{<runId>}` hash tag, one cluster slot), plus the runs list index at the end.
 *
 * Import order: a lock (`{<runId>}:import`, SET NX) so two imports of one id never interleave;
 * 409 when the run exists; the run's keys are cleared (leftovers of a failed import), then
 * items, results (result codec), latency histogram and status bitmaps, error types, reruns and events (XADD with their
 * ids) are written with the safety TTL, the run hash LAST, in one MULTI with the retention TTL
 * on every key (the run is invisible until its hash exists: readers start from it), then the
 * runs list entry. Any failure deletes what was written.
 *
 * Items, results and error-type messages go through the codec (./value-codec.ts): a snapshot
 * holds them decoded (plaintext, as every API answer) and an import stores them encoded again
 * (encrypted under the current key with `RUNLEDGER_ENCRYPTION_KEYS`).
 *
 * Secret target and scorer config fields (../secrets.ts) are `[redacted]` in a snapshot (its
 * `run` and its stored spec alike), as in every API answer: a restored run keeps every figure
 * but not those secrets.
 */
import type { ChainableCommander } from 'ioredis';
import { ConflictError, RunNotFoundError, RunStateError } from '../errors.js';
import { latencyBucket } from '../histogram.js';
import type { Run, StoredItem, StoredResult } from '../schemas.js';
import { redactSecrets } from '../secrets.js';
import {
  type ParsedSnapshot,
  SNAPSHOT_FORMAT,
  type SnapshotRunLine,
  SnapshotWriter,
  sortedRecord,
} from '../snapshot.js';
import type { StoreResources } from './resources.js';
import type { Runs } from './runs.js';

const PAGE = 500;

/** Runs a MULTI and throws the first error of its replies (ioredis resolves them). */
async function exec(tx: ChainableCommander): Promise<void> {
  const replies = await tx.exec();
  if (replies === null) throw new Error('transaction aborted');
  for (const [err] of replies) if (err) throw err;
}
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Snapshots of finished runs and their import. */
export class RunSnapshots {
  constructor(
    private readonly r: StoreResources,
    private readonly runs: Runs,
  ) {}

  /**
   * The snapshot of finished run `runId`, as NDJSON text chunks (lines, then the digest line
   * last), read page by page (500 items, 500 events per round trip).
   * @throws RunNotFoundError (404) before the first chunk when the run does not exist;
   *   RunStateError (409) when it is not finished yet. A run deleted mid-way ends the stream
   *   early (no digest line: an import refuses it as truncated).
   */
  async open(runId: string): Promise<AsyncGenerator<string>> {
    const run = await this.runs.getRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    if (!TERMINAL.has(run.status)) {
      throw new RunStateError(`run ${runId} is ${run.status}: only finished runs have a snapshot`);
    }
    return this.lines(run);
  }

  private async *lines(run: Run): AsyncGenerator<string> {
    const k = this.r.keys.run(run.id);
    const { redis, codec } = this.r;
    const [hash, errtypes, reruns] = await Promise.all([
      redis.hgetall(k.run),
      redis.hgetall(k.errtypes),
      redis.zrange(k.reruns, '0', '-1', 'WITHSCORES'),
    ]);
    if (!hash.id) return;
    // expiresAt is set again on import; latencySummary is a cache of the histogram (read-run-4)
    const { expiresAt: _e, latencySummary: _l, ...stored } = hash;
    const { expiresAt: _x, ...shown } = run;
    // secret config fields (../secrets.ts) never leave in a snapshot, as in every API answer
    shown.target = redactSecrets(shown.target);
    shown.scorers = redactSecrets(shown.scorers);
    if (stored.spec) {
      const spec = JSON.parse(stored.spec) as Record<string, unknown>;
      stored.spec = JSON.stringify({
        ...spec,
        target: redactSecrets(spec.target),
        scorers: redactSecrets(spec.scorers),
      });
    }
    const writer = new SnapshotWriter();
    const head: SnapshotRunLine = {
      type: 'run',
      format: SNAPSHOT_FORMAT,
      run: shown,
      hash: sortedRecord(stored),
      errtypes: sortedRecord(codec.decodeErrtypes(errtypes)),
      reruns: [],
    };
    for (let i = 0; i < reruns.length; i += 2)
      head.reruns.push([reruns[i]!, Number(reruns[i + 1])]);
    yield writer.line(head);
    for (let start = 0; start < run.totalItems; start += PAGE) {
      const indexes = Array.from({ length: Math.min(PAGE, run.totalItems - start) }, (_, i) =>
        String(start + i),
      );
      const [items, results] = await Promise.all([
        redis.hmget(k.items, ...indexes),
        redis.hmget(k.results, ...indexes),
      ]);
      let chunk = '';
      for (let i = 0; i < indexes.length; i++) {
        if (items[i] == null || results[i] == null) return; // deleted mid-way: no digest
        // the stored form decoded (value-codec.ts, canonical field order); its latency is what
        // the latency histogram counted
        const result = codec.decodeResult(results[i]!);
        const line: Record<string, unknown> = {
          type: 'result',
          index: start + i,
          item: codec.decodeItem(items[i]!),
          result,
        };
        if (result.latencyMs !== undefined) line.latencyMs = result.latencyMs;
        chunk += writer.line(line);
      }
      yield chunk;
    }
    let after = '-';
    for (;;) {
      const page = await redis.xrange(k.events, after, '+', 'COUNT', PAGE);
      if (page.length === 0) break;
      let chunk = '';
      for (const [id, fields] of page) chunk += writer.line({ type: 'event', id, fields });
      yield chunk;
      after = `(${page[page.length - 1]![0]}`;
      if (page.length < PAGE) break;
    }
    if ((await redis.exists(k.run)) === 0) return; // deleted meanwhile: no digest
    yield writer.digestLine();
  }

  /**
   * Restores the run of a checked snapshot (`parseSnapshot`) under its id: the same hash
   * fields, counters, results, items, latency histogram (and the exact min/max, from the result
   * lines when the snapshot's hash lacks them), status bitmaps, error types, reruns list
   * and events (same ids); its retention TTL (`ttlSeconds`) starts now (`expiresAt` = now +
   * TTL), and it joins the runs list (not `runs:active`, nor a keep-last group).
   * @returns the run as read back.
   * @throws ConflictError (409) when a run with this id exists or is being imported; nothing
   *   is written then. A Redis error deletes what was written and is rethrown.
   */
  async importRun(snapshot: ParsedSnapshot): Promise<Run> {
    // latencySummary is a cache read-run-4 trusts: never taken from a snapshot (the run's
    // histogram is rebuilt from its results below, and read from there)
    const { latencySummary: _cached, ...h } = snapshot.run.hash;
    const runId = h.id!;
    const k = this.r.keys.run(runId);
    const redis = this.r.redis;
    const lock = this.r.keys.runImportLock(runId);
    const token = `${process.pid}-${Date.now()}-${Math.random()}`;
    if ((await redis.set(lock, token, 'PX', 600_000, 'NX')) !== 'OK') {
      throw new ConflictError(`run ${runId} is being imported`);
    }
    const keys = this.r.keys.allRunKeys(runId);
    try {
      if ((await redis.exists(k.run)) === 1) throw new ConflictError(`run ${runId} exists`);
      await redis.unlink(...keys);
      const safety = this.r.safetyTtlSeconds;
      try {
        await this.write(runId, snapshot, safety);
        const ttl = Number(h.ttlSeconds ?? 0) || safety;
        const now = Date.now();
        const tx = redis
          .multi()
          .hset(k.run, { ...latencyRange(snapshot), ...h, expiresAt: String(now + ttl * 1000) });
        for (const key of keys) tx.expire(key, ttl);
        await exec(tx);
        await redis.zadd(this.r.keys.runsIndex, Number(h.createdAt ?? now), runId);
      } catch (err) {
        await redis.del(...keys).catch(() => {});
        throw err;
      }
    } finally {
      await redis.del(lock).catch(() => {});
    }
    const run = await this.runs.getRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    return run;
  }

  /** Every key of the run but its hash, with the safety TTL (`importRun`). */
  private async write(runId: string, s: ParsedSnapshot, ttl: number): Promise<void> {
    const k = this.r.keys.run(runId);
    const { codec } = this.r;
    const statusKey = { succeeded: k.succeeded, failed: k.failed, cancelled: k.cancelled };
    for (let i = 0; i < s.results.length; i += PAGE) {
      const page = s.results.slice(i, i + PAGE);
      const tx = this.r.redis.multi();
      const items: string[] = [];
      const results: string[] = [];
      const hist = new Map<number, number>();
      for (const line of page) {
        items.push(String(line.index), codec.encodeItem(line.item as StoredItem));
        results.push(String(line.index), codec.encodeResult(line.result as StoredResult));
        const status = (line.result as { status: keyof typeof statusKey }).status;
        tx.setbit(statusKey[status], line.index, 1);
        if (line.latencyMs !== undefined) {
          const b = latencyBucket(line.latencyMs);
          hist.set(b, (hist.get(b) ?? 0) + 1);
        }
      }
      tx.hset(k.items, ...items).hset(k.results, ...results);
      for (const [b, n] of hist) tx.hincrby(k.latency, String(b), n);
      for (const key of [k.items, k.results, k.latency, k.succeeded, k.failed, k.cancelled])
        tx.expire(key, ttl);
      await exec(tx);
    }
    const tx = this.r.redis.multi();
    if (Object.keys(s.run.errtypes).length > 0) {
      tx.hset(k.errtypes, codec.encodeErrtypes(s.run.errtypes));
    }
    for (const [id, createdAt] of s.run.reruns) tx.zadd(k.reruns, createdAt, id);
    for (const key of [k.errtypes, k.reruns]) tx.expire(key, ttl);
    await exec(tx);
    for (let i = 0; i < s.events.length; i += PAGE) {
      const tx = this.r.redis.multi();
      for (const e of s.events.slice(i, i + PAGE)) tx.xadd(k.events, e.id, ...e.fields);
      tx.expire(k.events, ttl);
      await exec(tx);
    }
  }
}

/**
 * `latencyMinMs` / `latencyMaxMs` of the run hash (exact, read by read-run-4) from a snapshot's
 * result lines: for snapshots taken before the hash held them (the snapshot's own hash fields,
 * spread after these, win when present). Empty when no result has a latency.
 */
function latencyRange(s: ParsedSnapshot): Record<string, string> {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const line of s.results) {
    if (line.latencyMs === undefined) continue;
    if (line.latencyMs < min) min = line.latencyMs;
    if (line.latencyMs > max) max = line.latencyMs;
  }
  return max < min ? {} : { latencyMinMs: String(min), latencyMaxMs: String(max) };
}
