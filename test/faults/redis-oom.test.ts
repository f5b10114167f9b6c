/**
 * Fault: Redis out of memory mid-run (issue 13 part 1). Three 2,000-item runs through an API
 * process and two worker processes; once 1,000 results are stored, `maxmemory` is set below
 * `used_memory` (writes refused with `OOM command not allowed`). Promised: a new submission gets
 * 503 `unavailable` and leaves nothing behind; the workers keep their results and log the refusal
 * once per run, never the payloads; once memory is freed the runs complete exact by themselves.
 * Recovery: from freeing memory to the next result stored.
 */
import { describe, expect, it } from 'vitest';
import type { ApiProc, Cluster, WorkerProc } from './harness.js';
import {
  accounting,
  clusterPerFile,
  expectIntact,
  faultItems,
  poll,
  storedResults,
  waitTerminal,
} from './harness.js';

let cluster: Cluster;
clusterPerFile(
  { label: 'redis-oom' },
  (c) => {
    cluster = c;
  },
  async (c) => {
    await c.client.config('SET', 'maxmemory', '0').catch(() => {});
  },
);

/** OOM errors Redis answered so far (`INFO errorstats`). */
async function oomErrors(): Promise<number> {
  const stats = await cluster.client.info('errorstats');
  return Number(/^errorstat_OOM:count=(\d+)/m.exec(stats)?.[1] ?? 0);
}

/** A marker in every item input (and so in every output): it must never reach a log line. */
const MARKER = 'OOM-PAYLOAD-91c2';

describe('fault: Redis out of memory mid-run', () => {
  it('3 runs stall under maxmemory, submissions get 503 and leave nothing, and all complete exact once memory is freed', async () => {
    const total = 2000;
    const workers: WorkerProc[] = [
      await cluster.spawnWorker({ LOG_LEVEL: 'info' }),
      await cluster.spawnWorker({ LOG_LEVEL: 'info' }),
    ];
    const api: ApiProc = await cluster.spawnApi({ LOG_LEVEL: 'info' });
    const post = (n: number) =>
      fetch(`${api.url}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          target: { name: 'fault-http', config: { url: cluster.target.url } },
          dataset: {
            items: faultItems(n, 50, (i) => ({ pad: `${MARKER}-${i}-${'p'.repeat(400)}` })),
          },
        }),
      });
    const runIds: string[] = [];
    for (let r = 0; r < 3; r++) {
      const res = await post(total);
      expect(res.status).toBe(201);
      runIds.push(((await res.json()) as { id: string }).id);
    }
    const resultCount = async () => {
      let n = 0;
      for (const id of runIds) n += await cluster.client.hlen(cluster.store.keys.run(id).results);
      return n;
    };
    await poll(async () => (await resultCount()) >= 1000, '1,000 results', 120_000);

    // Redis full: maxmemory below what it uses now
    const info = await cluster.client.info('memory');
    const used = Number(/^used_memory:(\d+)/m.exec(info)![1]);
    await cluster.client.config('SET', 'maxmemory', String(used - 200_000));
    const fullAt = Date.now();
    const runsBefore = await cluster.client.zcard(cluster.store.keys.runsIndex);
    const itemKeysBefore = (await cluster.client.keys(`${cluster.prefix}:{*}:items`)).length;

    // a new submission: 503 unavailable, nothing written
    const refused = await post(500);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const problem = (await refused.json()) as { type: string; detail: string };
    expect(problem.type).toBe('urn:runledger:problem:unavailable');
    expect(problem.detail).toMatch(/^Redis (is out of memory|memory is at)/);
    expect(await cluster.client.zcard(cluster.store.keys.runsIndex)).toBe(runsBefore);
    expect((await cluster.client.keys(`${cluster.prefix}:{*}:items`)).length).toBe(itemKeysBefore);
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(503);

    // the workers meet the refusal and keep their results
    await poll(
      () => workers.some((w) => w.output().includes('Redis refused the results: kept in memory')),
      'a worker meeting the OOM',
      60_000,
      100,
    );
    // stalled: no result for 3 s while full (runs stall, they do not fail)
    const errorsBefore = await oomErrors();
    const stallFrom = Date.now();
    let last = await resultCount();
    let lastChange = Date.now();
    await poll(
      async () => {
        const now = await resultCount();
        if (now !== last) {
          last = now;
          lastChange = Date.now();
        }
        return Date.now() - lastChange >= 3000;
      },
      'results to stall',
      60_000,
      100,
    );
    const stalledAt = await resultCount();
    const stallMs = Date.now() - stallFrom;
    const refusedWrites = (await oomErrors()) - errorsBefore;
    // back-off, not a hot loop: the workers' refused writes stay few per second
    expect(refusedWrites / (stallMs / 1000)).toBeLessThan(100);
    // stalled, not failed: queued (its first claim could not be written) or running
    for (const id of runIds) {
      expect(['queued', 'running']).toContain(await cluster.store.runs.getRunStatus(id));
    }

    // memory freed: everything completes by itself
    await cluster.client.config('SET', 'maxmemory', '0');
    const freedAt = Date.now();
    // result writes (record-results-9 fails at its first write, HSETNX): one refused attempt per
    // worker and backoff period (250 ms doubling), never one per batch or item
    const rejected = Object.fromEntries(
      [
        ...(await cluster.client.info('commandstats')).matchAll(
          /^cmdstat_([^:]+):.*rejected_calls=(\d+)/gm,
        ),
      ]
        .filter((m) => m[2] !== '0')
        .map((m) => [m[1], Number(m[2])]),
    );
    console.log(`commands refused for OOM: ${JSON.stringify(rejected)}`);
    expect(rejected.hsetnx ?? 0).toBeLessThanOrEqual(
      workers.length * (2 + (freedAt - fullAt) / 250),
    );
    await poll(
      async () => (await resultCount()) > stalledAt,
      'a result after freeing memory',
      60_000,
      50,
    );
    const recoveryMs = Date.now() - freedAt;
    for (const id of runIds) expect(await waitTerminal(cluster, id, 240_000)).toBe('completed');

    const row = await accounting(cluster, runIds[0]!, 'Redis OOM mid-run (maxmemory), 3 runs', {
      recoveryMs,
      notes: `OOM ${freedAt - fullAt} ms (${refusedWrites} writes refused in the last ${stallMs} ms, ${rejected.hsetnx ?? 0} of them result records); submission during it: 503; recovery = freeing memory to the next result; runs 2-3 checked the same`,
    });
    expectIntact(row, total);
    for (const id of runIds) {
      const results = await storedResults(cluster, id);
      expect(results.size).toBe(total);
      expect(await cluster.store.runs.getRun(id)).toMatchObject({
        status: 'completed',
        succeededCount: total,
        failedCount: 0,
        cancelledCount: 0,
      });
    }

    // logs: no payload anywhere, the refusal once per run and worker at most
    for (const p of [...workers, api]) {
      const out = p.output();
      expect(out).not.toContain(MARKER);
      for (const line of out.split('\n')) expect(line.length).toBeLessThan(8192);
    }
    for (const w of workers) {
      const refusals = w
        .output()
        .split('\n')
        .filter((l) => l.includes('Redis refused the results: kept in memory'));
      expect(refusals.length).toBeLessThanOrEqual(runIds.length);
    }
  });
});
