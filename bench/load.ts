/**
 * `npm run bench:load`: the load benchmark (issue 3, "Load"), against real processes: the API
 * (`apps/api/src/main.ts`) and `--workers` worker processes (`apps/worker/src/main.ts`).
 *
 * 1. `--runs` clients POST one run of `--items` `echo` items each (config.delayMs `--delay-ms`,
 *    scored with `exact_match`), all at once; every run must complete with exact counters
 *    (succeeded+failed+cancelled == items, succeeded == items, HLEN results == items, exact_match
 *    passed == items). While they execute, a second process sends `GET /v1/runs/<id>` of one of
 *    them over `--connections` connections at `--rate` requests/s (1,000), evenly paced and
 *    timed from each request's due time (bench/load-paced.ts; `--rate 0`: autocannon as fast as
 *    the connections go), until they finish (at most `--max-seconds`), and a third asks one
 *    results page of it (`?limit=100` from its middle) at `--page-rate` (100/s, paced; 0 skips
 *    it).
 *    Goals (issue 11): GET run p99 < 10 ms, results page p99 < 20 ms.
 * 2. One run of `--stream-items` items (each line ~86 + 2 x `--stream-pad` bytes) is POSTed as
 *    NDJSON, generated chunk by chunk (the body is never built in memory here either). The API
 *    process's peak RSS (`VmHWM`, reset through `/proc/<pid>/clear_refs` first; also sampled every
 *    50 ms) is compared with the body size. Goals: peak RSS < 300 MiB, and its growth over the RSS
 *    just before the submission < 50% of the body (growth, because the idle API process alone is
 *    120-190 MiB under tsx). Then the workers drain the run with exact counters (default) or it is
 *    DELETEd (`--delete-stream`).
 *
 * Prints a table `figure | value | goal | ok`. Exit code: 1 when a correctness check fails (or the
 * benchmark itself fails), 2 when only a speed/memory goal is missed ("goal missed: ..." lines),
 * 0 otherwise. Uses REDIS_URL when set, else a private redis-server on a free port.
 *
 * Usage: npm run bench:load -- [--runs 10] [--items 5000] [--workers 3] [--concurrency 50]
 *   [--delay-ms 3] [--connections 10] [--max-seconds 10] [--rate 1000] [--page-rate 100]
 *   [--stream-items 200000] [--stream-pad 200] [--delete-stream] [--floor-seconds 5]
 *   [--idle-seconds 3] [--idle-rate 0] [--worker-nice 0] [--api-heap-mib 0]
 *   [--stream-api-heap-mib 64]
 *
 * `--floor-seconds`: before anything else, a bare node:http server (bench/load-floor.ts) takes
 * `--rate` req/s paced for that long (0 skips it): the latency and CPU per request of Node's HTTP
 * stack alone on this machine, next to which the API's are read (phase 1 prints the API's CPU per
 * request during the load, every thread counted). `--idle-seconds`: then, GET of a finished
 * 100-item run with nothing running (the API's own GET
 * latency; 0 skips it), by autocannon as fast as the connections go, or at `--idle-rate` req/s
 * paced (bench/load-paced.ts). `--worker-nice N`: workers run under `nice -n N` (the API and Redis
 * keep the CPU first on a shared machine). `--api-heap-mib N`: the API runs with
 * `--max-old-space-size=N`. The NDJSON phase goes to a second API process whose V8 heap is capped
 * at `--stream-api-heap-mib` (64), below the body size: it can only accept the body by streaming.
 * `--runs 0` / `--stream-items 0` skip phase 1 / 2.
 */
import { KeyLayout, type Run } from '@runledger/shared';
import { freePort } from '../test/helpers/redis-server.js';
import { benchFlags, benchRedis, printCommand } from './bench-setup.js';
import {
  cpuMs,
  pollUntil,
  readMemory,
  resetPeakRss,
  type Spawned,
  spawnTs,
  startCannon,
} from './load-processes.js';

