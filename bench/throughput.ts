/**
 * `npm run bench`: throughput of a no-op (`echo`) run submitted as NDJSON through the API and the
 * workers, against raw BullMQ (one job per item, no-op processor, concurrency 50, addBulk then
 * drain) on the same Redis in the same run; plus Redis memory per stored result (MEMORY USAGE of
 * every key of the run), and Redis commands and Redis CPU microseconds per item (`INFO
 * commandstats` / `INFO cpu` deltas over each round) with the projected ceiling of one Redis
 * node: items/s at 100% of one Redis core, and this process's V8 GC pauses as a share of each
 * side's rounds (`gc` performance entries). Goal (not a test): ratio >= 6.0 (the ratio of the
 * medians; each round's own ratio, runledger over the raw round right before it, is printed
 * too). Then the same runledger rounds with OpenTelemetry tracing on (sampler `always_on`, OTLP http/protobuf to
 * a local receiver that answers 200 at once) next to the figure with tracing off: the cost of
 * tracing (`--skip-tracing` leaves it out). And the same rounds with `RUNLEDGER_REDIS_WAIT_REPLICAS=1`
 * (every run commit and result record waits for one replica: `WAIT 1 1000`) against a replica
 * started here: the cost of WAIT (`--skip-wait` leaves it out; with REDIS_URL it runs only when
 * that Redis has a connected replica).
 *
 * Usage: npm run bench -- [--items 50000] [--concurrency 50] [--workers 1] [--rounds 3] [--skip-tracing] [--skip-wait]
 *   [--warmup 2000]
 * Runs the production build (`npm run build` first: workspace packages resolve to dist/). Both
 * sides first run a warm-up of `--warmup` items (2,000; at most `--items`) that is not measured;
 * medians of the rounds are compared.
 * Uses REDIS_URL when set, else a private redis-server on a free port (so memory figures are clean).
 */

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { startApi } from '@runledger/api';
import { createLogger, createRedis, type Run, startTracing } from '@runledger/shared';
import { startWorker } from '@runledger/worker';
import { Queue, Worker } from 'bullmq';
import { freePort, waitForRedis } from '../test/helpers/redis-server.js';
import { benchFlags, benchRedis, median, printCommand } from './bench-setup.js';
import { benchConfig, timedEchoRun } from './echo-run.js';

const flags = benchFlags({
  items: 50_000,
  concurrency: 50,
  workers: 1,
  rounds: 3,
  skipTracing: false,
  skipWait: false,
  warmup: 2000,
});

const bench = await benchRedis();
const { server, url: redisUrl, redis } = bench;
const logger = createLogger({ level: 'warn', name: 'bench' });

/**
 * V8 garbage-collection pauses of this process so far, ms (the `gc` performance entries: a
 * scavenge or the pause of a mark-compact, on the main thread).
 */
let gcPauseMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauseMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

/**
 * One reading of the costs so far: Redis CPU (main thread, user + sys, µs) and calls per command,
 * from INFO; this process's CPU, its GC pauses (ms) and the time (`performance.now()`, ms).
 */
interface CostReading {
  cpuUs: number;
  calls: Map<string, number>;
  node: NodeJS.CpuUsage;
  gcMs: number;
  at: number;
}

/** Reads the costs so far (`CostReading`). */
async function readCosts(): Promise<CostReading> {
  const gcMs = gcPauseMs;
  const at = performance.now();
  const node = process.cpuUsage();
  const [cpu, stats] = await Promise.all([redis.info('cpu'), redis.info('commandstats')]);
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(cpu)?.[1] ?? 0);
  const cpuUs =
    (field('used_cpu_user_main_thread') + field('used_cpu_sys_main_thread') ||
      field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
  const calls = new Map<string, number>();
  for (const m of stats.matchAll(/cmdstat_([a-z|_-]+):calls=(\d+)/g))
    calls.set(m[1]!, Number(m[2]));
  return { cpuUs, calls, node, gcMs, at };
}

/** The Redis and Node costs per item of `items` items between two `readCosts` readings. */
interface CostPerItem {
  commandsPerItem: number;
  cpuUsPerItem: number;
  /** CPU of this Node process (API + workers, or the raw BullMQ side) per item, µs. */
  nodeUsPerItem: number;
  /** Commands per item of the busiest commands, e.g. `evalsha 0.08`. */
  top: string;
  /** This process's GC pauses over the round, as a share of the round's time (0..1). */
  gcShare: number;
}

