/**
 * `npm run bench:cluster`: the Redis cost of runs spread over the shards of a Redis Cluster
 * (issue 11, goal 3). The same workload, `--runs` echo runs of `--items` items each (NDJSON,
 * `exact_match`) submitted at once through the API and drained by one worker (both in this
 * process), first on one private redis-server, then on a private 3-master Redis Cluster
 * (`REDIS_CLUSTER=true`). For each: items/s, and from `INFO cpu` of every node (main thread
 * user+sys deltas) the Redis CPU per item of each node, and the projected ceiling: items/s when
 * the busiest node reaches 100% of one core. A run's keys share its hash tag, so runs spread over
 * the shards; the BullMQ queues share one tag (`{runledger}`), so their work stays on one node.
 *
 * Usage: npm run bench:cluster -- [--runs 6] [--items 20000] [--concurrency 50]
 * On 2 cores the drain itself is bound by this Node process, so items/s stays about the same on
 * 1 and 3 nodes; the ceiling is what grows.
 */
import { startApi } from '@runledger/api';
import { createLogger, loadConfig, type Run } from '@runledger/shared';
import { startWorker } from '@runledger/worker';
import { Redis } from 'ioredis';
import { startRedisCluster } from '../test/helpers/redis-cluster.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
import { benchFlags, printCommand } from './bench-setup.js';

const flags = benchFlags({ runs: 6, items: 20_000, concurrency: '50' });
const logger = createLogger({ level: 'warn', name: 'bench-cluster' });

/** Main-thread CPU (user + sys) of one Redis node, µs. */
async function cpuUs(node: Redis): Promise<number> {
  const info = await node.info('cpu');
  const f = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return (f('used_cpu_user_main_thread') + f('used_cpu_sys_main_thread')) * 1e6;
}

interface Figures {
  itemsPerSecond: number;
  /** Redis CPU per item of each node, µs. */
  perNodeUs: number[];
}

/** Runs the workload against `urls[0]` (a cluster when `cluster`), reading INFO of every url. */
async function measure(urls: string[], cluster: boolean): Promise<Figures> {
  const config = loadConfig({
    REDIS_URL: urls[0]!,
    REDIS_CLUSTER: cluster ? 'true' : 'false',
    RUNLEDGER_PREFIX: `bc${Date.now()}`,
    PORT: '0',
    WORKER_CONCURRENCY: flags.concurrency,
    LOG_LEVEL: 'warn',
    RUNLEDGER_MAX_BODY_BYTES: String(64 * 1024 * 1024),
  });
  const api = await startApi({ config, logger });
  const worker = await startWorker({ config, logger });
  const nodes = urls.map((u) => new Redis(u));
  const submit = async (n: number) => {
    const lines = [
      JSON.stringify({ target: { name: 'echo' }, scorers: [{ name: 'exact_match' }] }),
    ];
    for (let i = 0; i < n; i++) {
      lines.push(`{"id":"i${i}","input":{"i":${i}},"expectedOutput":{"i":${i}}}`);
    }
    const res = await fetch(`${api.url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${lines.join('\n')}\n`,
    });
    if (res.status !== 201) throw new Error(`POST: ${res.status} ${await res.text()}`);
    return ((await res.json()) as Run).id;
  };
  const finish = async (ids: string[]) => {
    for (const id of ids) {
      for (;;) {
        const r = (await (await fetch(`${api.url}/v1/runs/${id}`)).json()) as Run;
        if (r.status === 'completed') {
          if (r.succeededCount !== r.totalItems) throw new Error(`run ${id} not exact`);
          break;
        }
        if (r.status !== 'queued' && r.status !== 'running')
          throw new Error(`run ${id} ${r.status}`);
        await new Promise((res) => setTimeout(res, 20));
      }
    }
  };
  // warm-up: one small run per shard's worth
  await finish(await Promise.all(Array.from({ length: 3 }, () => submit(500))));
  const before = await Promise.all(nodes.map(cpuUs));
  const t0 = performance.now();
  const ids = await Promise.all(Array.from({ length: flags.runs }, () => submit(flags.items)));
  await finish(ids);
  const seconds = (performance.now() - t0) / 1000;
  const after = await Promise.all(nodes.map(cpuUs));
  await worker.close();
  await api.close();
  for (const n of nodes) n.disconnect();
  const total = flags.runs * flags.items;
  return {
    itemsPerSecond: total / seconds,
    perNodeUs: after.map((a, i) => (a - before[i]!) / total),
  };
}

const single = await startRedisServer();
const one = await measure([single.url], false);
await single.stop();
const cluster = await startRedisCluster(3);
let three: Figures;
try {
  three = await measure(cluster.urls, true);
} finally {
  await cluster.destroy();
}

const os = await import('node:os');
const fmt = (f: Figures) => f.perNodeUs.map((u) => u.toFixed(1)).join(' / ');
const ceiling = (f: Figures) => 1e6 / Math.max(...f.perNodeUs);
console.log(
  `\nbench:cluster: ${flags.runs} runs x ${flags.items} echo items at once, API + 1 worker in this process; machine: ${os.cpus().length} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const rows: [string, string, string][] = [
  ['figure', '1 Redis node', '3-master Redis Cluster'],
  ['items/s (drain of all runs)', one.itemsPerSecond.toFixed(0), three.itemsPerSecond.toFixed(0)],
  ['Redis CPU per item, each node (us)', fmt(one), fmt(three)],
  [
    'Redis CPU per item, all nodes (us)',
    one.perNodeUs.reduce((s, u) => s + u, 0).toFixed(1),
    three.perNodeUs.reduce((s, u) => s + u, 0).toFixed(1),
  ],
  [
    'projected ceiling: items/s when the busiest node is at 100% of a core',
    ceiling(one).toFixed(0),
    ceiling(three).toFixed(0),
  ],
];
const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const [i, r] of rows.entries()) {
  console.log(r.map((c, j) => c.padEnd(widths[j]!)).join(' | '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
}
printCommand();
process.exit(0);
