/**
 * The one index of runs in flight, `<prefix>:runs:active` (zset, runId by createdAt): written
 * when a run is committed (`Runs.commitRun`), read by the reconciler (`listActiveRuns`) and by
 * the per-project limit on runs in flight (`ProjectQuotas`), and pruned by both of finished and
 * gone runs (lazily: a run leaves it when it is next read finished).
 */
import type { RunStatus } from '../schemas.js';
import type { RunEvents } from './events.js';
import type { StoreResources } from './resources.js';
import type { RunRetention } from './retention.js';
import type { RunHash, RunSummary } from './run-hash.js';

/** A queued or running run as the reconciler sees it (`listActiveRuns`); times in ms since epoch. */
export interface ActiveRun extends RunSummary {
  status: 'queued' | 'running';
  /** Time of the run's latest event (status or progress), or `createdAt` when it has none. */
  lastEventAt: number;
}

const inFlight = (status: RunStatus): status is 'queued' | 'running' =>
  status === 'queued' || status === 'running';

/** The active runs index. */
export class ActiveRuns {
  constructor(
    private readonly r: StoreResources,
    private readonly hash: RunHash,
    private readonly events: RunEvents,
    private readonly retention: RunRetention,
  ) {}

  /** Adds a committed run (score: its createdAt, ms). */
  async add(runId: string, createdAt: number): Promise<void> {
    await this.r.redis.zadd(this.r.keys.activeRuns, createdAt, runId);
  }

  /** Removes a run (deleted). */
  async remove(runId: string): Promise<void> {
    await this.r.redis.zrem(this.r.keys.activeRuns, runId);
  }

  /**
   * The queued and running runs, oldest first, `batch` per round trip. With `prune` (default),
   * drops finished runs from the index (each settled in its keep-last group first, ./retention.ts:
   * a run leaves this index only once settled), and runs whose keys are gone (expired, deleted) from it
   * and from the runs index; without, only reads.
   */
  summaries(
    options: { batch?: number; prune?: boolean } = {},
  ): Promise<(RunSummary & { status: 'queued' | 'running' })[]> {
    return this.scan((id) => this.hash.summary(id), options);
  }

  /**
   * How many runs of `project` are queued or running: `summaries`, reading only each run's
   * status and project (pruning alike).
   */
  async countInFlight(project: string): Promise<number> {
    const runs = await this.scan((id) => this.hash.owner(id), {});
    return runs.filter((run) => run.project === project).length;
  }

  /** The runs of the index `read` finds queued or running, pruning as `summaries` says. */
  private async scan<T extends { status: RunStatus }>(
    read: (runId: string) => Promise<T | null>,
    options: { batch?: number; prune?: boolean },
  ): Promise<(T & { status: 'queued' | 'running' })[]> {
    const batch = options.batch ?? 500;
    const active: (T & { status: 'queued' | 'running' })[] = [];
    const gone: string[] = [];
    const finished: string[] = [];
    for (let start = 0; ; start += batch) {
      const page = await this.r.redis.zrange(
        this.r.keys.activeRuns,
        String(start),
        String(start + batch - 1),
      );
      if (page.length === 0) break;
      // one command per run (not a pipeline): run keys live in different cluster slots
      const found = await Promise.all(page.map(read));
      found.forEach((run, i) => {
        if (!run) gone.push(page[i]!);
        else if (!inFlight(run.status)) finished.push(page[i]!);
        else active.push({ ...run, status: run.status });
      });
      if (page.length < batch) break;
    }
    if (options.prune === false) return active;
    if (gone.length > 0) await this.r.redis.zrem(this.r.keys.runsIndex, ...gone);
    // runs pruned here wait in the retention's pending set: the reconciler deletes them
    for (const id of finished) await this.retention.settle(id);
    if (gone.length + finished.length > 0) {
      await this.r.redis.zrem(this.r.keys.activeRuns, ...gone, ...finished);
    }
    return active;
  }

  /**
   * `summaries` with each run's latest event time: what a reconciler pass works through
   * (O(active runs), not the whole runs index).
   */
  async listActiveRuns(batch = 500): Promise<ActiveRun[]> {
    const runs = await this.summaries({ batch });
    const latest = await Promise.all(runs.map((run) => this.events.lastEventAt(run.id)));
    return runs.map((run, i) => ({
      ...run,
      lastEventAt: Math.max(run.createdAt, latest[i] ?? run.createdAt),
    }));
  }
}