function perItem(before: CostReading, after: CostReading, items: number): CostPerItem {
  const deltas: [string, number][] = [];
  let commands = 0;
  for (const [name, n] of after.calls) {
    const d = n - (before.calls.get(name) ?? 0);
    // the INFO calls of the readings themselves are not the run's
    if (d <= 0 || name === 'info') continue;
    commands += d;
    deltas.push([name, d]);
  }
  deltas.sort((a, b) => b[1] - a[1]);
  return {
    commandsPerItem: commands / items,
    cpuUsPerItem: (after.cpuUs - before.cpuUs) / items,
    nodeUsPerItem:
      (after.node.user + after.node.system - before.node.user - before.node.system) / items,
    gcShare: (after.gcMs - before.gcMs) / (after.at - before.at),
    top: deltas
      .slice(0, 4)
      .map(([name, d]) => `${name} ${(d / items).toFixed(2)}`)
      .join(', '),
  };
}

/** Raw BullMQ: `items` jobs added with addBulk, then drained by a no-op worker. */
async function rawBullmq(items: number): Promise<{ rate: number; cost: CostPerItem }> {
  const before = await readCosts();
  const connection = { url: redisUrl, maxRetriesPerRequest: null };
  const name = `raw-${Date.now()}`;
  const queue = new Queue(name, { connection, prefix: '{bench}' });
  let done = 0;
  let resolveDrained: () => void = () => {};
  const drained = new Promise<void>((r) => {
    resolveDrained = r;
  });
  const started = performance.now();
  const jobs = Array.from({ length: items }, (_, i) => ({
    name: 'item',
    data: { i, input: { n: i } },
    opts: { removeOnComplete: true, removeOnFail: true },
  }));
  for (let i = 0; i < jobs.length; i += 1000) await queue.addBulk(jobs.slice(i, i + 1000));
  const worker = new Worker(name, async (job) => job.data.input, {
    connection,
    prefix: '{bench}',
    concurrency: flags.concurrency,
  });
  worker.on('completed', () => {
    if (++done === items) resolveDrained();
  });
  await drained;
  const seconds = (performance.now() - started) / 1000;
  const after = await readCosts();
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { rate: items / seconds, cost: perItem(before, after, items) };
}

/** One measured runledger run: POST of `items` echo items until the run is completed. */
interface RunledgerFigures {
  itemsPerSecond: number;
  run: Run;
  bytesPerResult: number;
  bytesPerItem: number;
  cost: CostPerItem;
}

/**
 * Starts the API and `flags.workers` workers in this process; `measure(n)` runs `n` items through them;
 * `close()` stops them.
 */
async function startRunledger(env: Record<string, string> = {}): Promise<{
  measure(n: number): Promise<RunledgerFigures>;
  close(): Promise<void>;
}> {
  const prefix = `bench${Date.now()}`;
  const config = benchConfig(redisUrl, prefix, flags.concurrency, {
    // RUNLEDGER_* and WORKER_* from the environment (e.g. RUNLEDGER_CHUNK_SIZE) win
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        (e): e is [string, string] =>
          /^(RUNLEDGER|WORKER)_/.test(e[0]) && e[0] !== 'WORKER_CONCURRENCY' && e[1] !== undefined,
      ),
    ),
    ...env,
  });
  const api = await startApi({ config, logger });
  const workers = await Promise.all(
    Array.from({ length: flags.workers }, () => startWorker({ config, logger })),
  );
  const measure = async (n: number): Promise<RunledgerFigures> => {
    // NDJSON: the spec on line 1, then one item a line
    const before = await readCosts();
    const { run, seconds } = await timedEchoRun(
      api.url,
      Array.from({ length: n }, (_, i) => ({
        id: `i${i}`,
        input: { n: i },
        expectedOutput: { n: i },
      })),
      { ndjson: true },
    );
    const after = await readCosts();
    const keys = (await redis.keys(`${prefix}:{${run.id}}:*`)).sort();
    let resultBytes = 0;
    let allBytes = 0;
    for (const key of keys) {
      const bytes = Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
      allBytes += bytes;
      if (!key.endsWith(':items') && !key.endsWith(':run') && !key.endsWith(':events'))
        resultBytes += bytes;
    }
    return {
      itemsPerSecond: n / seconds,
      run,
      bytesPerResult: resultBytes / n,
      bytesPerItem: allBytes / n,
      cost: perItem(before, after, n),
    };
  };
  return {
    measure,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await api.close();
    },
  };
}