const flags = benchFlags({
  runs: 10,
  items: 5000,
  workers: 3,
  concurrency: 50,
  delayMs: 3,
  connections: 10,
  maxSeconds: 10,
  rate: 1000,
  pageRate: 100,
  streamItems: 200_000,
  streamPad: 200,
  deleteStream: false,
  idleSeconds: 3,
  idleRate: 0,
  floorSeconds: 5,
  workerNice: 0,
  apiHeapMib: 0,
  streamApiHeapMib: 64,
});
const STREAM_FINISH = !flags.deleteStream;

const MiB = 1024 * 1024;
const P99_GOAL_MS = 10;
const PAGE_P99_GOAL_MS = 20;
const RSS_MAX_MIB = 300;
const RSS_MAX_BODY_SHARE = 0.5;

/** One row of the table: `correctness` rows fail the benchmark (exit 1), `goal` rows exit 2. */
interface Row {
  figure: string;
  value: string;
  goal: string;
  ok: boolean | null;
  kind: 'correctness' | 'goal' | 'info';
}
const rows: Row[] = [];
const check = (figure: string, value: string, goal: string, ok: boolean) =>
  rows.push({ figure, value, goal, ok, kind: 'correctness' });
const goal = (figure: string, value: string, goalText: string, ok: boolean) =>
  rows.push({ figure, value, goal: goalText, ok, kind: 'goal' });
const info = (figure: string, value: string) =>
  rows.push({ figure, value, goal: '', ok: null, kind: 'info' });

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

const bench = await benchRedis();
const { server: redisServer, url: redisUrl, redis } = bench;
const prefix = `bench-load-${Date.now()}`;
const keys = new KeyLayout(prefix);
const spawned: Spawned[] = [];

