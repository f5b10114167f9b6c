/**
 * A drain profile: commits one echo run of `N` items (env, default 20,000) with no worker, then
 * starts a worker in this process and times the drain, printing its Node CPU per item, the
 * busiest Redis commands and the store's script calls. `PROF=file.cpuprofile` writes a CPU
 * profile of the drain, `HEAPPROF=file.heapprofile` its sampled allocations.
 *
 *   npm run build && N=50000 PROF=/tmp/w.cpuprofile npx tsx bench/prof.ts
 */
import { startApi } from '@runledger/api';
import { createLogger, createRedis, loadConfig, type Run, RunExecution } from '@runledger/shared';
import { startWorker } from '@runledger/worker';
import { startRedisServer } from '../test/helpers/redis-server.js';

const N = Number(process.env.N ?? 20000);
// count the store's scripts by kind (commandstats only shows EVALSHA)
const calls: Record<string, number> = {};
for (const name of ['claimItems', 'recordResults'] as const) {
  const orig = RunExecution.prototype[name] as (...a: unknown[]) => unknown;
  (RunExecution.prototype as unknown as Record<string, unknown>)[name] = function (
    this: RunExecution,
    ...a: unknown[]
  ) {
    calls[name] = (calls[name] ?? 0) + 1;
    return orig.apply(this, a);
  };
}
const server = await startRedisServer();
const redis = createRedis(server.url);
const logger = createLogger({ level: 'warn' });
const config = loadConfig({
  REDIS_URL: server.url,
  PORT: '0',
  WORKER_CONCURRENCY: process.env.WC ?? '50',
  LOG_LEVEL: 'warn',
  RUNLEDGER_MAX_BODY_BYTES: String(64 << 20),
});
const api = await startApi({ config, logger });
const items = Array.from({ length: N }, (_, i) => ({
  id: `i${i}`,
  input: { n: i },
  expectedOutput: { n: i },
}));
const body = JSON.stringify({
  target: { name: 'echo' },
  dataset: { items },
  scorers: [{ name: 'exact_match' }],
  // the worker starts after the run is created (only processing is profiled)
  execution: { waitForWorkers: true },
});
let t = performance.now();
const res = await fetch(`${api.url}/v1/runs`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
});
const { id } = (await res.json()) as Run;
console.log('create ms', (performance.now() - t).toFixed(0));
await redis.config('RESETSTAT');
// PROF=file.cpuprofile: CPU profile of the processing phase only
const { Session } = await import('node:inspector/promises');
const session = process.env.PROF ? new Session() : null;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
// HEAPPROF=file.heapprofile: sampled allocations of the processing phase
const heapSession = process.env.HEAPPROF ? new Session() : null;
if (heapSession) {
  heapSession.connect();
  await heapSession.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
t = performance.now();
const cpu0 = process.cpuUsage();
const w = await startWorker({ config, logger });
for (;;) {
  const r = (await (await fetch(`${api.url}/v1/runs/${id}`)).json()) as Run;
  if (r.status === 'completed') break;
  await new Promise((r) => setTimeout(r, 10));
}
console.log('process ms', (performance.now() - t).toFixed(0));
const cpu = process.cpuUsage(cpu0);
console.log('node cpu us per item', ((cpu.user + cpu.system) / N).toFixed(1));
if (heapSession) {
  const { profile } = await heapSession.post('HeapProfiler.stopSampling');
  (await import('node:fs')).writeFileSync(process.env.HEAPPROF!, JSON.stringify(profile));
}
if (session) {
  const { profile } = await session.post('Profiler.stop');
  (await import('node:fs')).writeFileSync(process.env.PROF!, JSON.stringify(profile));
}
const stats = (await redis.info('commandstats'))
  .split('\n')
  .filter((l) => /calls=/.test(l))
  .map((l) => l.trim())
  .sort((a, b) => Number(b.match(/calls=(\d+)/)![1]) - Number(a.match(/calls=(\d+)/)![1]));
console.log(stats.slice(0, 14).join('\n'));
console.log('store calls', calls);
await w.close();
await api.close();
redis.disconnect();
await server.stop();
process.exit(0);