console.log(
  `benchmark: ${flags.items} no-op items x ${flags.rounds} rounds, concurrency ${flags.concurrency}, ${flags.workers} runledger worker(s), redis ${redisUrl}`,
);
/** Attempt spans received by the OTLP receiver of the tracing-on rounds. */
let attemptSpans = 0;

/**
 * A local OTLP/HTTP receiver for the tracing-on rounds: answers 200 at once and counts the
 * `runledger.item.attempt` span names in the (http/protobuf) bodies.
 */
async function startReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const name = Buffer.from('runledger.item.attempt');
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      for (let at = body.indexOf(name); at >= 0; at = body.indexOf(name, at + name.length)) {
        attemptSpans++;
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => receiver.close(() => resolve())),
  };
}

/**
 * One round with tracing on (OTLP http/protobuf, the default, to `endpoint`; sampler
 * always_on): tracing and a fresh API + workers are started for the round (the SDK is process
 * global) after a 200-item warm-up, and stopped after it (spans flushed). Returns items/s.
 */
async function tracedRound(endpoint: string, items: number): Promise<number> {
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
  process.env.OTEL_TRACES_SAMPLER = 'always_on';
  const tracing = await startTracing({ serviceName: 'runledger-bench' });
  const traced = await startRunledger();
  await traced.measure(200);
  const figures = await traced.measure(items);
  await traced.close();
  await tracing.shutdown();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return figures.itemsPerSecond;
}

/**
 * A replica of the private Redis for the WAIT rounds (killed at exit); with REDIS_URL, whether
 * that Redis has a connected replica already. False: no WAIT rounds.
 */
