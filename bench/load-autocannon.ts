/**
 * Child process of `bench/load.ts`: waits for a URL on the first line of stdin (so it can be
 * spawned before the URL is known), prints `load: started` on stderr, runs autocannon
 * against it (GET) until SIGINT/SIGTERM or `maxSeconds`, then prints one JSON line with the
 * figures on stdout and exits 0.
 *
 * Usage: echo URL | node --import tsx bench/load-autocannon.ts <connections> <maxSeconds> [rate]
 * `rate` (requests/s over all connections, autocannon's `overallRate`): a fixed request rate
 * instead of as fast as the connections go; 0 or absent: as fast as they go.
 * Output: `LoadFigures` as one JSON line (latencies in ms, throughput in requests/s). A fixed
 * rate goes to bench/load-paced.ts instead (autocannon's rate is bursts: see there).
 * Exits 1 (message on stderr) when stdin ends without a URL or autocannon fails.
 */
import { createRequire } from 'node:module';
import { readUrlFromStdin } from './load-processes.js';

/** The part of autocannon's result this benchmark reads (latencies in ms). */
interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  requests: { average: number; total: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}

interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  stop(): void;
}

type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  method: 'GET';
  timeout: number;
  overallRate?: number;
}) => AutocannonInstance;

/**
 * What a load child (this one, bench/load-paced.ts) prints: GET latency percentiles (ms),
 * requests/s, counts, window (seconds).
 */
export interface LoadFigures {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  requestsPerSecond: number;
  requests: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors (autocannon: timeouts included). */
  errors: number;
  timeouts: number;
  /** Seconds of load (bench/load-paced.ts: its 1 s warm-up included; its rates and latencies leave it out). */
  seconds: number;
  /** bench/load-paced.ts: p99 of its own event-loop delay, ms (how late the generator was). */
  generatorLagP99Ms?: number;
}

const [connections = '10', maxSeconds = '10', rate = '0'] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;

const url = await readUrlFromStdin('load-autocannon.ts');

const started = performance.now();
const instance = autocannon({
  url,
  connections: Number(connections),
  duration: Number(maxSeconds),
  method: 'GET',
  timeout: 10,
  ...(Number(rate) > 0 ? { overallRate: Number(rate) } : {}),
});
const stop = () => instance.stop();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
// tell the parent the load is on (it may stop us any time after this line)
console.error('load: started');

instance.then(
  (r) => {
    const figures: LoadFigures = {
      p50Ms: r.latency.p50,
      p90Ms: r.latency.p90,
      p99Ms: r.latency.p99,
      maxMs: r.latency.max,
      meanMs: r.latency.mean,
      requestsPerSecond: r.requests.total / ((performance.now() - started) / 1000),
      requests: r.requests.total,
      ok2xx: r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      seconds: (performance.now() - started) / 1000,
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    console.error(`autocannon failed: ${String(err)}`);
    process.exit(1);
  },
);