async function getRun(base: string, id: string): Promise<Run> {
  const res = await fetch(`${base}/v1/runs/${id}`);
  if (res.status !== 200) throw new Error(`GET run ${id}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Run;
}

/** Polls the runs (every 100 ms) until every one is terminal and returns them. */
async function waitTerminal(base: string, ids: string[], timeoutMs: number): Promise<Run[]> {
  return pollUntil(
    async () => {
      const all = await Promise.all(ids.map((id) => getRun(base, id)));
      return all.every((r) => TERMINAL.has(r.status)) ? all : null;
    },
    `${ids.length} run(s) to finish`,
    timeoutMs,
    100,
  );
}

/** Checks one finished run's counters, results hash and scores against `total`; returns failures. */
async function exactness(run: Run, total: number): Promise<string[]> {
  const problems: string[] = [];
  const sum = run.succeededCount + run.failedCount + run.cancelledCount;
  const hlen = await redis.hlen(keys.run(run.id).results);
  const passed = run.scores.exact_match?.passed ?? -1;
  if (run.status !== 'completed') problems.push(`status ${run.status}`);
  if (run.totalItems !== total) problems.push(`totalItems ${run.totalItems}`);
  if (sum !== total) problems.push(`succeeded+failed+cancelled ${sum}`);
  if (run.succeededCount !== total) problems.push(`succeeded ${run.succeededCount}`);
  if (hlen !== total) problems.push(`HLEN results ${hlen}`);
  if (passed !== total) problems.push(`exact_match passed ${passed}`);
  return problems;
}

/**
 * The floor: a bare node:http server (bench/load-floor.ts) under the same paced load (`--rate`
 * over `--connections`, `--floor-seconds`), before anything else runs: the latency and CPU per
 * request of the machine and Node's HTTP stack alone, which no API on it can go below.
 */
async function httpFloor(): Promise<void> {
  const port = await freePort();
  const floor = spawnTs('node:http floor', 'bench/load-floor.ts', { PORT: String(port) });
  spawned.push(floor);
  const url = `http://127.0.0.1:${port}/`;
  await pollUntil(
    async () => ((await fetch(url)).status === 200 ? true : null),
    'the node:http floor server',
    30_000,
    50,
    () => floor.child.exitCode === null,
  );
  const cannon = startCannon(flags.connections, flags.floorSeconds, flags.rate);
  spawned.push(cannon.spawned);
  await cannon.load(url);
  const cpu0 = cpuMs(floor.pid);
  await pollUntil(
    async () => (cannon.running() ? null : true),
    'the floor load to end',
    (flags.floorSeconds + 30) * 1000,
  );
  const figures = await cannon.finish();
  const cpu = cpuMs(floor.pid) - cpu0;
  await floor.stop();
  // both ended: out of the list whose liveness later phases watch
  spawned.splice(spawned.indexOf(floor), 1);
  spawned.splice(spawned.indexOf(cannon.spawned), 1);
  if (!figures) {
    check('floor load produced figures', 'no', 'yes', false);
    return;
  }
  info(
    `floor: bare node:http server, ${flags.rate} req/s paced (${flags.connections} connections, ${flags.floorSeconds} s): p50 / p99`,
    `${figures.p50Ms} / ${figures.p99Ms} ms; generator event-loop delay p99 ${figures.generatorLagP99Ms ?? '-'} ms`,
  );
  info(
    'floor: CPU per request of the bare node:http server',
    `${((cpu * 1000) / Math.max(1, flags.rate * figures.seconds)).toFixed(0)} us`,
  );
}

/** GET latency of a small finished run while nothing else runs: the API's own cost. */
async function idleBaseline(base: string): Promise<void> {
  const cannon = startCannon(flags.connections, flags.idleSeconds, flags.idleRate);
  spawned.push(cannon.spawned);
  const res = await fetch(`${base}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'load-warmup',
      target: { name: 'echo' },
      dataset: { items: Array.from({ length: 100 }, (_, n) => ({ input: n, expectedOutput: n })) },
      scorers: [{ name: 'exact_match' }],
    }),
  });
  check('warm-up run (100 items) POST', String(res.status), '201', res.status === 201);
  if (res.status !== 201) return;
  const { id } = (await res.json()) as Run;
  const [run] = await waitTerminal(base, [id], 60_000);
  const problems = await exactness(run!, 100);
  check(
    'warm-up run completed with exact counters',
    problems.length === 0 ? 'yes' : problems.join(', '),
    'yes',
    problems.length === 0,
  );
  await cannon.load(`${base}/v1/runs/${id}`);
  await pollUntil(
    async () => (cannon.running() ? null : true),
    'the idle load to end',
    (flags.idleSeconds + 30) * 1000,
  );
  const figures = await cannon.finish();
  if (!figures) {
    check('idle load produced figures', 'no', 'yes', false);
    return;
  }
  info(
    `GET p50 / p99 idle, nothing running (${flags.connections} connections, ${flags.idleSeconds} s, ${flags.idleRate > 0 ? `${flags.idleRate} req/s paced` : 'as fast as they go'})`,
    `${figures.p50Ms} / ${figures.p99Ms} ms, ${figures.requestsPerSecond.toFixed(0)} req/s${figures.generatorLagP99Ms === undefined ? '' : `; generator event-loop delay p99 ${figures.generatorLagP99Ms} ms`}`,
  );
}

/** Phase 1: concurrent clients, exact counters, GET latency under load (paced load child). */
async function concurrentRuns(base: string, apiPid: number): Promise<void> {
  const bodies = Array.from({ length: flags.runs }, (_, client) =>
    JSON.stringify({
      name: `load-client-${client}`,
      target: { name: 'echo', config: { delayMs: flags.delayMs } },
      dataset: {
        id: `load-${client}`,
        items: Array.from({ length: flags.items }, (_, i) => ({
          id: `c${client}-${i}`,
          input: { client, n: i },
          expectedOutput: { client, n: i },
        })),
      },
      scorers: [{ name: 'exact_match' }],
      tags: ['bench-load'],
    }),
  );
  // the load in a second process, spawned now (its load starts when it gets the URL)
  const cannon = startCannon(flags.connections, flags.maxSeconds, flags.rate);
  spawned.push(cannon.spawned);
  // and a results page of the same run (100 results from the middle), at --page-rate
  const pageCannon = flags.pageRate > 0 ? startCannon(2, flags.maxSeconds, flags.pageRate) : null;
  if (pageCannon) spawned.push(pageCannon.spawned);

  const started = performance.now();
  const posts = await Promise.all(
    bodies.map(async (body) => {
      const t0 = performance.now();
      const res = await fetch(`${base}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await res.text();
      return { status: res.status, text, ms: performance.now() - t0 };
    }),
  );
  const created = posts.filter((p) => p.status === 201);
  check(
    `POST /v1/runs x${flags.runs} at once (${flags.items} items each)`,
    `${created.length}/${flags.runs} x 201`,
    `${flags.runs}/${flags.runs}`,
    created.length === flags.runs,
  );
  for (const p of posts.filter((x) => x.status !== 201))
    console.error(`POST failed: ${p.status} ${p.text.slice(0, 300)}`);
  info(
    'POST accept time, slowest of the concurrent clients',
    `${Math.max(...posts.map((p) => p.ms)).toFixed(0)} ms`,
  );
  const ids = created.map((p) => (JSON.parse(p.text) as Run).id);
  if (ids.length === 0) return;

  // load one of the running runs until they all finish (at most --max-seconds)
  const apiCpu0 = cpuMs(apiPid);
  await cannon.load(`${base}/v1/runs/${ids[0]!}`);
  await pageCannon?.load(
    `${base}/v1/runs/${ids[0]!}/results?limit=100&cursor=${Math.floor(flags.items / 2)}`,
  );
  const runs = await waitTerminal(base, ids, 180_000);
  // still running when the runs finished: the load covered the whole execution
  const overlapped = cannon.running();
  const figures = await cannon.finish();
  const pageFigures = pageCannon ? await pageCannon.finish() : null;
  const apiCpu = cpuMs(apiPid) - apiCpu0;
  const totalItems = flags.runs * flags.items;
  const lastCompleted = Math.max(...runs.map((r) => Date.parse(r.completedAt ?? r.createdAt)));
  const firstCreated = Math.min(...runs.map((r) => Date.parse(r.createdAt)));

  const problems = await Promise.all(runs.map((r) => exactness(r, flags.items)));
  const exact = problems.filter((p) => p.length === 0).length;
  for (const [i, p] of problems.entries())
    if (p.length > 0) console.error(`run ${runs[i]!.id}: ${p.join(', ')}`);
  check(
    'runs completed with exact counters, results, scores',
    `${exact}/${ids.length}`,
    `${flags.runs}/${flags.runs}`,
    exact === flags.runs,
  );
  const succeeded = runs.reduce((s, r) => s + r.succeededCount, 0);
  check(
    'items succeeded, all runs',
    String(succeeded),
    String(totalItems),
    succeeded === totalItems,
  );
  info(
    `throughput, ${flags.runs} runs (${flags.workers} workers x ${flags.concurrency}, echo ${flags.delayMs} ms)`,
    `${((succeeded / (performance.now() - started)) * 1000).toFixed(0)} items/s wall, ${((succeeded / (lastCompleted - firstCreated)) * 1000).toFixed(0)} items/s first created -> last completed`,
  );

  check('load child produced figures', figures ? 'yes' : 'no', 'yes', figures !== null);
  if (!figures) return;
  check(
    'GET /v1/runs/:id under load: non-2xx / errors / timeouts',
    `${figures.non2xx} / ${figures.errors} / ${figures.timeouts} of ${figures.requests}`,
    '0 / 0 / 0, > 0 requests',
    figures.non2xx === 0 && figures.errors === 0 && figures.timeouts === 0 && figures.requests > 0,
  );
  goal(
    `GET /v1/runs/:id p99 while the runs execute (${flags.connections} connections${flags.rate > 0 ? `, ${flags.rate} req/s` : ''})`,
    `${figures.p99Ms} ms`,
    `< ${P99_GOAL_MS} ms`,
    figures.p99Ms < P99_GOAL_MS,
  );
  info('GET p50 / p90 / max', `${figures.p50Ms} / ${figures.p90Ms} / ${figures.maxMs} ms`);
  // every request sent was answered or counted as failed above; CPU of all the API's threads
  const sent =
    flags.rate * figures.seconds + (pageFigures ? flags.pageRate * pageFigures.seconds : 0);
  if (flags.rate > 0 && sent > 0) {
    info(
      'API CPU per request sent while the runs execute (GET and page, all threads)',
      `${((apiCpu * 1000) / sent).toFixed(0)} us (${(apiCpu / 1000).toFixed(1)} s over ${sent.toFixed(0)} requests)`,
    );
  }
  info(
    'GET requests/s',
    `${figures.requestsPerSecond.toFixed(0)} req/s over ${figures.seconds.toFixed(1)} s`,
  );
  if (figures.generatorLagP99Ms !== undefined) {
    // how late the paced generator itself was: part of every latency above
    info('GET load generator event-loop delay p99', `${figures.generatorLagP99Ms} ms`);
  }
  if (pageFigures) {
    check(
      'results page under load: non-2xx / errors / timeouts',
      `${pageFigures.non2xx} / ${pageFigures.errors} / ${pageFigures.timeouts} of ${pageFigures.requests}`,
      '0 / 0 / 0, > 0 requests',
      pageFigures.non2xx === 0 &&
        pageFigures.errors === 0 &&
        pageFigures.timeouts === 0 &&
        pageFigures.requests > 0,
    );
    goal(
      `GET /v1/runs/:id/results?limit=100 p99 while the runs execute (${flags.pageRate} req/s)`,
      `${pageFigures.p99Ms} ms`,
      `< ${PAGE_P99_GOAL_MS} ms`,
      pageFigures.p99Ms < PAGE_P99_GOAL_MS,
    );
    info(
      'results page p50 / p90 / max, requests/s',
      `${pageFigures.p50Ms} / ${pageFigures.p90Ms} / ${pageFigures.maxMs} ms, ${pageFigures.requestsPerSecond.toFixed(0)} req/s`,
    );
    if (pageFigures.generatorLagP99Ms !== undefined) {
      info('page load generator event-loop delay p99', `${pageFigures.generatorLagP99Ms} ms`);
    }
  }
  goal(
    'GET load lasted until the runs finished',
    overlapped ? 'yes' : `no: the load stopped after ${flags.maxSeconds} s`,
    'yes, or >= --max-seconds of load',
    overlapped || figures.seconds >= flags.maxSeconds,
  );
}

