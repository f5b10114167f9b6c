/**
 * `npx tsx --conditions=@runledger/source bench/read-run.ts`: the Redis cost of one
 * `GET /v1/runs/:id` (`store.runs.getRun`, script read-run-4) against the size of the run's
 * latency histogram, for a running run with a result recorded since its last GET (percentiles
 * computed from the histogram, then cached in the run's `latencySummary`), the same run read
 * again with none recorded since (answered from that cache), and the run once finished
 * (answered from the `latencySummary` its end stored). Redis microseconds per
 * read are `INFO commandstats` deltas of EVALSHA over `--reads` reads. A histogram of N buckets
 * is what a run whose latencies spread over a factor 1.01^N holds (500 buckets: 0.2 to 30 s).
 *
 * Usage: npx tsx --conditions=@runledger/source bench/read-run.ts [--reads 500]
 * Uses REDIS_URL when set (keys under the prefix `benchread`, deleted at the end; any other
 * EVALSHA on that server meanwhile counts in the figures), else a private redis-server on a
 * free port.
 */
import { RunStore } from '@runledger/shared';
import { commitTestRun } from '../test/helpers/submit.js';
import { benchFlags, benchRedis, printCommand, printTable } from './bench-setup.js';

const flags = benchFlags({ reads: 500 });
if (!(flags.reads >= 1)) throw new TypeError(`--reads must be >= 1, got ${flags.reads}`);
const bench = await benchRedis();
const { redis } = bench;
const prefix = 'benchread';
const store = new RunStore(redis, { prefix });

/** Redis microseconds spent in EVALSHA so far (INFO commandstats). */
async function evalshaUs(): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(stats)?.[1] ?? 0);
}

/**
 * Redis microseconds per `getRun` of `runId`, over `flags.reads` reads. `recordBetween`: the
 * run's succeededCount is raised before every read (by HINCRBY, not counted: what recording a
 * result does to the counters), so each read finds its cached summary stale and reads the
 * histogram.
 */
async function perRead(runId: string, recordBetween = false): Promise<number> {
  await store.runs.getRun(runId); // the script is loaded
  const runKey = store.keys.run(runId).run;
  let us = 0;
  for (let i = 0; i < flags.reads; i++) {
    if (recordBetween) await redis.hincrby(runKey, 'succeededCount', 1);
    const before = await evalshaUs();
    await store.runs.getRun(runId);
    us += (await evalshaUs()) - before;
  }
  return us / flags.reads;
}

const rows: string[][] = [];
try {
  for (const buckets of [10, 100, 500, 1300]) {
    // a queued run (read like a running one: percentiles from the histogram)
    const id = await commitTestRun(store, 1);
    const k = store.keys.run(id);
    // a histogram of `buckets` buckets, 3 latencies each, from 1 us up by 1% steps
    const fields: string[] = [];
    for (let b = 0; b < buckets; b++) fields.push(String(b), '3');
    await redis.hset(k.latency, ...fields);
    await redis.hset(
      k.run,
      'latencyMinMs',
      '0.001',
      'latencyMaxMs',
      String(0.001 * 1.01 ** buckets),
    );
    const stale = await perRead(id, true);
    const running = await perRead(id);
    const before = (await store.runs.getRun(id))?.latencyMs;
    await store.execution.finishRun(id, 'cancelled', 'bench');
    const finished = await perRead(id);
    const after = (await store.runs.getRun(id))?.latencyMs;
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      throw new Error(`finished run answered other figures: ${JSON.stringify({ before, after })}`);
    }
    rows.push([String(buckets), stale.toFixed(0), running.toFixed(0), finished.toFixed(0)]);
  }
} finally {
  await bench.close(prefix);
}

const head = [
  'histogram buckets',
  'running run, a result recorded since the last GET: Redis us per GET',
  'running run, none recorded since: Redis us per GET',
  'finished run: Redis us per GET',
];
printTable(head, rows);
printCommand();
process.exit(0);