async function replicaReady(): Promise<boolean> {
  if (flags.skipWait) return false;
  if (!server) return /connected_slaves:[1-9]/.test(await redis.info('replication'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    // --dir: a replica's full sync writes the received RDB into its working directory
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      tmpdir(),
    ],
    { stdio: 'ignore' },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  await waitForRedis(`redis://127.0.0.1:${port}`);
  const replica = createRedis(`redis://127.0.0.1:${port}`);
  await replica.replicaof('127.0.0.1', server.port);
  for (;;) {
    if (/master_link_status:up/.test(await replica.info('replication'))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  replica.disconnect();
  return true;
}

// both sides get the same warm-up (not measured: JIT, connections, Lua script cache), then
// flags.rounds alternating measurements; medians are compared (raw BullMQ varies by +-25% run to run)
const WARMUP = Math.min(flags.warmup, flags.items);
const receiver = flags.skipTracing ? null : await startReceiver();
const rl = await startRunledger();
await rawBullmq(WARMUP);
await rl.measure(WARMUP);
const rawRates: number[] = [];
const rawCosts: CostPerItem[] = [];
const rlRuns: RunledgerFigures[] = [];
const tracedRates: number[] = [];
for (let round = 0; round < flags.rounds; round++) {
  const rawRound = await rawBullmq(flags.items);
  rawRates.push(rawRound.rate);
  rawCosts.push(rawRound.cost);
  const figures = await rl.measure(flags.items);
  if (figures.run.succeededCount !== flags.items)
    throw new Error(`runledger run incomplete: ${JSON.stringify(figures.run)}`);
  rlRuns.push(figures);
  // tracing on, right after the same round with tracing off
  if (receiver) tracedRates.push(await tracedRound(receiver.url, flags.items));
}
await rl.close();
await receiver?.close();

// the same rounds with every commit and result record waiting for one replica (WAIT 1)
const waitRates: number[] = [];
if (await replicaReady()) {
  const waiting = await startRunledger({ RUNLEDGER_REDIS_WAIT_REPLICAS: '1' });
  await waiting.measure(WARMUP);
  for (let round = 0; round < flags.rounds; round++) {
    const figures = await waiting.measure(flags.items);
    if (figures.run.succeededCount !== flags.items)
      throw new Error(`runledger run with WAIT 1 incomplete: ${JSON.stringify(figures.run)}`);
    waitRates.push(figures.itemsPerSecond);
  }
  await waiting.close();
}

const raw = median(rawRates);
const rlRate = median(rlRuns.map((r) => r.itemsPerSecond));
const last = rlRuns.at(-1)!;
const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
const ratio = rlRate / raw;
// each round's runledger rate over the raw BullMQ rate measured just before it: a slow minute of
// a shared machine falls on both sides of a pair, where the medians may take it from one side only
const roundRatios = rlRuns.map((r, i) => r.itemsPerSecond / (rawRates[i] as number));
const rows: [string, string][] = [
  [
    'raw BullMQ (1 job/item, addBulk + drain), median',
    `${raw.toFixed(0)} items/s (${range(rawRates)})`,
  ],
  [
    'runledger (API + worker, echo, exact_match), median',
    `${rlRate.toFixed(0)} items/s (${range(rlRuns.map((r) => r.itemsPerSecond))})`,
  ],
  ['ratio of medians runledger / raw BullMQ (goal >= 6.0)', `${ratio.toFixed(2)}x`],
  [
    'ratio in each round (runledger / raw BullMQ measured right before it), median',
    `${roundRatios.map((r) => `${r.toFixed(2)}x`).join(', ')} (median ${median(roundRatios).toFixed(2)}x)`,
  ],
  [
    'Redis bytes per stored result (results, latency histogram, status bitmaps, error types)',
    `${last.bytesPerResult.toFixed(0)} B`,
  ],
  [
    'Redis bytes per item, all keys of the run (incl. dataset)',
    `${last.bytesPerItem.toFixed(0)} B`,
  ],
  ['run latency p50 / p99 (ms)', `${last.run.latencyMs.p50} / ${last.run.latencyMs.p99}`],
];
{
  const rl = median(rlRuns.map((r) => r.cost.cpuUsPerItem));
  const rawCpu = median(rawCosts.map((r) => r.cpuUsPerItem));
  const rlCmds = median(rlRuns.map((r) => r.cost.commandsPerItem));
  const rawCmds = median(rawCosts.map((r) => r.commandsPerItem));
  rows.push(
    [
      'Redis commands per item: runledger (submit + drain + polling GET), median',
      `${rlCmds.toFixed(3)} (${last.cost.top})`,
    ],
    [
      'Redis commands per item: raw BullMQ, median',
      `${rawCmds.toFixed(2)} (${rawCosts.at(-1)!.top})`,
    ],
    [
      'Node CPU per item (this process: API + worker / raw producer + worker), medians',
      `${median(rlRuns.map((r) => r.cost.nodeUsPerItem)).toFixed(1)} us / ${median(rawCosts.map((r) => r.nodeUsPerItem)).toFixed(1)} us`,
    ],
    [
      'V8 GC pauses in this process, share of the round: runledger / raw BullMQ, medians',
      `${(median(rlRuns.map((r) => r.cost.gcShare)) * 100).toFixed(0)}% / ${(median(rawCosts.map((r) => r.gcShare)) * 100).toFixed(0)}%`,
    ],
    [
      'Redis CPU per item (main thread user+sys): runledger / raw BullMQ, medians',
      `${rl.toFixed(1)} us / ${rawCpu.toFixed(1)} us`,
    ],
    [
      'projected ceiling of one Redis node (1 core at 100%): runledger / raw BullMQ',
      `${(1e6 / rl).toFixed(0)} / ${(1e6 / rawCpu).toFixed(0)} items/s`,
    ],
  );
}
if (receiver) {
  const on = median(tracedRates);
  rows.push(
    [
      'runledger with tracing on (always_on, OTLP to a local receiver), median',
      `${on.toFixed(0)} items/s (${range(tracedRates)})`,
    ],
    ['throughput with tracing on / off (medians)', `${((on / rlRate) * 100).toFixed(0)}%`],
    [
      'attempt spans received / attempts (BatchSpanProcessor drops when its queue is full)',
      `${attemptSpans} / ${flags.rounds * (flags.items + 200)}`,
    ],
  );
}
if (waitRates.length > 0) {
  const waited = median(waitRates);
  rows.push(
    [
      'runledger with RUNLEDGER_REDIS_WAIT_REPLICAS=1 (1 local replica), median',
      `${waited.toFixed(0)} items/s (${range(waitRates)})`,
    ],
    ['throughput with WAIT 1 / without (medians)', `${((waited / rlRate) * 100).toFixed(0)}%`],
  );
}
const load = (await import('node:os')).loadavg().map((l) => l.toFixed(1));
console.log(
  `\nmachine: ${(await import('node:os')).cpus().length} cores, load average at the end ${load.join(' ')}`,
);
const width = Math.max(...rows.map(([k]) => k.length));
console.log(`\n${'figure'.padEnd(width)} | value\n${'-'.repeat(width)}-|-${'-'.repeat(18)}`);
for (const [k, v] of rows) console.log(`${k.padEnd(width)} | ${v}`);
await bench.close();
printCommand();
process.exit(0);
