/**
 * Fault: redis-server killed with SIGKILL mid-run and restarted on the same port and data dir
 * (AOF on). The API and the workers must reconnect by themselves and the run must complete with
 * exact counters (chunk jobs BullMQ lost are enqueued again by the reconciler). With
 * `appendfsync always` no result the API had acknowledged (served by `GET .../results`) may be
 * lost; with `everysec` the suite reports what the one-second window cost.
 *
 * A SIGKILL of the redis-server PROCESS loses nothing with either policy: Redis write()s the AOF
 * before it replies, and the OS keeps what was written. `everysec` only leaves up to a second
 * un-fsynced, which a machine crash (power loss, kernel panic) loses. The everysec case models
 * that crash: after the SIGKILL it cuts the AOF back to its size one second earlier, then restarts.
 * What that cut may lose is bounded: results stored when the kept AOF size was sampled survive.
 */
import { readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  accounting,
  apiResultIndexes,
  clusterPerTest,
  expectIntact,
  poll,
  postFaultRun,
  reenqueuedChunks,
  storedResults,
  waitForResults,
  waitTerminal,
} from './harness.js';

const startCluster = clusterPerTest();

/** The AOF file Redis 7 appends to (`<dir>/appendonlydir/*.incr.aof`). */
function aofFile(dir: string): string {
  const sub = join(dir, 'appendonlydir');
  const incr = readdirSync(sub).filter((f) => f.endsWith('.incr.aof'));
  if (incr.length !== 1) throw new Error(`expected one incr AOF in ${sub}: ${incr.join(', ')}`);
  return join(sub, incr[0]!);
}

async function restartMidRun(appendfsync: 'always' | 'everysec') {
  const c = await startCluster({ label: `redis-${appendfsync}`, appendfsync });
  const [api, ...workers] = await Promise.all([c.spawnApi(), c.spawnWorker(), c.spawnWorker()]);
  const total = 4000;
  const runId = await postFaultRun(c, api!.url, total, 50);
  const resultsKey = c.store.keys.run(runId).results;
  await waitForResults(c, runId, total * 0.3);

  // the AOF's size over time (everysec: to cut the last second off after the crash), each with
  // the number of results stored when it was read: HLEN's reply comes before the size is read,
  // and Redis writes the AOF before it replies, so a prefix of `size` bytes holds those results
  const aof = aofFile(c.redis.dir);
  const sizes: { at: number; size: number; results: number }[] = [];
  const sample = async () => {
    const results = await c.client.hlen(resultsKey);
    sizes.push({ at: Date.now(), size: statSync(aof).size, results });
  };
  await sample();
  let sampling: Promise<void> = Promise.resolve();
  const sampler = setInterval(() => {
    sampling = sampling.then(sample);
  }, 20);
  await new Promise((r) => setTimeout(r, 1200));

  // what the API acknowledged, then the crash
  const ackStart = Date.now();
  const acknowledged = await apiResultIndexes(api!.url, runId);
  expect(acknowledged.size).toBeGreaterThan(0);
  clearInterval(sampler);
  await sampling;
  const killedAt = Date.now();
  await c.redis.stop({ hard: true });
  let cutBytes = 0;
  // results that survive whatever is cut: those stored at a sample taken before the API was
  // asked (so each is acknowledged) and before the cut point
  let kept = 0;
  if (appendfsync === 'everysec') {
    // machine crash: what was written in the last second was not fsynced, so it is gone
    const before = sizes.filter((s) => s.at <= killedAt - 1000).at(-1)!;
    cutBytes = statSync(aof).size - before.size;
    truncateSync(aof, before.size);
    kept = sizes.filter((s) => s.at <= Math.min(before.at, ackStart)).at(-1)!.results;
  }
  await new Promise((r) => setTimeout(r, 1000));
  await c.redis.restart();
  const upAt = Date.now();

  const after = await poll(() => storedResults(c, runId), 'results readable after restart');
  const ackedLost = [...acknowledged].filter((i) => !after.has(i)).length;
  const status = await waitTerminal(c, runId, 90_000);
  const firstNew = await poll(async () => {
    const now = await storedResults(c, runId);
    let first = Number.POSITIVE_INFINITY;
    for (const r of now.values()) {
      if ((r.completedAt ?? 0) > upAt) first = Math.min(first, r.completedAt!);
    }
    return Number.isFinite(first) ? first : null;
  }, 'a result recorded after the restart');
  const row = await accounting(c, runId, `redis SIGKILL+restart (AOF ${appendfsync})`, {
    recoveryMs: firstNew - killedAt,
    notes: `${appendfsync === 'everysec' ? `crash model: last 1 s of AOF (${cutBytes} bytes) cut; ` : ''}acknowledged results lost: ${ackedLost} of ${acknowledged.size}; results right after restart: ${after.size}; chunks re-enqueued by the reconciler: ${reenqueuedChunks(c)}`,
  });
  expect(status).toBe('completed');
  expectIntact(row, total);
  // the API reconnected by itself: it answers from Redis again
  const ready = await poll(async () => (await fetch(`${api!.url}/readyz`)).ok, 'api /readyz');
  expect(ready).toBe(true);
  const run = (await (await fetch(`${api!.url}/v1/runs/${runId}`)).json()) as Record<
    string,
    unknown
  >;
  expect(run).toMatchObject({
    status: 'completed',
    succeededCount: total,
    failedCount: 0,
    cancelledCount: 0,
  });
  // and no process died of it
  expect([api!, ...workers].map((p) => p.alive())).toEqual([true, true, true]);
  return { ackedLost, acknowledged: acknowledged.size, kept, after: after.size };
}

describe('fault: Redis killed and restarted mid-run', () => {
  it('appendfsync always: no acknowledged result lost, the run completes exactly', async () => {
    const { ackedLost } = await restartMidRun('always');
    expect(ackedLost).toBe(0);
  });

  it('appendfsync everysec, last second of AOF lost (machine crash): the run completes exactly; lost acknowledged results reported', async () => {
    const { ackedLost, acknowledged, kept, after } = await restartMidRun('everysec');
    // only what was acknowledged after the kept AOF prefix can be gone: the results stored at
    // the sample the cut kept (all acknowledged, all in the kept prefix) are all back
    expect(kept).toBeGreaterThan(0);
    expect(after).toBeGreaterThanOrEqual(kept);
    expect(ackedLost).toBeLessThanOrEqual(acknowledged - kept);
  });
});
