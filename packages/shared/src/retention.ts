/**
 * Deleting runs, and the keep-last pruning that deletes them: the process-level side of
 * ./store/retention.ts (which owns the Redis keys). `removeRun` is the one path that deletes a
 * run everywhere (its queued jobs, every key and index entry, the cancel channel): `DELETE
 * /v1/runs/:id`, cleanup, `runs archive --delete` and keep-last pruning all go through it.
 *
 * Who prunes: the process that made the run's terminal transition calls `pruneAfterFinish` right
 * after it (the worker's result writer on completion or a budget stop, the API on cancel, the
 * reconciler when it fails a run), so the group is back to N as soon as the finishes are done.
 * Crash safety: a finished run not settled yet stays in `runs:active` (it leaves only once
 * settled: ./store/active-runs.ts), and a pruned run not deleted yet stays in the pending set,
 * which every reconciler pass drains (`deletePrunedRuns`). The ordering is explained in
 * docs/architecture.md#keep-last-and-cleanup.
 */
import type { Logger } from './logger.js';
import type { RunQueues } from './queue.js';
import type { RunStore } from './store/index.js';

/** What deleting runs needs: the store and the chunk queues (their jobs are removed). */
export interface RunRemovalDeps {
  store: Pick<RunStore, 'runs' | 'events' | 'retention'>;
  queues: Pick<RunQueues, 'removeRunJobs'>;
}

/**
 * Removes run `id` everywhere: its queued chunk jobs, every key and index entry
 * (`Runs.deleteRun`, which also takes it out of its keep-last group), then tells workers
 * (cancel channel) to abort its items in flight. Returns false when the run did not exist.
 * Does not wait the claim lease (the API's run-control.ts does, for requests).
 */
export async function removeRun(deps: RunRemovalDeps, id: string): Promise<boolean> {
  const { runs, events } = deps.store;
  const layout = await runs.getRunLayout(id);
  if (!layout) return false;
  await deps.queues.removeRunJobs(id, layout.target, layout.totalItems, layout.chunkSize);
  await runs.deleteRun(id);
  await events.publishCancel(id);
  return true;
}

/** Deletes `ids` (`removeRun`, pruned runs), then takes them out of the pending set. */
async function deletePruned(deps: RunRemovalDeps, ids: string[]): Promise<string[]> {
  const deleted: string[] = [];
  for (const id of ids) if (await removeRun(deps, id)) deleted.push(id);
  await deps.store.retention.deleted(ids);
  return deleted;
}

/**
 * Call right after run `runId` reached a terminal state: takes it into its keep-last group and
 * deletes the group's finished runs beyond its `retention.keepLast` (store/retention.ts
 * `settle`, then `removeRun` each). Returns the ids deleted. Throws on a Redis error (what was
 * not done is finished by the reconciler: module doc).
 */
export async function pruneAfterFinish(deps: RunRemovalDeps, runId: string): Promise<string[]> {
  const { pruned } = await deps.store.retention.settle(runId);
  return pruned.length === 0 ? [] : deletePruned(deps, pruned);
}

/**
 * `pruneAfterFinish`, logging instead of throwing (the reconciler finishes what failed): for
 * callers whose own work must not fail because of it.
 */
export async function pruneAfterFinishLogged(
  deps: RunRemovalDeps,
  runId: string,
  logger: Logger,
): Promise<void> {
  try {
    const deleted = await pruneAfterFinish(deps, runId);
    if (deleted.length > 0) logger.info({ runId, deleted }, 'keep-last: older runs deleted');
  } catch (err) {
    logger.warn({ err, runId }, 'keep-last pruning failed (the reconciler retries it)');
  }
}

/**
 * Deletes the runs pruned from their keep-last group and not deleted yet (a process died
 * between pruning and deleting), up to `limit` per call. The reconciler calls it every pass.
 */
export async function deletePrunedRuns(deps: RunRemovalDeps, limit = 1000): Promise<string[]> {
  const ids = await deps.store.retention.pending(limit);
  return ids.length === 0 ? [] : deletePruned(deps, ids);
}
