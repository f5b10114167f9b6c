/**
 * Faults: Redis dropping off the network and slowing down, through a TCP proxy written in the
 * test (test/helpers/tcp-proxy.ts) between one process and Redis.
 * - Partition of a worker: two workers share a run, one through the proxy; the proxy is cut
 *   (its connections reset, reconnects refused) for at least 10 s, until the other worker has
 *   taken over a chunk the cut-off worker held (its lock expired), then restored. Promised: the
 *   run completes exact (0 lost, 0 duplicated, counters exact), and the cut-off worker's logs
 *   say what happened a bounded number of times (per connection, per run), never per item.
 * - Partition of the API: 503 `unavailable` while cut off, 201 again after.
 * - Slowness: the proxy adds 25 ms each way (50 ms per round trip) between the only worker and
 *   Redis: the run completes exact with every item done in its first attempt (no timeout from
 *   Redis latency); its duration against the same run without the proxy is a figure of the
 *   accounting table.
 */
import { createRedis } from '@runledger/shared';
import { describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import type { Cluster } from './harness.js';
import {
  accounting,
  clusterPerFile,
  expectAllSucceeded,
  expectIntact,
  firstResultOnHeld,
  heldChunks,
  kill,
  poll,
  postFaultRun,
  sendFaultRun,
  storedResults,
  submitFaultRun,
  waitTerminal,
} from './harness.js';

let cluster: Cluster;
const proxies: TcpProxy[] = [];
clusterPerFile(
  { label: 'redis-partition' },
  (c) => {
    cluster = c;
  },
  async () => {
    for (const p of proxies) await p.close();
  },
);

const proxy = async (delayMs = 0) => {
  const p = await startTcpProxy(cluster.redis.port, { delayMs });
  proxies.push(p);
  return p;
};

/** JSON log lines of a process's output at `minLevel` or above (pino levels: 40 warn). */
function logLines(output: string, minLevel = 40): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (Number(parsed.level) >= minLevel) out.push(parsed);
    } catch {
      // not a log line
    }
  }
  return out;
}