/** The NDJSON body, pulled chunk by chunk (about 64 KiB each); `bytes()` counts what was sent. */
function ndjsonBody(
  items: number,
  pad: number,
): { stream: ReadableStream<Uint8Array>; bytes(): number } {
  const encoder = new TextEncoder();
  const text = 'x'.repeat(pad);
  let next = -1; // -1: the header line
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        let chunk = '';
        if (next === -1) {
          chunk += `${JSON.stringify({
            name: 'load-stream',
            target: { name: 'echo' },
            dataset: { id: 'load-stream' },
            scorers: [{ name: 'exact_match' }],
            tags: ['bench-load'],
          })}\n`;
          next = 0;
        }
        while (next < items && chunk.length < 64 * 1024) {
          const value = `{"n":${next},"text":"${text}"}`;
          chunk += `{"id":"s${next}","input":${value},"expectedOutput":${value}}\n`;
          next++;
        }
        const bytes = encoder.encode(chunk);
        sent += bytes.length;
        controller.enqueue(bytes);
        if (next >= items) controller.close();
      },
    },
    { highWaterMark: 1 },
  );
  return { stream, bytes: () => sent };
}

/** Phase 2: a large streamed NDJSON run; the API's peak RSS against the body size. */
async function streamedRun(base: string, apiPid: number): Promise<void> {
  const before = readMemory(apiPid);
  const reset = resetPeakRss(apiPid);
  const baseline = readMemory(apiPid);
  let sampledPeak = baseline.rssBytes;
  const sampler = setInterval(() => {
    try {
      sampledPeak = Math.max(sampledPeak, readMemory(apiPid).rssBytes);
    } catch {
      // the process is gone: reported by the failed request below
    }
  }, 50);
  const body = ndjsonBody(flags.streamItems, flags.streamPad);
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: body.stream,
    duplex: 'half',
  });
  const text = await res.text();
  const acceptMs = performance.now() - t0;
  clearInterval(sampler);
  const after = readMemory(apiPid);
  const peak = Math.max(
    reset ? after.hwmBytes : Math.max(after.hwmBytes, before.hwmBytes),
    sampledPeak,
  );
  const bodyBytes = body.bytes();
  check(
    `POST ${flags.streamItems} items as streamed NDJSON`,
    `${res.status}`,
    '201',
    res.status === 201,
  );
  if (res.status !== 201) {
    console.error(`NDJSON POST failed: ${res.status} ${text.slice(0, 500)}`);
    return;
  }
  const run = JSON.parse(text) as Run;
  check(
    'streamed run totalItems',
    String(run.totalItems),
    String(flags.streamItems),
    run.totalItems === flags.streamItems,
  );
  info('NDJSON body size', mib(bodyBytes));
  info(
    'NDJSON accept time',
    `${(acceptMs / 1000).toFixed(1)} s (${((flags.streamItems / acceptMs) * 1000).toFixed(0)} items/s, ${((bodyBytes / MiB / acceptMs) * 1000).toFixed(1)} MiB/s)`,
  );
  info(
    'API RSS before the submission',
    `${mib(baseline.rssBytes)}${reset ? ' (VmHWM reset via clear_refs)' : ` (clear_refs refused; VmHWM since start ${mib(before.hwmBytes)})`}`,
  );
  goal(
    'API peak RSS during the NDJSON submission (VmHWM)',
    `${mib(peak)} (${((peak / bodyBytes) * 100).toFixed(0)}% of the body)`,
    `< ${RSS_MAX_MIB} MiB`,
    peak < RSS_MAX_MIB * MiB,
  );
  const growth = peak - baseline.rssBytes;
  goal(
    'API RSS growth during the submission (peak - before)',
    `${mib(growth)} (${((growth / bodyBytes) * 100).toFixed(0)}% of the body)`,
    `< ${RSS_MAX_BODY_SHARE * 100}% of the body`,
    growth < bodyBytes * RSS_MAX_BODY_SHARE,
  );

  if (STREAM_FINISH) {
    const runs = await waitTerminal(base, [run.id], 300_000);
    const done = runs[0]!;
    const problems = await exactness(done, flags.streamItems);
    if (problems.length > 0) console.error(`run ${done.id}: ${problems.join(', ')}`);
    check(
      'streamed run completed with exact counters, results, scores (drained by the workers)',
      problems.length === 0 ? 'yes' : problems.join(', '),
      'yes',
      problems.length === 0,
    );
    const seconds =
      (Date.parse(done.completedAt ?? done.createdAt) -
        Date.parse(done.startedAt ?? done.createdAt)) /
      1000;
    info(
      `streamed run throughput (${flags.workers} workers x ${flags.concurrency}, echo 0 ms)`,
      `${(flags.streamItems / seconds).toFixed(0)} items/s (${seconds.toFixed(1)} s started -> completed)`,
    );
  } else {
    const del = await fetch(`${base}/v1/runs/${run.id}`, { method: 'DELETE' });
    const left = await redis.exists(
      keys.run(run.id).run,
      keys.run(run.id).items,
      keys.run(run.id).results,
    );
    check(
      'streamed run DELETEd (not drained: --delete-stream)',
      `${del.status}, ${left} keys left`,
      '204, 0 keys left',
      del.status === 204 && left === 0,
    );
  }
}

