/**
 * Cancelling and deleting runs, each answering only once the claim lease has passed since the
 * run ended or was removed, so that no attempt of the run starts anywhere after the answer
 * (invariant 3). Why waiting the lease is enough: docs/architecture.md#cancel-delete-and-the-claim-lease.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  pruneAfterFinishLogged,
  type Run,
  RunNotFoundError,
  RunTerminalError,
  removeRun as removeRunEverywhere,
} from '@runledger/shared';
import type { AppDeps } from '../context.js';

type ControlDeps = Pick<AppDeps, 'store' | 'queues' | 'config' | 'logger'>;

/**
 * Runs `action`, then resolves no earlier than `RUNLEDGER_CLAIM_LEASE_MS` after it began, even
 * when it throws (the run has ended or gone either way). Call it right after the step that ended
 * or removed the run, so the lease counts from that step.
 */
async function afterClaimLease<T>(deps: ControlDeps, action: () => Promise<T>): Promise<T> {
  const leaseOver = delay(deps.config.RUNLEDGER_CLAIM_LEASE_MS);
  try {
    return await action();
  } finally {
    await leaseOver; // docs/architecture.md#cancel-delete-and-the-claim-lease
  }
}

/**
 * Removes run `id` everywhere (@runledger/shared `removeRun`: its queued jobs, every key and
 * index entry, the cancel channel). Returns false when the run did not exist. Does not wait the
 * claim lease: callers that answer a request wait it once (`deleteRunAfterLease`, or once for a
 * whole experiment).
 */
export function removeRun(deps: Pick<AppDeps, 'store' | 'queues'>, id: string): Promise<boolean> {
  return removeRunEverywhere(deps, id);
}

/**
 * Cancels run `id`: `finish-run-9` records every item without a result `cancelled`, then the
 * workers are told (cancel channel), the run's waiting jobs are removed and the run is read for
 * the answer, all within the claim lease the answer waits.
 * @returns the cancelled run and how many items were recorded cancelled.
 * @throws RunNotFoundError 404 (missing, or gone meanwhile); RunTerminalError 409 (already ended).
 */
export async function cancelRun(
  deps: ControlDeps,
  id: string,
): Promise<{ run: Run; cancelledItems: number }> {
  const { runs, execution, events } = deps.store;
  const outcome = await execution.finishRun(id, 'cancelled', 'cancelled by request');
  if (outcome.state === 'missing') throw new RunNotFoundError(id);
  if (outcome.state === 'terminal') throw new RunTerminalError(id, outcome.status);
  return afterClaimLease(deps, async () => {
    await events.publishCancel(id);
    const layout = await runs.getRunLayout(id);
    if (layout)
      await deps.queues.removeRunJobs(id, layout.target, layout.totalItems, layout.chunkSize);
    const run = await runs.getRun(id);
    if (!run) throw new RunNotFoundError(id);
    // keep-last: the run finished here, so this process prunes its group (shared retention.ts)
    await pruneAfterFinishLogged(deps, id, deps.logger);
    return { run, cancelledItems: outcome.cancelledItems };
  });
}

/**
 * Deletes run `id` (`removeRun`) and resolves once the claim lease has passed since.
 * @throws RunNotFoundError 404 when it does not exist.
 */
export async function deleteRunAfterLease(deps: ControlDeps, id: string): Promise<void> {
  if (!(await removeRun(deps, id))) throw new RunNotFoundError(id);
  await afterClaimLease(deps, async () => {});
}

/**
 * Deletes every run of `ids` (`removeRun`), runs `then` (e.g. removing what listed them), then
 * waits the claim lease once. Returns how many runs existed.
 */
export async function deleteRunsAfterLease(
  deps: ControlDeps,
  ids: Iterable<string>,
  then: () => Promise<unknown> = async () => {},
): Promise<number> {
  let deleted = 0;
  for (const id of ids) if (await removeRun(deps, id)) deleted++;
  await afterClaimLease(deps, then);
  return deleted;
}
