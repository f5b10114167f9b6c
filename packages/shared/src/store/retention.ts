/**
 * Keep-last groups (`retention.keepLast`, `RUNLEDGER_RETENTION_KEEP_LAST`): the finished runs of
 * one project with one target name and one dataset id (`retentionGroup`), of which only the
 * newest N are kept. The Redis side of it; ../retention.ts deletes the runs pruned here.
 *
 * Keys (../keys.ts `retention`, `retentionPending`), all in the `{retention}` slot:
 * `kept:<group>` (zset runId by completedAt), `settled:<group>` (zset runId by expiresAt: every
 * run the group took in, so none is taken in twice) and `pending` (set: pruned, not yet deleted).
 *
 * Ordering (run keys and these keys are in different cluster slots, so no one script writes
 * both; docs/architecture.md#keep-last-and-cleanup):
 * 1. the run's terminal transition (record-results-9 / finish-run-9, the run's slot);
 * 2. `settle`: retain-run-3 takes the finished run in and moves runs beyond N to `pending`
 *    (one script: two concurrent finishers never both prune the same run, nor too many);
 * 3. each pruned run is deleted (../retention.ts `removeRun`), then leaves `pending`.
 * A crash after 1 leaves the run in `runs:active`, which it leaves only once settled
 * (./active-runs.ts settles every finished run it prunes); a crash after 2 leaves the run in
 * `pending`, which the reconciler drains. A deleted run is settled (`forget`) before its keys
 * go, so a late `settle` of it is a no-op.
 */
import { retentionGroup } from '../keys.js';
import type { StoreResources } from './resources.js';
import type { RunHash } from './run-hash.js';
import type { RunScripts } from './scripts.js';

/** What the keep-last bookkeeping reads of a run (`RunHash.retention`). */
type RetentionInfo = NonNullable<Awaited<ReturnType<RunHash['retention']>>>;

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** The keep-last groups of finished runs. */
export class RunRetention {
  constructor(
    private readonly r: StoreResources,
    private readonly scripts: RunScripts,
    private readonly hash: RunHash,
  ) {}

  /**
   * Takes finished run `runId` into its keep-last group (once; again is a no-op) and, with a
   * `keepLast` N (the run's, resolved at submit with `RUNLEDGER_RETENTION_KEEP_LAST`), moves the group's finished runs beyond the
   * newest N (by completedAt, then id) to the pending deletions. Does nothing for a run that is
   * gone or still queued/running.
   * @returns `settled`: false when the run is gone or not finished; `pruned`: the run ids now
   *   pending deletion (delete them, then `deleted(ids)`).
   */
  async settle(runId: string): Promise<{ settled: boolean; pruned: string[] }> {
    const info = await this.hash.retention(runId);
    if (!info || !TERMINAL.has(info.status)) return { settled: false, pruned: [] };
    const now = Date.now();
    const until = info.expiresAt ?? now + this.r.safetyTtlSeconds * 1000;
    return {
      settled: true,
      pruned: await this.retain(runId, info, now, until, info.keepLast ?? 0),
    };
  }

  /**
   * Marks run `runId` (about to be deleted) settled and out of its group, so it no longer
   * counts among the kept runs and a `settle` racing with the delete cannot take it in again.
   * Call before deleting its keys (`Runs.deleteRun` does). No-op for a run that is gone.
   */
  async forget(runId: string): Promise<void> {
    const info = await this.hash.retention(runId);
    if (!info) return;
    const now = Date.now();
    const until = Math.max(info.expiresAt ?? 0, now + this.r.safetyTtlSeconds * 1000);
    await this.retain(runId, info, now, until, 0, 'forget');
  }

  /** retain-run-3 for `runId` in its group (`RunScripts.retainRun`). */
  private retain(
    runId: string,
    info: RetentionInfo,
    now: number,
    until: number,
    keepLast: number,
    mode?: 'forget',
  ): Promise<string[]> {
    const group = this.r.keys.retention(retentionGroup(info.project, info.target, info.datasetId));
    const completedAt = info.completedAt ?? now;
    return this.scripts.retainRun(runId, group, { now, completedAt, until }, keepLast, mode);
  }

  /** Run ids of the group `project`/`target`/`datasetId` kept now, oldest first. */
  kept(project: string, target: string, datasetId: string | null): Promise<string[]> {
    const keys = this.r.keys.retention(retentionGroup(project, target, datasetId));
    return this.r.redis.zrange(keys.kept, '0', '-1');
  }

  /** Runs pruned and not deleted yet (at most `limit`). */
  pending(limit = 1000): Promise<string[]> {
    return this.r.redis.srandmember(this.r.keys.retentionPending, limit);
  }

  /** Removes `ids` from the pending deletions (call once they are deleted). */
  async deleted(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.r.redis.srem(this.r.keys.retentionPending, ...ids);
  }
}
