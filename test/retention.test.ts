/**
 * Keep-last (`retention.keepLast`): exact under concurrent finishes, running runs untouched,
 * crash safety (a finished run not settled, a pruned run not deleted), through the store and
 * through the API with an in-process worker (real Redis).
 */
import {
  createLogger,
  deletePrunedRuns,
  pruneAfterFinish,
  type RunQueues,
  type RunStore,
  type StoredResult,
} from '@runledger/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReconciler } from '../apps/worker/src/index.js';
import { createAppHarness, requestJson } from './helpers/app.js';
import { createTestStore, waitFor, workerTestConfig } from './helpers/context.js';
import { commitTestRun } from './helpers/submit.js';

const ok: StoredResult = { status: 'succeeded', attempts: 1, latencyMs: 3, output: 1 };

let ctx: ReturnType<typeof createTestStore>;
let store: RunStore;
const removedJobs: string[] = [];
// the runs committed here have no jobs: removeRunJobs only records the call
const queues = {
  removeRunJobs: async (id: string) => {
    removedJobs.push(id);
    return 0;
  },
} as unknown as RunQueues;

beforeAll(() => {
  ctx = createTestStore('keep');
  store = ctx.store;
});
afterAll(() => ctx.close());

const exists = async (id: string) => (await store.runs.getRunStatus(id)) !== null;

/** Commits `n` one-item runs of the group (project default, echo, dataset) with `keepLast`. */
async function commitGroup(n: number, datasetId: string, keepLast?: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await commitTestRun(store, 1, { datasetId, keepLast }));
  return ids;
}

describe('keep-last through the store', () => {
  it('8 runs finishing at once with keepLast 3: exactly the 3 newest finished are left, the running one untouched', async () => {
    const ids = await commitGroup(8, 'ds-concurrent', 3);
    const running = (await commitGroup(1, 'ds-concurrent', 3))[0]!;
    // finish times in a shuffled order, so creation order is not finish order
    const base = Date.now();
    const order = [5, 2, 7, 0, 3, 6, 1, 4];
    const finishedAt = new Map(ids.map((id, i) => [id, base + order[i]! * 10]));
    // each run: its terminal transition, then its prune, all 8 chains at once
    const deleted = await Promise.all(
      ids.map(async (id) => {
        const outcome = await store.execution.recordResults(
          id,
          [{ index: 0, result: ok }],
          finishedAt.get(id)!,
        );
        expect(outcome).toMatchObject({ state: 'ok', finished: true });
        return pruneAfterFinish({ store, queues }, id);
      }),
    );
    const newest = [...ids].sort((a, b) => finishedAt.get(a)! - finishedAt.get(b)!).slice(-3);
    const left = [];
    for (const id of ids) if (await exists(id)) left.push(id);
    expect(left.sort()).toEqual([...newest].sort());
    // every pruned run deleted exactly once, by one of the finishers
    expect(deleted.flat().sort()).toEqual(ids.filter((id) => !newest.includes(id)).sort());
    expect(await store.retention.kept('default', 'echo', 'ds-concurrent')).toEqual(newest);
    expect(await store.retention.pending()).toEqual([]);
    expect(await store.runs.getRunStatus(running)).toBe('queued');
    // the pruned runs' jobs were removed through the same path as DELETE
    for (const id of deleted.flat()) expect(removedJobs).toContain(id);
  });

  it('runs without keepLast are kept until a run with keepLast finishes; other groups are untouched', async () => {
    const plain = await commitGroup(4, 'ds-mixed');
    const other = await commitGroup(3, 'ds-other');
    let t = Date.now();
    for (const id of [...plain, ...other]) {
      // distinct finish times (ULIDs made in one ms need not sort in creation order)
      await store.execution.recordResults(id, [{ index: 0, result: ok }], t++);
      expect(await pruneAfterFinish({ store, queues }, id)).toEqual([]);
    }
    const limited = (await commitGroup(1, 'ds-mixed', 2))[0]!;
    await store.execution.finishRun(limited, 'cancelled', 'by test', t++);
    const deleted = await pruneAfterFinish({ store, queues }, limited);
    // the newest 2 finished: plain[3] and the cancelled run
    expect(deleted.sort()).toEqual(plain.slice(0, 3).sort());
    expect(await exists(plain[3]!)).toBe(true);
    expect(await exists(limited)).toBe(true);
    for (const id of other) expect(await exists(id)).toBe(true);
    // a second prune of the same run takes nothing in twice
    expect(await pruneAfterFinish({ store, queues }, limited)).toEqual([]);
    expect(await store.retention.kept('default', 'echo', 'ds-mixed')).toEqual([plain[3], limited]);
  });

  it('a deleted run leaves its group: the group keeps N existing runs', async () => {
    const ids = await commitGroup(4, 'ds-delete', 3);
    let t = Date.now();
    for (const id of ids.slice(0, 3)) {
      await store.execution.recordResults(id, [{ index: 0, result: ok }], t++);
      await pruneAfterFinish({ store, queues }, id);
    }
    await store.runs.deleteRun(ids[1]!);
    await store.execution.recordResults(ids[3]!, [{ index: 0, result: ok }], t++);
    expect(await pruneAfterFinish({ store, queues }, ids[3]!)).toEqual([]);
    expect(await store.retention.kept('default', 'echo', 'ds-delete')).toEqual([
      ids[0],
      ids[2],
      ids[3],
    ]);
    // settling the deleted run (a late finisher) takes nothing in
    expect(await store.retention.settle(ids[1]!)).toEqual({ settled: false, pruned: [] });
  });

  it('crash safety: a finished run never settled is settled when it leaves runs:active; a pruned run never deleted is deleted by the reconciler', async () => {
    const ids = await commitGroup(3, 'ds-crash', 1);
    // finished, but the finisher "died" before pruning
    const t = Date.now();
    await store.execution.recordResults(ids[0]!, [{ index: 0, result: ok }], t);
    await store.execution.recordResults(ids[1]!, [{ index: 0, result: ok }], t + 1);
    await store.active.summaries(); // the per-project limit or the reconciler reading the index
    expect(await store.retention.pending()).toEqual([ids[0]]);
    expect(await exists(ids[0]!)).toBe(true);
    // the reconciler drains the pending deletions
    const reconciler = startReconciler({
      store,
      queues,
      config: workerTestConfig(ctx.prefix, { RUNLEDGER_RECONCILE_GRACE_MS: '600000' }),
      logger: createLogger({ level: 'silent' }),
      workerId: 'w-keep',
      servedTargets: ['echo'],
      autoStart: false,
    });
    const report = await reconciler.runOnce();
    await reconciler.stop();
    expect(report.pruned).toEqual([ids[0]]);
    expect(await exists(ids[0]!)).toBe(false);
    expect(await store.retention.pending()).toEqual([]);
    expect(await exists(ids[2]!)).toBe(true);
    expect(await deletePrunedRuns({ store, queues })).toEqual([]);
  });
});