describe('fault: Redis partition and slowness', () => {
  it('a worker cut off from Redis for 10 s+: the other takes its chunks, the run ends exact, its logs say it once per connection', async () => {
    const total = 2000;
    const cutProxy = await proxy();
    const cutOff = await cluster.spawnWorker({ REDIS_URL: cutProxy.url });
    const other = await cluster.spawnWorker();
    const runId = await submitFaultRun(cluster, total, 150);

    // both workers have recorded results: cut the first one off
    await poll(
      async () => {
        const results = [...(await storedResults(cluster, runId)).values()];
        return (
          results.some((r) => r.workerId === cutOff.id) &&
          results.some((r) => r.workerId === other.id)
        );
      },
      'results from both workers',
      60_000,
    );
    const held = await heldChunks(cluster, runId, cutOff.pid);
    const cutAt = Date.now();
    cutProxy.cut();
    // the other worker takes over a chunk the cut-off one held (its lock expired), and the
    // partition lasts at least 10 s
    const takenOverAt = await firstResultOnHeld(
      cluster,
      runId,
      held,
      (r) => r.workerId === other.id,
      'the other worker taking over a chunk of the cut-off one',
      60_000,
    );
    await poll(() => Date.now() - cutAt >= 10_000, '10 s of partition', 20_000, 100);
    cutProxy.restore();
    const restoredAt = Date.now();
    // the cut-off worker works again: a result of it recorded after the restore
    await poll(
      async () => {
        const now = await storedResults(cluster, runId);
        return [...now.values()].some(
          (r) => r.workerId === cutOff.id && (r.completedAt ?? 0) > restoredAt,
        );
      },
      'a result of the cut-off worker after the restore',
      60_000,
      100,
    ).catch(() => null); // the run may end before it gets a chunk again: not a promise
    const status = await waitTerminal(cluster, runId, 180_000);
    const row = await accounting(cluster, runId, 'worker cut off from Redis 10 s (TCP proxy)', {
      recoveryMs: takenOverAt - cutAt,
      notes: `partition ${restoredAt - cutAt} ms; recovery = cut to the other worker's first result on a held chunk`,
    });
    expect(status).toBe('completed');
    expectIntact(row, total);
    await expectAllSucceeded(cluster, runId, total);

    // its logs: warnings a bounded number of times (per connection and per run), none per item
    await kill(cutOff);
    await kill(other);
    const warnings = logLines(cutOff.output());
    const byMsg = new Map<string, number>();
    for (const w of warnings) byMsg.set(String(w.msg), (byMsg.get(String(w.msg)) ?? 0) + 1);
    const perItem = warnings.filter((w) => 'itemIndex' in w || 'itemId' in w);
    expect(perItem).toEqual([]);
    // command + cancel connections, one BullMQ worker per served target (< 10 here)
    expect(byMsg.get('redis connection error') ?? 0).toBeLessThanOrEqual(2);
    expect(byMsg.get('bullmq worker error') ?? 0).toBeLessThanOrEqual(10);
    // periodic tasks (heartbeat, reconciler) log an outage once, not at every tick
    expect(byMsg.get('heartbeat failed') ?? 0).toBeLessThanOrEqual(1);
    expect(byMsg.get('reconcile pass failed') ?? 0).toBeLessThanOrEqual(1);
    expect(
      byMsg.get('Redis refused the results: kept in memory, retrying with backoff') ?? 0,
    ).toBeLessThanOrEqual(1);
    // at most one failure line per chunk job attempt it held
    expect(byMsg.get('chunk job failed') ?? 0).toBeLessThanOrEqual(held.chunks.size * 2 + 2);
    expect(warnings.length).toBeLessThan(60);
    for (const w of warnings) expect(JSON.stringify(w).length).toBeLessThan(4096);
    console.log(
      `cut-off worker warnings: ${JSON.stringify(Object.fromEntries(byMsg))}; chunks held: ${held.chunks.size}`,
    );
  });

  it('the API cut off from Redis answers 503 unavailable, and 201 again once restored', async () => {
    const apiProxy = await proxy();
    const worker = await cluster.spawnWorker();
    const api = await cluster.spawnApi({ REDIS_URL: apiProxy.url });
    const ok = await postFaultRun(cluster, api.url, 10, 0);
    await waitTerminal(cluster, ok);

    apiProxy.cut();
    const cutAt = Date.now();
    const res = await sendFaultRun(cluster, api.url, 10, 0);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const problem = (await res.json()) as { type: string; detail: string };
    expect(problem.type).toBe('urn:runledger:problem:unavailable');
    expect(problem.detail).toBe('Redis is unreachable');
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { detail: string }).detail).toMatch(/^Redis is unreachable/);
    const runsDuringCut = await cluster.client.zcard(cluster.store.keys.runsIndex);

    apiProxy.restore();
    const restoredAt = Date.now();
    // back: a submission succeeds again (the API's connection reconnects by itself)
    const runId = await poll(
      async () => {
        const r = await sendFaultRun(cluster, api.url, 20, 0);
        return r.status === 201 ? ((await r.json()) as { id: string }).id : null;
      },
      'a 201 after the restore',
      30_000,
      100,
    );
    const recoveryMs = Date.now() - restoredAt;
    expect(await waitTerminal(cluster, runId)).toBe('completed');
    const row = await accounting(cluster, runId, 'API cut off from Redis (TCP proxy)', {
      recoveryMs,
      notes: `503 unavailable while cut (${restoredAt - cutAt} ms); recovery = restore to the next 201`,
    });
    expect(row).toMatchObject({ results: 20, lost: 0, duplicatedResults: 0, wrongCounters: 0 });
    // nothing of the refused submission was written
    expect(await cluster.client.zcard(cluster.store.keys.runsIndex)).toBe(runsDuringCut + 1);
    await kill(api);
    await kill(worker);
  });

  it('50 ms added to every Redis round trip of the only worker: the run ends exact, no attempt times out', async () => {
    const total = 2000;
    const run = async (label: string, env: Record<string, string>) => {
      const worker = await cluster.spawnWorker(env);
      const started = Date.now();
      const runId = await submitFaultRun(cluster, total, 0, {
        execution: { timeoutMs: 10_000, maxAttempts: 3 },
      });
      // two runs in the test's 180 s: a stuck run fails here, with its counters and the log tail
      const status = await waitTerminal(cluster, runId, 75_000).catch((err: Error) => {
        throw new Error(
          `${label}: ${err.message}\nworker log tail:\n${worker.output().slice(-4000)}`,
        );
      });
      const ms = Date.now() - started;
      await kill(worker);
      // this worker alone ran the items (no other worker is left)
      const ids = new Set(
        [...(await storedResults(cluster, runId)).values()].map((r) => r.workerId),
      );
      expect([...ids]).toEqual([worker.id]);
      expect(status).toBe('completed');
      const results = [...(await storedResults(cluster, runId)).values()];
      expect(results.filter((r) => r.status === 'succeeded')).toHaveLength(total);
      // no attempt timed out or was retried because of Redis latency
      expect(results.filter((r) => r.attempts !== 1)).toEqual([]);
      return { runId, ms, label };
    };
    const direct = await run('direct', {});
    const slowProxy = await proxy(25);
    // the proxy really adds 50 ms to a round trip (a lower bound: load only adds to it)
    const probe = createRedis(slowProxy.url, 'command', { connectionName: 'latency-probe' });
    await probe.ping();
    const pingStart = performance.now();
    await probe.ping();
    expect(performance.now() - pingStart).toBeGreaterThanOrEqual(49);
    probe.disconnect();
    const slow = await run('proxy +50 ms', { REDIS_URL: slowProxy.url });
    const row = await accounting(cluster, slow.runId, 'Redis +50 ms per round trip (TCP proxy)', {
      recoveryMs: null,
      notes: `run of ${total} items (0 ms target, 1 worker): ${slow.ms} ms through the proxy vs ${direct.ms} ms direct`,
    });
    expect(row).toMatchObject({
      results: total,
      lost: 0,
      duplicatedResults: 0,
      wrongCounters: 0,
      stuck: false,
    });
    console.log(`latency run: ${slow.ms} ms with +50 ms per round trip, ${direct.ms} ms direct`);
  });
});
