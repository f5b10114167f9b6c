/**
 * Child process of `bench/load.ts` for a fixed request rate: an open-loop GET load, request i due
 * at `start + i / rate` seconds whatever the answers before it (the next request does not wait for
 * the last one). autocannon's `overallRate` is not that: each connection sends its share of a
 * second as fast as it can at the start of the second and then idles (autocannon issue #174,
 * "50 requests in 100 ms then 900 ms of nothing"), so its latencies are those of bursts at full
 * speed, and its coordinated-omission correction assumes one request per 1 ms per connection.
 *
 * A request's latency runs from its due time to the end of its answer: a request that waited for
 * a free connection, or for this process's event loop, counts the wait (no coordinated
 * omission). Requests go over at most `connections` keep-alive connections (a `node:http` Agent);
 * one without an answer 10 s after its due time is a timeout, one whose connection fails or
 * closes before the end of its answer an error. The first second is a warm-up (connections
 * opened, JIT): sent at the same pace, not counted. Percentiles are nearest-rank over the 2xx
 * answers (`nearestRank`, the same definition as the API's). The generator's own event-loop
 * delay is reported next to them (`generatorLagP99Ms`): the part of the latency that is this
 * process being late, not the server.
 *
 * Same protocol as bench/load-autocannon.ts: waits for a URL on the first line of stdin, prints
 * `load: started` on stderr, sends until SIGINT/SIGTERM or `maxSeconds`, waits up to 10 s for
 * the requests in flight, then prints one `LoadFigures` JSON line on stdout and exits 0.
 *
 * Usage: echo URL | node --import tsx bench/load-paced.ts <connections> <maxSeconds> <rate>
 * Exits 1 (message on stderr) when stdin ends without a URL or `rate` is not > 0.
 */
import { Agent, get } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { nearestRank } from '@runledger/shared';
import type { LoadFigures } from './load-autocannon.js';
import { readUrlFromStdin } from './load-processes.js';

/** A request without an answer this long after its due time is a timeout, ms. */
const TIMEOUT_MS = 10_000;
/** Requests due in the first this-many ms are sent but not counted (connections, JIT). */
const WARMUP_MS = 1000;

const [connectionsArg = '10', maxSecondsArg = '10', rateArg = '0'] = process.argv.slice(2);
const connections = Number(connectionsArg);
const maxMs = Number(maxSecondsArg) * 1000;
const rate = Number(rateArg);
if (!(rate > 0)) {
  console.error(`load-paced.ts: rate must be > 0, got ${rateArg}`);
  process.exit(1);
}

const url = await readUrlFromStdin('load-paced.ts');

const agent = new Agent({ keepAlive: true, maxSockets: connections });
const latencies: number[] = [];
let ok2xx = 0;
let non2xx = 0;
let errors = 0;
let timeouts = 0;
/** 2xx answers that ended before the load stopped (the achieved rate). */
let answeredInWindow = 0;
let inFlight = 0;
let sent = 0;
let stopped = false;
let stoppedAt = 0;
let onIdle: (() => void) | null = null;
const lag = monitorEventLoopDelay({ resolution: 1 });

/** One GET due at `due` (performance.now() ms); counts its answer, error or timeout. */
function fire(due: number, counted: boolean): void {
  inFlight++;
  let settled = false;
  const settle = (outcome: 'ok' | 'non2xx' | 'error' | 'timeout') => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    const end = performance.now();
    if (counted) {
      if (outcome === 'ok') {
        ok2xx++;
        latencies.push(end - due);
        if (!stopped) answeredInWindow++;
      } else if (outcome === 'non2xx') non2xx++;
      else if (outcome === 'error') errors++;
      else timeouts++;
    }
    if (--inFlight === 0) onIdle?.();
  };
  const req = get(url, { agent }, (res) => {
    res.resume();
    res.on('end', () => {
      const code = res.statusCode ?? 0;
      settle(code >= 200 && code < 300 ? 'ok' : 'non2xx');
    });
    // the connection closed before the end of the answer
    res.on('close', () => settle('error'));
  });
  // one timer per request from its due time: also covers a wait for a free connection
  const timer = setTimeout(
    () => {
      settle('timeout');
      req.destroy();
    },
    Math.max(0, due + TIMEOUT_MS - performance.now()),
  );
  req.on('error', () => settle('error'));
  req.on('close', () => settle('error'));
}

const interval = 1000 / rate;
const start = performance.now();
/** Sends every request due by now, then sleeps until the next one is due. */
function tick(): void {
  if (stopped) return;
  const now = performance.now();
  if (now - start >= maxMs) {
    stop();
    return;
  }
  while (start + sent * interval <= now) {
    const due = start + sent++ * interval;
    fire(due, due - start >= WARMUP_MS);
  }
  setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
}

/** Stops sending; prints the figures once the requests in flight ended (at most 10 s). */
function stop(): void {
  if (stopped) return;
  stopped = true;
  stoppedAt = performance.now();
  const report = () => {
    lag.disable();
    const sorted = latencies.sort((a, b) => a - b);
    const round = (ms: number) => Math.round(ms * 10) / 10;
    const at = (p: number) => round(nearestRank(sorted, p) ?? 0);
    const seconds = (stoppedAt - start) / 1000;
    const measuredSeconds = Math.max(0, stoppedAt - start - WARMUP_MS) / 1000;
    const figures: LoadFigures = {
      p50Ms: at(50),
      p90Ms: at(90),
      p99Ms: at(99),
      maxMs: at(100),
      meanMs: round(sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0),
      requestsPerSecond: measuredSeconds > 0 ? answeredInWindow / measuredSeconds : 0,
      requests: sorted.length + non2xx,
      ok2xx,
      non2xx,
      errors,
      timeouts,
      seconds,
      generatorLagP99Ms: round(lag.percentile(99) / 1e6),
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    process.exit(0);
  };
  if (inFlight === 0) report();
  else {
    onIdle = report;
    // every request settles within TIMEOUT_MS of its due time
    setTimeout(report, TIMEOUT_MS + 1000);
  }
}

process.once('SIGINT', stop);
process.once('SIGTERM', stop);
// tell the parent the load is on (it may stop us any time after this line)
console.error('load: started');
lag.enable();
tick();