function printTable(): void {
  const header = ['figure', 'value', 'goal', 'ok'];
  const cells = rows.map((r) => [
    r.figure,
    r.value,
    r.goal,
    r.ok === null ? '' : r.ok ? 'ok' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join(' | ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const c of cells) console.log(line(c));
}

let fatal: unknown = null;
const wallStart = performance.now();
try {
  console.log(
    `load benchmark: ${flags.runs} runs x ${flags.items} echo items (${flags.delayMs} ms) at once, then ${flags.streamItems} items as NDJSON; ` +
      `API + ${flags.workers} worker processes (concurrency ${flags.concurrency}); redis ${redisUrl}${redisServer ? ' (private)' : ''}`,
  );
  if (flags.floorSeconds > 0 && flags.rate > 0) await httpFloor();
  const port = await freePort();
  const env = {
    REDIS_URL: redisUrl,
    RUNLEDGER_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    WORKER_CONCURRENCY: String(flags.concurrency),
  };
  const api = spawnTs(
    'api',
    'apps/api/src/main.ts',
    { ...env, PORT: String(port), HOST: '127.0.0.1' },
    flags.apiHeapMib > 0 ? { nodeArgs: [`--max-old-space-size=${flags.apiHeapMib}`] } : {},
  );
  spawned.push(api);
  for (let i = 0; i < flags.workers; i++)
    spawned.push(
      spawnTs(`worker-${i}`, 'apps/worker/src/main.ts', env, { nice: flags.workerNice }),
    );
  const base = `http://127.0.0.1:${port}`;
  const apiAlive = () => api.child.exitCode === null;
  await pollUntil(
    async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : null),
    'the API to be ready',
    60_000,
    100,
    apiAlive,
  );
  await pollUntil(
    async () => {
      const res = await fetch(`${base}/v1/workers`);
      const { workers } = (await res.json()) as { workers: unknown[] };
      return workers.length >= flags.workers ? true : null;
    },
    `${flags.workers} workers to register`,
    60_000,
    100,
    () => spawned.every((s) => s.child.exitCode === null),
  );
  console.log(
    `processes up in ${((performance.now() - wallStart) / 1000).toFixed(1)} s (API pid ${api.pid})`,
  );
  if (flags.idleSeconds > 0) await idleBaseline(base);
  if (flags.runs > 0) await concurrentRuns(base, api.pid);
  console.log(`phase 1 done at ${((performance.now() - wallStart) / 1000).toFixed(1)} s`);
  if (flags.streamItems > 0) {
    // phase 2 goes to its own API process whose V8 heap is capped below the body size: holding
    // the body would crash it (heap out of memory), so acceptance proves it is streamed
    const streamPort = await freePort();
    const streamApi = spawnTs(
      'api-stream',
      'apps/api/src/main.ts',
      { ...env, PORT: String(streamPort), HOST: '127.0.0.1' },
      { nodeArgs: [`--max-old-space-size=${flags.streamApiHeapMib}`] },
    );
    spawned.push(streamApi);
    const streamBase = `http://127.0.0.1:${streamPort}`;
    await pollUntil(
      async () => ((await fetch(`${streamBase}/readyz`)).status === 200 ? true : null),
      'the streaming API to be ready',
      60_000,
      100,
      () => streamApi.child.exitCode === null,
    );
    info(
      'V8 heap cap of the API process taking the NDJSON stream',
      `${flags.streamApiHeapMib} MiB`,
    );
    await streamedRun(streamBase, streamApi.pid);
  }
  console.log(`phase 2 done at ${((performance.now() - wallStart) / 1000).toFixed(1)} s`);
} catch (err) {
  fatal = err;
} finally {
  for (const s of spawned) {
    if (
      s.child.exitCode !== null &&
      s.name !== 'autocannon' &&
      s.name !== 'paced load' &&
      s.child.exitCode !== 0
    ) {
      console.error(`${s.name} exited ${s.child.exitCode}: ${s.stderrTail()}`);
    }
  }
  await Promise.all(spawned.map((s) => s.stop()));
  // a shared REDIS_URL: remove every key under the prefix and BullMQ's `{prefix}`
  await bench.close(prefix);
}

info('benchmark wall time', `${((performance.now() - wallStart) / 1000).toFixed(1)} s`);
printTable();
if (fatal) {
  console.error('\nbenchmark failed:', fatal);
  process.exit(1);
}
const failed = rows.filter((r) => r.kind === 'correctness' && r.ok === false);
const missed = rows.filter((r) => r.kind === 'goal' && r.ok === false);
for (const r of failed) console.log(`check failed: ${r.figure}: ${r.value} (expected ${r.goal})`);
for (const r of missed) console.log(`goal missed: ${r.figure}: ${r.value} (goal ${r.goal})`);
printCommand();
process.exit(failed.length > 0 ? 1 : missed.length > 0 ? 2 : 0);
