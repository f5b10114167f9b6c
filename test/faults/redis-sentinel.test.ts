/**
 * Fault: Redis failover under Sentinel (issue 13 part 3). A master, two replicas and three
 * sentinels on local ports (test/helpers/redis-sentinel.ts); two worker processes and the test
 * connect through the sentinels (`REDIS_SENTINELS`). The master is SIGKILLed mid-run; the
 * sentinels promote a replica and everyone follows it.
 * - The run completes with exact counters and one result per item (Jepsen-style accounting).
 * - With `RUNLEDGER_REDIS_WAIT_REPLICAS=1`, no acknowledged write is lost: the test records
 *   results of a probe run one call at a time through a store with WAIT 1 while the master is
 *   killed, and every call that resolved has its result on the new master.
 */
import {
  createRedis,
  RunQueues,
  RunStore,
  redisTopology,
  type StoredResult,
} from '@runledger/shared';

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SentinelGroup, startSentinelGroup } from '../helpers/redis-sentinel.js';
import type { RedisServer } from '../helpers/redis-server.js';
import type { Cluster } from './harness.js';
import {
  accounting,
  assembleCluster,
  expectAllSucceeded,
  expectIntact,
  poll,
  storedResults,
  submitFaultRun,
  waitTerminal,
} from './harness.js';

let group: SentinelGroup;
let cluster: Cluster;
let client: Redis;

beforeAll(async () => {
  group = await startSentinelGroup({ replicas: 2 });
  const prefix = 'rl-fault-sentinel';
  const topology = redisTopology({
    REDIS_CLUSTER: false,
    REDIS_SENTINELS: group.sentinelList,
    REDIS_SENTINEL_NAME: 'mymaster',
    REDIS_SENTINEL_PASSWORD: '',
  });
  // host and port of the URL are ignored with sentinels
  const url = 'redis://127.0.0.1:1';
  client = createRedis(url, 'command', {
    connectionName: 'fault-test',
    sentinel: topology.sentinel,
  });
  client.on('error', () => {}); // the master is killed on purpose
  const queues = new RunQueues({ redisUrl: url, prefix, ...topology });
  // the master is killed on purpose: the producers' connections reconnect by themselves
  for (const t of ['fault-http', 'no-such-target']) queues.queue(t).on('error', () => {});
  cluster = await assembleCluster({
    redis: { url } as RedisServer,
    prefix,
    client,
    queues,
    workerEnv: {
      REDIS_SENTINELS: group.sentinelList,
      REDIS_SENTINEL_NAME: 'mymaster',
      LOG_LEVEL: 'info',
    },
  });
});

afterAll(async () => {
  await cluster?.close();
  await group?.close();
});

describe('fault: Redis master SIGKILLed under Sentinel', () => {
  it('the run completes exact after the failover, and with WAIT 1 no acknowledged write is lost', async () => {
    const total = 1500;
    const workerEnv = {
      RUNLEDGER_REDIS_WAIT_REPLICAS: '1',
      RUNLEDGER_REDIS_WAIT_TIMEOUT_MS: '1000',
    };
    const workers = [await cluster.spawnWorker(workerEnv), await cluster.spawnWorker(workerEnv)];
    const runId = await submitFaultRun(cluster, total, 100);

    // Jepsen-style probe: results of a second run recorded one call at a time with WAIT 1,
    // each index noted once its call resolved (acknowledged)
    const probeStore = new RunStore(client, {
      prefix: cluster.prefix,
      waitReplicas: { replicas: 1, timeoutMs: 1000 },
    });
    const probeId = await submitFaultRun(cluster, 20_000, 0, {
      target: { name: 'no-such-target' },
      execution: { waitForWorkers: true },
    });
    const acked = new Set<number>();
    let refused = 0;
    let stopProbe = false;
    const probe = (async () => {
      for (let i = 0; !stopProbe; ) {
        const result: StoredResult = {
          status: 'succeeded',
          output: i,
          attempts: 1,
          completedAt: Date.now(),
        };
        try {
          const outcome = await probeStore.execution.recordResults(probeId, [{ index: i, result }]);
          if (outcome.state === 'ok') acked.add(i);
          i++;
        } catch {
          refused++; // not acknowledged: the master is gone or no replica answered in time
          await new Promise((r) => setTimeout(r, 50));
          i++;
        }
      }
    })();

    await poll(
      async () => (await client.hlen(cluster.store.keys.run(runId).results)) >= 300,
      '300 results before the kill',
      60_000,
    );
    const before = await group.masterPort();
    const ackedBeforeKill = acked.size;
    const killedAt = Date.now();
    await group.kill(group.nodes.find((n) => n.port === before)!);
    // the sentinels promote a replica
    const after = await poll(
      async () => {
        const port = await group.masterPort();
        return port !== before ? port : null;
      },
      'a new master',
      60_000,
      100,
    );
    const failedOverMs = Date.now() - killedAt;
    // the probe goes on against the new master
    await poll(() => acked.size >= ackedBeforeKill + 50, 'probe writes after the failover', 60_000);
    stopProbe = true;
    await probe;

    const status = await waitTerminal(cluster, runId, 180_000);
    const row = await accounting(
      cluster,
      runId,
      'Redis master SIGKILL, Sentinel failover, WAIT 1',
      {
        recoveryMs: failedOverMs,
        notes: `master ${before} -> ${after}; recovery = SIGKILL to the sentinels naming the new master; probe: ${acked.size} acknowledged writes, ${refused} refused, lost counted below`,
      },
    );
    expect(status).toBe('completed');
    expectIntact(row, total);
    await expectAllSucceeded(cluster, runId, total);

    // every acknowledged probe write is on the new master
    const stored = await storedResults(cluster, probeId);
    const lostAcked = [...acked].filter((i) => !stored.has(i));
    console.log(
      `sentinel failover: ${failedOverMs} ms; probe acknowledged ${acked.size}, refused ${refused}, acknowledged and lost ${lostAcked.length}`,
    );
    expect(lostAcked).toEqual([]);
    expect(acked.size).toBeGreaterThan(ackedBeforeKill);
    for (const w of workers) expect(w.alive()).toBe(true);
  });
});
