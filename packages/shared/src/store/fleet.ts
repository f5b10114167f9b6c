/**
 * The fleet: the worker registry (heartbeats), the targets ever submitted, fleet-wide counters
 * for `/metrics`, each run's fleet-wide concurrency slots, the chunks a run still owes and the
 * reconciler's leader lock.
 */
import type { RunStatus, WorkerInfo } from '../schemas.js';
import type { StoreResources } from './resources.js';
import type { RunHash } from './run-hash.js';
import type { RunScripts } from './scripts.js';

/** Workers, slots, metrics and the reconciler lock. */
export class Fleet {
  constructor(
    private readonly r: StoreResources,
    private readonly scripts: RunScripts,
    private readonly hash: RunHash,
  ) {}

  /** Writes a worker's heartbeat. */
  async heartbeatWorker(info: WorkerInfo): Promise<void> {
    await this.r.redis.hset(this.r.keys.workers, info.id, JSON.stringify(info));
  }

  /** Removes a worker (graceful shutdown). */
  async removeWorker(workerId: string): Promise<void> {
    await this.r.redis.hdel(this.r.keys.workers, workerId);
  }

  /** Live workers: heartbeat within `maxAgeMs` of `now` (ms); older entries are removed. */
  async listWorkers(maxAgeMs: number, now = Date.now()): Promise<WorkerInfo[]> {
    const all = await this.r.redis.hgetall(this.r.keys.workers);
    const live: WorkerInfo[] = [];
    const stale: string[] = [];
    for (const [id, json] of Object.entries(all)) {
      const info = JSON.parse(json) as WorkerInfo;
      if (now - Date.parse(info.heartbeatAt) <= maxAgeMs) live.push(info);
      else stale.push(id);
    }
    if (stale.length > 0) await this.r.redis.hdel(this.r.keys.workers, ...stale);
    return live.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Target names ever submitted (one BullMQ queue each), sorted. */
  async listTargets(): Promise<string[]> {
    return (await this.r.redis.smembers(this.r.keys.targets)).sort();
  }

  /** Adds to fleet-wide counters (`/metrics`). Field names are Prometheus-style, values integers or floats. */
  async incrementMetrics(increments: Record<string, number>): Promise<void> {
    const pipeline = this.r.redis.pipeline();
    // HINCRBYFLOAT for all: a field once incremented by a float can no longer take HINCRBY
    for (const [field, by] of Object.entries(increments))
      pipeline.hincrbyfloat(this.r.keys.metrics, field, by);
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }

  /** Reads the fleet-wide counters written by `incrementMetrics`. */
  async readMetrics(): Promise<Record<string, number>> {
    const raw = await this.r.redis.hgetall(this.r.keys.metrics);
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
    const ids = await this.r.redis.zrevrange(this.r.keys.runsIndex, 0, max - 1);
    // one command per run (not a pipeline): run keys live in different cluster slots
    const statuses = await Promise.all(ids.map((id) => this.hash.status(id)));
    for (const status of statuses) {
      if (status !== null && status in counts) counts[status]++;
    }
    return counts;
  }

  /**
   * Takes one of the run's `limit` fleet-wide slots for `holder` (unique per attempt) for
   * `leaseMs` (acquire-slot-1.lua); an expired lease frees its slot by itself.
   * @returns `{ acquired: true }`, or `{ acquired: false, waitMs }` (until the earliest lease ends).
   */
  acquireRunSlot(
    runId: string,
    holder: string,
    limit: number,
    leaseMs: number,
    now = Date.now(),
  ): Promise<{ acquired: true } | { acquired: false; waitMs: number }> {
    return this.scripts.acquireSlot(runId, now, limit, holder, leaseMs);
  }

  /** Returns the slot `holder` took with `acquireRunSlot` (no-op when its lease expired). */
  async releaseRunSlot(runId: string, holder: string): Promise<void> {
    await this.r.redis.zrem(this.r.keys.runSlots(runId), holder);
  }

  /**
   * Chunk numbers of `runId` (chunk c = item indexes `[c * chunkSize, (c + 1) * chunkSize)`) that
   * still hold an item without a result, ascending (find-open-chunks-2.lua). [] when the run does
   * not exist or every item has a result. Each script call inspects at most `pageChunks` chunks.
   */
  async findOpenChunks(runId: string, pageChunks = 200): Promise<number[]> {
    const open: number[] = [];
    for (let from = 0; from >= 0; ) {
      const page = await this.scripts.findOpenChunks(runId, from, pageChunks);
      if (!page) return [];
      open.push(...page.chunks);
      from = page.next;
    }
    return open;
  }

  /**
   * Takes the reconciler's leader lock for `holder` (a worker id) for `ttlMs`, or renews it when
   * `holder` holds it already. Returns true when `holder` holds the lock.
   */
  async acquireReconcilerLock(holder: string, ttlMs: number): Promise<boolean> {
    const key = this.r.keys.reconcilerLock;
    if ((await this.r.redis.set(key, holder, 'PX', ttlMs, 'NX')) === 'OK') return true;
    if ((await this.r.redis.get(key)) !== holder) return false;
    await this.r.redis.pexpire(key, ttlMs);
    return true;
  }
}
