/**
 * Fault: graceful shutdown under load. SIGTERM to every worker in the middle of a run (with a
 * short shutdown deadline, so attempts in flight are aborted and their chunks handed back), then
 * new workers: nothing lost, results exactly once. And a run cancelled through the API, then
 * every worker SIGTERMed: no attempt of it started after the cancel returned.
 */
import { describe, expect, it } from 'vitest';
import {
  accounting,
  clusterPerTest,
  expectIntact,
  kill,
  postFaultRun,
  submitFaultRun,
  waitForResults,
  waitTerminal,
} from './harness.js';

const startCluster = clusterPerTest();

describe('fault: graceful shutdown under load', () => {
  it('SIGTERM to every worker mid-run, then new workers: nothing lost, results exactly once', async () => {
    const c = await startCluster({ label: 'sigterm' });
    const total = 2000;
    const workers = await Promise.all(
      [0, 1, 2].map(() => c.spawnWorker({ WORKER_SHUTDOWN_TIMEOUT_MS: '100' })),
    );
    const runId = await submitFaultRun(c, total, 200);
    const k = c.store.keys.run(runId);
    await waitForResults(c, runId, 300);
    const exits = await Promise.all(workers.map((w) => kill(w, 'SIGTERM')));
    for (const [i, exit] of exits.entries()) {
      expect(exit, workers[i]!.output()).toEqual({ code: 0, signal: null });
    }
    const doneAtStop = await c.client.hlen(k.results);
    expect(doneAtStop).toBeLessThan(total);
    expect(await c.store.runs.getRunStatus(runId)).toBe('running');
    // every worker deregistered itself
    expect(await c.store.fleet.listWorkers(60_000)).toEqual([]);

    await Promise.all([c.spawnWorker(), c.spawnWorker()]);
    const status = await waitTerminal(c, runId, 120_000);
    const row = await accounting(c, runId, 'SIGTERM all 3 workers mid-run, 2 new', {
      notes: `${doneAtStop} results when the last worker exited (deadline 100 ms: attempts in flight handed back)`,
    });
    expect(status).toBe('completed');
    expectIntact(row, total);
    expect(await c.store.runs.getRun(runId)).toMatchObject({ succeededCount: total, progress: 1 });
  });

  it('cancel, then SIGTERM to every worker: no attempt starts after cancel returned', async () => {
    const c = await startCluster({ label: 'cancel-sigterm' });
    const total = 3000;
    const [api, ...workers] = await Promise.all([c.spawnApi(), c.spawnWorker(), c.spawnWorker()]);
    const runId = await postFaultRun(c, api!.url, total, 100);
    await waitForResults(c, runId, 300);

    const cancelled = await fetch(`${api!.url}/v1/runs/${runId}/cancel`, { method: 'POST' });
    const cancelReturnedAt = Date.now();
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { status: string }).status).toBe('cancelled');
    const exits = await Promise.all(workers.map((w) => kill(w, 'SIGTERM')));
    for (const [i, exit] of exits.entries()) {
      expect(exit, workers[i]!.output()).toEqual({ code: 0, signal: null });
    }

    const late = c.attempts(runId).filter((a) => a.startedAt > cancelReturnedAt);
    const row = await accounting(c, runId, 'cancel, then SIGTERM all workers', {
      notes: `attempts started after cancel returned: ${late.length}`,
    });
    expect(late).toEqual([]);
    expectIntact(row, total, { status: 'cancelled' });
    const run = (await c.store.runs.getRun(runId))!;
    expect(run.cancelledCount).toBeGreaterThan(0);
    expect(run.succeededCount + run.failedCount + run.cancelledCount).toBe(total);
  });
});
