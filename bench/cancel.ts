/**
 * `npm run bench:cancel`: what cancelling a run costs Redis against its size, next to raw BullMQ
 * removing as many waiting jobs (`Queue.drain`) on the same Redis in the same run.
 *
 * For each size: a run of that many items is committed with no worker (every item pending, the
 * case of a run cancelled right after its submit), then `RunExecution.finishRun(id,
 * 'cancelled')`, the call `POST /v1/runs/:id/cancel` makes, records each item `cancelled`,
 * `RunQueues.removeRunJobs` removes the run's waiting chunk jobs (100 items each, as the API
 * enqueued them), and `Runs.deleteRun` (`DELETE /v1/runs/:id`) removes the cancelled run. The
 * raw BullMQ side adds as many jobs (`addBulk`, `{ i }` each) and drains them. Printed per side:
 * the call's wall time, the Redis main-thread CPU time meanwhile (`INFO cpu` deltas), the **longest single command** (`SLOWLOG`, every command logged
 * meanwhile: how long Redis answered nobody else), and for runledger the Redis bytes per item of
 * the cancelled run (`MEMORY USAGE` of each of its keys).
 *
 * Usage: npm run bench:cancel [-- --sizes 10000,100000,1000000]
 * Uses REDIS_URL when set (keys under the prefix `benchcancel` and BullMQ's `{benchcancel}`,
 * deleted at the end; its slowlog settings are restored), else a private redis-server.
 */
import { chunkSizeFor, RunQueues, RunStore } from '@runledger/shared';
import { Queue } from 'bullmq';
import { ulid } from 'ulid';
import { testRun } from '../test/helpers/submit.js';
import { benchFlags, benchRedis, printCommand, printTable } from './bench-setup.js';

const flags = benchFlags({ sizes: '10000,100000,1000000' });
const sizes = flags.sizes.split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
  throw new TypeError(`--sizes takes item counts separated by commas, not "${flags.sizes}"`);
}
const bench = await benchRedis();
const { redis } = bench;
const prefix = 'benchcancel';
const store = new RunStore(redis, { prefix });
const queues = new RunQueues({ redisUrl: bench.url, prefix });

/** Redis main-thread CPU microseconds so far (`INFO cpu`, user + sys of the main thread). */
async function redisCpuUs(): Promise<number> {
  const cpu = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(cpu)?.[1] ?? 0);
  return (seconds('used_cpu_user_main_thread') + seconds('used_cpu_sys_main_thread')) * 1e6;
}

/**
 * Runs `fn` and returns its wall ms, the Redis main-thread CPU ms meanwhile (this bench's own
 * INFO included, a few us) and the longest single command's ms (SLOWLOG).
 */
async function measure(fn: () => Promise<unknown>) {
  await redis.slowlog('RESET');
  const before = await redisCpuUs();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const redisMs = ((await redisCpuUs()) - before) / 1000;
  const log = (await redis.slowlog('GET', -1)) as [number, number, number, string[]][];
  let longestUs = 0;
  let longestCommand = '';
  for (const [, , us, args] of log) {
    if (us > longestUs && !['info', 'slowlog'].includes(String(args[0]).toLowerCase())) {
      longestUs = us;
      longestCommand = String(args[0]);
    }
  }
  return { wallMs, redisMs, longestMs: longestUs / 1000, longestCommand };
}

/** Bytes of every key under the run's hash tag (`MEMORY USAGE ... SAMPLES 0`). */
async function runBytes(runId: string): Promise<number> {
  let bytes = 0;
  const stream = redis.scanStream({ match: `${prefix}:{${runId}}:*`, count: 1000 });
  for await (const keys of stream as AsyncIterable<string[]>) {
    for (const key of keys) bytes += Number(await redis.memory('USAGE', key, 'SAMPLES', 0));
  }
  return bytes;
}

const saved = (await redis.config('GET', 'slowlog-*')) as string[];
await redis.config('SET', 'slowlog-log-slower-than', '0', 'slowlog-max-len', '100000');
const rows: string[][] = [];
try {
  for (const n of sizes) {
    const id = ulid();
    for (let i = 0; i < n; i += 10_000) {
      const items = [];
      for (let j = i; j < Math.min(n, i + 10_000); j++) items.push({ id: `item-${j}`, input: j });
      await store.runs.stageItems(id, i, items);
    }
    const chunkSize = chunkSizeFor(n, 100);
    await store.runs.commitRun(testRun(id, n, { chunkSize }));
    const chunks = Math.ceil(n / chunkSize);
    await queues.enqueueChunks(id, 'echo', n, chunkSize, [...Array(chunks).keys()]);
    const cancel = await measure(() => store.execution.finishRun(id, 'cancelled', 'bench'));
    const jobs = await measure(async () => {
      const removed = await queues.removeRunJobs(id, 'echo', n, chunkSize);
      if (removed !== chunks) throw new Error(`removed ${removed} of ${chunks} chunk jobs`);
    });
    const run = await store.runs.getRun(id);
    if (run?.status !== 'cancelled' || run.cancelledCount !== n) {
      throw new Error(`run not cancelled: ${run?.status}, ${run?.cancelledCount} of ${n}`);
    }
    const bytes = await runBytes(id);
    const remove = await measure(() => store.runs.deleteRun(id));

    const queue = new Queue(`bench-${n}`, { connection: redis.duplicate(), prefix: `{${prefix}}` });
    for (let i = 0; i < n; i += 10_000) {
      const jobs = [];
      for (let j = i; j < Math.min(n, i + 10_000); j++) jobs.push({ name: 'item', data: { i: j } });
      await queue.addBulk(jobs);
    }
    const drain = await measure(() => queue.drain());
    const left = await queue.getWaitingCount();
    if (left !== 0) throw new Error(`raw BullMQ drain left ${left} jobs`);
    await queue.obliterate({ force: true });
    await queue.close();
    for (const [size, side, m, perItem] of [
      [n, 'runledger cancel (finishRun)', cancel, (bytes / n).toFixed(0)],
      [n, 'runledger remove its chunk jobs', jobs, '-'],
      [n, 'runledger delete (deleteRun)', remove, '-'],
      [n, 'raw BullMQ drain', drain, '-'],
    ] as const) {
      rows.push([
        size.toLocaleString('en-US'),
        side,
        m.wallMs.toFixed(0),
        m.redisMs.toFixed(0),
        `${m.longestMs.toFixed(1)} (${m.longestCommand})`,
        perItem,
      ]);
    }
  }
} finally {
  await redis.config('SET', ...saved).catch(() => {});
  await queues.close();
  await bench.close(prefix);
}

const head = [
  'items',
  'side',
  'wall ms',
  'Redis CPU ms',
  'longest command ms',
  'Redis bytes per item after',
];
printTable(head, rows);
printCommand();
process.exit(0);
