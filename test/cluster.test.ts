/**
 * runledger on a Redis Cluster, unchanged: a private 3-master cluster (started here), the API
 * (`startApi`) and two workers (`startWorker`) in-process with `REDIS_CLUSTER=true` and
 * `REDIS_URL` = one seed node. An end-to-end run with exact counters and results, listing,
 * metrics, SSE replay and live tail (XREAD BLOCK), cancel (pub/sub) and delete, and the proof
 * that it is really clustered: runs' keys land on different nodes, each run's keys in one slot,
 * every BullMQ key under the hash-tagged `{prefix}`.
 */
import { type Config, createRedis, type Run, RunStore } from '@runledger/shared';
import { type Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHttp, readSse } from './helpers/api-http.js';
import { uniquePrefix, waitFor } from './helpers/context.js';
import { type ApiStack, expectSseReplayAndResume, startApiStack } from './helpers/engine-stack.js';
import { type RedisCluster, startRedisCluster } from './helpers/redis-cluster.js';
import { scanKeys } from './helpers/redis-dump.js';

let cluster: RedisCluster;
let config: Config;
let prefix: string;
let stack: ApiStack | undefined;
let api: ApiStack['api'];
let workers: ApiStack['workers'] = [];
/** A Cluster client of the test's own, and a plain client per node (for SCAN and CLUSTER). */
let client: Cluster;
let store: RunStore;
let nodes: Redis[] = [];
const { http, allResults, waitForStatus } = createApiHttp(() => api.url);

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  prefix = uniquePrefix('cluster');
  client = createRedis(cluster.urls[1]!, 'command', { cluster: true });
  store = new RunStore(client, { prefix });
  nodes = cluster.urls.map((url) => new Redis(url));
  stack = await startApiStack(cluster.urls[1]!, prefix, { REDIS_CLUSTER: 'true' });
  ({ config, api, workers } = stack);
});

afterAll(async () => {
  await stack?.close();
  if (client && client.status !== 'end') client.disconnect();
  for (const node of nodes) node.disconnect();
  await cluster?.destroy();
});

/** Every key of the cluster, by node index (SCAN on each master: the cluster has no replicas). */
async function keysByNode(match = '*'): Promise<string[][]> {
  return Promise.all(nodes.map(async (node) => (await scanKeys(node, match)).sort()));
}

/** Indexes of the nodes holding at least one key of `runId`. */
async function nodesOfRun(runId: string): Promise<number[]> {
  const byNode = await keysByNode(`${prefix}:{${runId}}:*`);
  return byNode.flatMap((keys, i) => (keys.length > 0 ? [i] : []));
}

