/**
 * Fault: the guaranteed terminal state, with worker processes and their own reconcilers. Every
 * BullMQ key is deleted mid-run (a flushed queue): the reconciler enqueues the chunks that still
 * have items without a result and the run completes exactly. A run whose target no live worker
 * serves fails past the deadline with a clear error instead of staying `queued` forever.
 */
import { describe, expect, it } from 'vitest';
import type { Cluster } from './harness.js';
import {
  accounting,
  clusterPerFile,
  expectIntact,
  poll,
  reenqueuedChunks,
  storedResults,
  submitFaultRun,
  waitForResults,
  waitTerminal,
} from './harness.js';

const GRACE_MS = 2000;
let cluster: Cluster;
clusterPerFile(
  {
    label: 'reconciler',
    workerEnv: {
      RUNLEDGER_RECONCILE_GRACE_MS: String(GRACE_MS),
      RUNLEDGER_UNSERVED_TARGET_DEADLINE_MS: '3000',
    },
  },
  async (c) => {
    cluster = c;
    await Promise.all([cluster.spawnWorker(), cluster.spawnWorker()]);
  },
);

/** Deletes every BullMQ key of the cluster's prefix: every queue, job and lock. */
async function flushQueues(): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await cluster.client.scan(
      cursor,
      'MATCH',
      `{${cluster.prefix}}:*`,
      'COUNT',
      1000,
    );
    cursor = next;
    if (keys.length > 0) deleted += await cluster.client.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

describe('fault: lost jobs and unserved targets', () => {
  it('every queue flushed mid-run: the reconciler re-enqueues the open chunks, the run completes exactly', async () => {
    const c = cluster;
    const total = 2000;
    const runId = await submitFaultRun(c, total, 50);
    const _k = c.store.keys.run(runId);
    await waitForResults(c, runId, 300);
    const flushedAt = Date.now();
    expect(await flushQueues()).toBeGreaterThan(0);
    const atFlush = await storedResults(c, runId);
    // the chunks held at the flush finish; after them nothing moves until the reconciler acts
    const status = await waitTerminal(c, runId, 60_000);
    const all = await storedResults(c, runId);
    const resumedAt = Math.min(
      ...[...all.entries()]
        // the chunks held at the flush finish well within the grace period
        .filter(([i, r]) => !atFlush.has(i) && (r.startedAt ?? 0) > flushedAt + GRACE_MS)
        .map(([, r]) => r.completedAt!),
    );
    const row = await accounting(c, runId, 'every BullMQ key deleted mid-run', {
      recoveryMs: Number.isFinite(resumedAt) ? resumedAt - flushedAt : null,
      notes: `${atFlush.size} results at the flush; ${reenqueuedChunks(c)} chunks re-enqueued; recovery includes the ${GRACE_MS} ms grace`,
    });
    expect(status).toBe('completed');
    expectIntact(row, total);
  });

  it('a run whose target no live worker serves fails past the deadline with a clear error', async () => {
    const c = cluster;
    const total = 50;
    const runId = await submitFaultRun(c, total, 0, { target: { name: 'nobody-serves-this' } });
    const createdAt = Date.now();
    const status = await waitTerminal(c, runId, 30_000);
    const failedAt = Date.now();
    const run = (await c.store.runs.getRun(runId))!;
    const row = await accounting(c, runId, 'target served by no live worker', {
      recoveryMs: failedAt - createdAt,
      notes: `deadline 3000 ms; error: ${run.error}`,
    });
    expect(status).toBe('failed');
    expect(run.error).toMatch(
      /^no live worker serves target "nobody-serves-this" \(waited \d+ s\)$/,
    );
    expect(run).toMatchObject({ succeededCount: 0, failedCount: 0, cancelledCount: total });
    expectIntact(row, total);
    await poll(
      async () =>
        (await c.queues
          .queue('nobody-serves-this')
          .getJobCountByTypes('waiting', 'prioritized')) === 0,
      'its jobs removed',
    );
  });
});
