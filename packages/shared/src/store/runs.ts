/**
 * Runs: staging and committing a submission (one step writes the run and its index entries),
 * reading one run or a page of them, its reruns, deleting it. The run hash is written and read
 * through the codec (./run-hash.ts), the scripts through ./scripts.ts.
 */
import { InvalidCursorError, RunNotFoundError } from '../errors.js';
import { readIndexPage } from '../index-page.js';
import { stageIndexedValues } from '../redis.js';
import { waitForReplicas } from '../redis-replication.js';
import { runModel } from '../run-aggregates.js';
import type { Run, RunStatus, StoredItem } from '../schemas.js';
import type { ActiveRuns } from './active-runs.js';
import type { StoreResources } from './resources.js';
import type { RunRetention } from './retention.js';
import { committedRun, encodeRunHash, type NewRun, type RunHash, toRun } from './run-hash.js';
import type { RunScripts } from './scripts.js';

/** Filters of `listRuns`; times in ms since epoch. */
export interface RunFilter {
  status?: RunStatus | undefined;
  target?: string | undefined;
  /** The run's `target.config.model` (exact; see `runModel`). */
  model?: string | undefined;
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

/** Latency percentiles reported on a run (nearest-rank), the order `toRun` reads them in. */
const PERCENTILES = [50, 90, 99] as const;
/** Max index entries one `listRuns` call inspects before returning a partial page with a cursor. */
const LIST_SCAN_BUDGET = 2000;

function matches(run: Run, f: RunFilter): boolean {
  if (f.status && run.status !== f.status) return false;
  if (f.target && run.target.name !== f.target) return false;
  if (f.model && runModel(run) !== f.model) return false;
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

/**
 * Runs and their lifecycle outside execution.
 *
 * @example
 * const run = await store.runs.getRun(runId); // Run | null
 */
export class Runs {
  constructor(
    private readonly r: StoreResources,
    private readonly scripts: RunScripts,
    private readonly hash: RunHash,
    private readonly active: ActiveRuns,
    private readonly retention: RunRetention,
  ) {}

  /**
   * Writes items `startIndex..startIndex+items.length-1` of a run that is not committed yet.
   * Staged items carry the safety TTL, so an abandoned submission cleans itself up.
   */
  async stageItems(runId: string, startIndex: number, items: StoredItem[]): Promise<void> {
    await this.stageItemJson(
      runId,
      startIndex,
      items.map((item) => JSON.stringify(item)),
    );
  }

  /**
   * `stageItems` for items already as JSON (`JSON.stringify` of their stored form: submission
   * encodes each item once, to hash and size it, and stages that JSON).
   */
  async stageItemJson(runId: string, startIndex: number, jsons: string[]): Promise<void> {
    const { codec } = this.r;
    await stageIndexedValues(
      this.r.redis,
      this.r.keys.run(runId).items,
      startIndex,
      jsons,
      (json) => codec.encodeItemJson(json),
      this.r.safetyTtlSeconds,
    );
  }

  /**
   * Commits a staged run: makes it visible with status `queued` (create-run-3), lists it among
   * its parent's reruns, then indexes it: the runs list, the active runs (the reconciler's work
   * list and the per-project limit: ./active-runs.ts) and the target names. Call after every
   * item is staged and before its jobs are enqueued: a process dying while enqueueing leaves a
   * run the reconciler finds and completes (docs/architecture.md, invariant 2).
   * @returns the run as committed (`queued`, no result yet), as `getRun` would read it then.
   * @throws RunStateError when the run exists already or the staged items do not number `totalItems`.
   */
  async commitRun(run: NewRun): Promise<Run> {
    await this.scripts.createRun(run.id, run.createdAt, run.totalItems, encodeRunHash(run));
    if (run.parentRunId !== undefined) {
      await this.scripts.addRerun(run.parentRunId, run.id, run.createdAt);
    }
    await waitForReplicas(this.r.redis, this.r.waitReplicas);
    await Promise.all([
      this.r.redis.zadd(this.r.keys.runsIndex, run.createdAt, run.id),
      this.active.add(run.id, run.createdAt),
      this.r.redis.sadd(this.r.keys.targets, run.target.name),
    ]);
    return committedRun(run);
  }

  /**
   * Lists run `childId` (created at `createdAt`, ms) among the reruns of `parentId`, in the
   * parent's keyspace with the parent's TTL (add-rerun-2.lua). `commitRun` calls it for runs
   * with a `parentRunId`. Returns false when the parent is gone (nothing written).
   */
  addRerun(parentId: string, childId: string, createdAt: number): Promise<boolean> {
    return this.scripts.addRerun(parentId, childId, createdAt);
  }

  /**
   * Removes every key of a run (`KeyLayout.allRunKeys`: results, error types, its reruns list,
   * slots, ...), its index entries and its entry in its parent's reruns list. Returns true when
   * the run existed. Also used to discard a half-staged submission. Its own reruns are kept
   * (they are runs of their own). The run leaves its keep-last group first (./retention.ts
   * `forget`).
   */
  async deleteRun(runId: string): Promise<boolean> {
    await this.retention.forget(runId);
    const parent = await this.hash.parent(runId);
    const [deleted] = await Promise.all([
      // UNLINK: Redis frees a huge run's hashes in a background thread (DEL of a 1,000,000-item
      // run held it 1.4 s: `npm run bench:cancel`)
      this.r.redis.unlink(...this.r.keys.allRunKeys(runId)),
      this.r.redis.zrem(this.r.keys.runsIndex, runId),
      this.active.remove(runId),
    ]);
    if (parent) await this.r.redis.zrem(this.r.keys.run(parent).reruns, runId);
    return deleted > 0;
  }

  /**
   * Returns the run, or null when it does not exist. Its `reruns` leave out runs that no longer
   * exist (expired; deleted ones are removed from the list by `deleteRun`), and those are dropped
   * from the list.
   */
  async getRun(runId: string): Promise<Run | null> {
    const reply = await this.scripts.readRun(runId, PERCENTILES);
    if (!reply) return null;
    const run = toRun(reply);
    if (run.reruns.length > 0) {
      // one command per run (not a pipeline): run keys live in different cluster slots
      const exists = await Promise.all(
        run.reruns.map((id) => this.r.redis.exists(this.r.keys.run(id).run)),
      );
      const gone = run.reruns.filter((_, i) => exists[i] === 0);
      if (gone.length > 0) {
        await this.r.redis.zrem(this.r.keys.run(runId).reruns, ...gone);
        run.reruns = run.reruns.filter((_, i) => exists[i] === 1);
      }
    }
    return run;
  }

  /** Returns the run's status, or null when it does not exist. */
  getRunStatus(runId: string): Promise<RunStatus | null> {
    return this.hash.status(runId);
  }

  /** The project a run belongs to (`default` for runs committed without one), or null when it does not exist. */
  getRunProject(runId: string): Promise<string | null> {
    return this.hash.project(runId);
  }

  /** Returns the run's total item count, chunk size and target name, or null when it does not exist. */
  getRunLayout(
    runId: string,
  ): Promise<{ totalItems: number; chunkSize: number; target: string } | null> {
    return this.hash.layout(runId);
  }

  /**
   * Lists runs newest first. Expired runs found in the index are dropped from it.
   * One call inspects at most 2,000 index entries (`LIST_SCAN_BUDGET`), so a page may hold fewer
   * than `limit` runs (even none) with a non-null `nextCursor` when filters (`q` among them)
   * reject many; follow `nextCursor` until it is null. `scanned`: index entries inspected.
   * @throws InvalidCursorError 400 when `cursor` is not one this method handed out.
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
      const { entries: candidates, read } = await readIndexPage(
        this.r.redis,
        this.r.keys.runsIndex,
        { max, min },
        offset,
        200,
        cursor,
      );
      if (read === 0) return { runs, nextCursor: null, scanned };
      offset += read;
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
      if (expired.length > 0) await this.r.redis.zrem(this.r.keys.runsIndex, ...expired);
    }
    return { runs, nextCursor: last ? encodeCursor(last) : null, scanned };
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
}