const KEY = 'keep-alpha-0123456789abcdef';

describe('keep-last through the API and a worker', () => {
  let h: Awaited<ReturnType<typeof createAppHarness>>;
  beforeAll(async () => {
    h = await createAppHarness(
      'keep-api',
      { RUNLEDGER_RETENTION_KEEP_LAST: '5', RUNLEDGER_API_KEYS: `alpha:${KEY}` },
      {},
    );
  });
  afterAll(() => h.close());

  it('8 short runs submitted at once with keepLast 3: exactly 3 left once quiet', async () => {
    const submitted = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        requestJson<{ id: string; retention: { keepLast?: number } }>(
          h.app,
          'POST',
          '/v1/runs',
          {
            target: { name: 'echo' },
            dataset: { id: 'ds-api', items: [{ input: i }] },
            retention: { keepLast: 3 },
            execution: { waitForWorkers: true },
          },
          KEY,
        ),
      ),
    );
    for (const s of submitted) {
      expect(s.status).toBe(201);
      expect(s.body.retention.keepLast).toBe(3);
    }
    const ids = submitted.map((s) => s.body.id);
    const left = await waitFor(
      async () => {
        const statuses = await Promise.all(ids.map((id) => h.store.runs.getRunStatus(id)));
        const present = statuses.filter((s) => s !== null);
        // quiet: a pruned run is deleted before it leaves the pending set
        const quiet = (await h.store.retention.pending()).length === 0;
        return quiet && present.length === 3 && present.every((s) => s === 'completed')
          ? statuses
          : null;
      },
      '3 runs left, none pending',
      60_000,
    );
    const kept = ids.filter((_, i) => left[i] !== null);
    expect(await h.store.retention.kept('alpha', 'echo', 'ds-api')).toHaveLength(3);
    expect((await h.store.retention.kept('alpha', 'echo', 'ds-api')).sort()).toEqual(kept.sort());
    expect(await h.store.retention.pending()).toEqual([]);
  });

  it('RUNLEDGER_RETENTION_KEEP_LAST is the default a run stores', async () => {
    const res = await requestJson<{ retention: { keepLast?: number } }>(
      h.app,
      'POST',
      '/v1/runs',
      { target: { name: 'echo' }, dataset: { items: [{ input: 1 }] } },
      KEY,
    );
    expect(res.status).toBe(201);
    expect(res.body.retention.keepLast).toBe(5);
  });
});