describe('runledger on a 3-node Redis Cluster', () => {
  const runIds: string[] = [];

  it('the cluster is a real one: 3 masters, slots spread', async () => {
    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    const slots = await nodes[0]!.cluster('SLOTS');
    expect(new Set(slots.map((s) => s[2]?.[1]))).toEqual(new Set(cluster.ports));
  });

  it('runs 300 echo items end to end with exact counters, scores and results', async () => {
    const N = 300;
    const matches = (i: number) => i % 3 !== 0;
    const items = Array.from({ length: N }, (_, i) => ({
      id: `item-${i}`,
      input: { i, text: `t${i}` },
      expectedOutput: matches(i) ? { i, text: `t${i}` } : { other: i },
    }));
    const created = await http<Run>('POST', '/v1/runs', {
      name: 'cluster-300',
      target: { name: 'echo' },
      dataset: { id: 'cluster', items },
      scorers: [{ name: 'exact_match' }],
      retention: { ttlSeconds: 3600 },
      tags: ['cluster'],
    });
    expect(created.status).toBe(201);
    const runId = created.body.id;
    runIds.push(runId);

    const run = await waitForStatus(runId, 'completed');
    const passed = items.filter((_, i) => matches(i)).length;
    expect(passed).toBe(200);
    expect(run).toMatchObject({
      totalItems: N,
      succeededCount: N,
      failedCount: 0,
      cancelledCount: 0,
      progress: 1,
      tags: ['cluster'],
    });
    expect(run.scores.exact_match).toEqual({
      mean: passed / N,
      passed,
      failed: N - passed,
      errors: 0,
      passRate: passed / N,
      passRateOfScored: passed / N,
    });

    const results = await allResults(runId);
    expect(results.map((r) => r.itemIndex)).toEqual(items.map((_, i) => i));
    expect(results.map((r) => r.itemId)).toEqual(items.map((it) => it.id));
    for (const r of results) {
      expect(r).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
      expect(r.output).toEqual(items[r.itemIndex]!.input);
      expect(r.scores.exact_match?.passed).toBe(matches(r.itemIndex));
    }

    // every key of the run sits on one node (one hash tag, one slot) and carries the retention TTL
    const holders = await nodesOfRun(runId);
    expect(holders).toHaveLength(1);
    const keys = (await keysByNode(`${prefix}:{${runId}}:*`))[holders[0]!]!;
    expect(keys.map((k) => k.split(':').at(-1)).sort()).toEqual(
      ['events', 'items', 'latency', 'results', 'run', 'succeeded'].sort(),
    );
    for (const key of keys) {
      const ttl = await client.ttl(key);
      expect(ttl, key).toBeGreaterThan(3500);
      expect(ttl, key).toBeLessThanOrEqual(3600);
    }
  });

  it('replays a finished run over SSE and resumes after Last-Event-ID', async () => {
    await expectSseReplayAndResume(api.url, runIds[0]!, 300);
  });

  it('cancels a slow run mid-run: live SSE ends cancelled, counters sum to totalItems', async () => {
    // the cancel channel (pub/sub) works on the Cluster: a subscriber of our own hears it too
    const subscriber = createRedis(config.REDIS_URL, 'blocking', { cluster: true });
    const heard: string[] = [];
    await store.events.subscribeCancel(subscriber, (id) => heard.push(id));

    const N = 200;
    const items = Array.from({ length: N }, (_, i) => ({ input: { i } }));
    const created = await http<Run>('POST', '/v1/runs', {
      target: { name: 'echo', config: { delayMs: 150 } },
      dataset: { items },
      execution: { maxAttempts: 1, timeoutMs: 10_000 },
    });
    expect(created.status).toBe(201);
    const runId = created.body.id;
    runIds.push(runId);
    // live tail while it runs: the API's XREAD BLOCK on its own Cluster connection
    const live = fetch(`${api.url}/v1/runs/${runId}/events`).then(readSse);

    await waitFor(
      async () => (await http<Run>('GET', `/v1/runs/${runId}`)).body.succeededCount >= 20,
      '20 results',
    );
    const cancelled = await http<Run>('POST', `/v1/runs/${runId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await waitFor(() => heard.includes(runId), 'the cancel message on the subscriber', 5000);
    subscriber.disconnect();

    const run = (await http<Run>('GET', `/v1/runs/${runId}`)).body;
    expect(run.status).toBe('cancelled');
    expect(run.cancelledCount).toBeGreaterThan(0);
    expect(run.succeededCount).toBeGreaterThanOrEqual(20);
    expect(run.succeededCount + run.failedCount + run.cancelledCount).toBe(N);
    const results = await allResults(runId);
    expect(results).toHaveLength(N);
    expect(results.filter((r) => r.status === 'succeeded')).toHaveLength(run.succeededCount);
    expect(results.filter((r) => r.status === 'cancelled')).toHaveLength(run.cancelledCount);
    // the status filters (bitmaps on the run's shard) list the same items, in item order
    for (const status of ['succeeded', 'cancelled'] as const) {
      expect((await allResults(runId, status, 50)).map((r) => r.itemIndex)).toEqual(
        results.filter((r) => r.status === status).map((r) => r.itemIndex),
      );
    }

    const events = await live;
    expect(events.filter((e) => e.event === 'status').map((e) => e.data.status)).toEqual([
      'queued',
      'running',
      'cancelled',
    ]);
    expect((await http('POST', `/v1/runs/${runId}/cancel`)).status).toBe(409);
    // the cancel stands: items aborted in flight are not recorded later
    await new Promise((r) => setTimeout(r, 300));
    expect((await http<Run>('GET', `/v1/runs/${runId}`)).body).toMatchObject({
      status: 'cancelled',
      succeededCount: run.succeededCount,
      cancelledCount: run.cancelledCount,
    });
  });

  it('deletes a run mid-run: no key of it is left on any node, no job of it in BullMQ', async () => {
    const created = await http<Run>('POST', '/v1/runs', {
      target: { name: 'echo', config: { delayMs: 100 } },
      dataset: { items: Array.from({ length: 300 }, (_, i) => ({ input: { i } })) },
    });
    expect(created.status).toBe(201);
    const runId = created.body.id;
    await waitFor(
      async () => (await http<Run>('GET', `/v1/runs/${runId}`)).body.succeededCount > 0,
      'a first result',
    );
    expect(await nodesOfRun(runId)).toHaveLength(1);
    expect((await http('DELETE', `/v1/runs/${runId}`)).status).toBe(204);
    expect((await http('GET', `/v1/runs/${runId}`)).status).toBe(404);
    expect(await keysByNode(`${prefix}:{${runId}}:*`)).toEqual([[], [], []]);
    // waiting jobs are removed; an active chunk ends by itself when it sees the run gone
    await waitFor(
      async () => (await keysByNode(`{${prefix}}:*${runId}*`)).every((keys) => keys.length === 0),
      'the jobs of the deleted run to go',
      10_000,
    );
    expect(await keysByNode(`${prefix}:{${runId}}:*`)).toEqual([[], [], []]);
    expect(await client.zscore(store.keys.runsIndex, runId)).toBeNull();
  });

  it("spreads runs' keys over more than one node", async () => {
    // a run lands on the node of its id's slot: submit tiny runs until two nodes hold runs
    // (each new run has a 2/3 chance to land elsewhere; 30 tries fail with odds 3^-29)
    const holders = new Set<number>();
    for (const runId of runIds) for (const node of await nodesOfRun(runId)) holders.add(node);
    for (let i = 0; holders.size < 2 && i < 30; i++) {
      const created = await http<Run>('POST', '/v1/runs', {
        target: { name: 'echo' },
        dataset: { items: [{ input: i }] },
        tags: ['tiny'],
      });
      expect(created.status).toBe(201);
      runIds.push(created.body.id);
      await waitForStatus(created.body.id, 'completed');
      for (const node of await nodesOfRun(created.body.id)) holders.add(node);
    }
    expect(holders.size).toBeGreaterThan(1);
  });

  it('lists runs, counts them (metrics) and answers the cross-run store reads', async () => {
    const completed = runIds.filter((_, i) => i !== 1); // runIds[1] was cancelled
    const listed: Run[] = [];
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({ limit: '2' });
      if (cursor) q.set('cursor', cursor);
      const page = await http<{ runs: Run[]; nextCursor: string | null }>('GET', `/v1/runs?${q}`);
      expect(page.status).toBe(200);
      listed.push(...page.body.runs);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(listed.map((r) => r.id)).toEqual([...runIds].reverse()); // newest first
    const byStatus = await http<{ runs: Run[] }>('GET', '/v1/runs?status=completed&limit=500');
    expect(byStatus.body.runs.map((r) => r.id).sort()).toEqual([...completed].sort());
    const tagged = await http<{ runs: Run[] }>('GET', '/v1/runs?tag=cluster');
    expect(tagged.body.runs.map((r) => r.id)).toEqual([runIds[0]]);

    expect(await store.fleet.countRunsByStatus()).toEqual({
      queued: 0,
      running: 0,
      completed: completed.length,
      failed: 0,
      cancelled: 1,
    });
    const metrics = await fetch(`${api.url}/metrics`).then((r) => r.text());
    expect(metrics).toContain(`runledger_runs{status="completed"} ${completed.length}`);
    expect(metrics).toContain('runledger_runs{status="cancelled"} 1');
    expect(await store.active.listActiveRuns()).toEqual([]);
    expect(await store.quotas.countActiveRuns('default')).toBe(0);
    expect(await store.fleet.findOpenChunks(runIds[0]!)).toEqual([]);
    const liveWorkers = await http<{ workers: { id: string }[] }>('GET', '/v1/workers');
    expect(liveWorkers.body.workers.map((w) => w.id).sort()).toEqual(
      workers.map((w) => w.id).sort(),
    );
  });

  it('keep-last prunes across slots, and a snapshot imports back byte-identical', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await http<Run>('POST', '/v1/runs', {
        target: { name: 'echo' },
        dataset: { id: 'cluster-keep', items: [{ input: i }, { input: i + 1 }] },
        retention: { keepLast: 2 },
      });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
      await waitForStatus(created.body.id, 'completed');
    }
    // one after another: the 2 newest are left, the retention keys live in one slot of their own
    const left = await waitFor(async () => {
      const statuses = await Promise.all(ids.map((id) => store.runs.getRunStatus(id)));
      const present = ids.filter((_, i) => statuses[i] !== null);
      return present.length === 2 ? present : null;
    }, '2 runs left');
    expect(left).toEqual(ids.slice(3));
    expect(await store.retention.kept('default', 'echo', 'cluster-keep')).toEqual(ids.slice(3));
    const retentionNodes = (await keysByNode(`${prefix}:{retention}:*`))
      .map((keys, i) => (keys.length > 0 ? i : -1))
      .filter((i) => i >= 0);
    expect(retentionNodes).toHaveLength(1);

    const id = ids[4]!;
    const snapshot = async () => (await fetch(`${api.url}/v1/runs/${id}/snapshot`)).text();
    const before = await snapshot();
    expect((await http('DELETE', `/v1/runs/${id}`)).status).toBe(204);
    const imported = await fetch(`${api.url}/v1/runs/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: before,
    });
    expect(imported.status).toBe(201);
    expect(await snapshot()).toBe(before);
    expect(await nodesOfRun(id)).toHaveLength(1);
  });

  it('keeps every BullMQ key under the hash-tagged {prefix}, on one node', async () => {
    const byNode = await keysByNode();
    const all = byNode.flat();
    expect(all.length).toBeGreaterThan(0);
    const bull = all.filter((k) => k.startsWith(`{${prefix}}:`));
    expect(bull.length).toBeGreaterThan(0);
    expect(bull.some((k) => k.startsWith(`{${prefix}}:items.echo:`))).toBe(true);
    // nothing else in this private cluster: runledger keys or BullMQ keys, nothing untagged
    expect(all.filter((k) => !k.startsWith(`{${prefix}}:`) && !k.startsWith(`${prefix}:`))).toEqual(
      [],
    );
    expect(byNode.filter((keys) => keys.some((k) => k.startsWith(`{${prefix}}:`)))).toHaveLength(1);
  });

  it('closing the workers and the API leaves no connection open on any node', async () => {
    await Promise.all(workers.map((w) => w.close(1000)));
    await api.close();
    await client.quit();
    // CLIENT LIST on each node: only the caller itself (the test's plain connection) is left
    await waitFor(
      async () => {
        const lists = await Promise.all(nodes.map((n) => n.client('LIST') as Promise<string>));
        return lists.every((list) => list.trim().split('\n').length === 1);
      },
      'every runledger connection to close',
      5000,
    );
  });
});
