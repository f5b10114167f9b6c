/**
 * Redis at its limits (issue 13), on a private redis-server whose `maxmemory` the tests set:
 * an OOM mid-submit answers 503 `unavailable` with Retry-After and leaves no partial run;
 * admission control refuses new runs above the high-water mark before writing anything;
 * `/readyz` reports memory; workers keep their results through an OOM and finish the run exact;
 * log lines never carry payloads (under OOM and under a Lua script error) and stay bounded.
 */
import { Writable } from 'node:stream';
import type { createApp } from '@runledger/api';
import { RunledgerClient } from '@runledger/client';
import {
  type Config,
  createLogger,
  createRedis,
  type Logger,
  loadConfig,
  parseInfoMemory,
  type Run,
  RunQueues,
  RunStore,
  redisErrorKind,
  serializeError,
  type TargetDefinition,
} from '@runledger/shared';
import { startWorker, type WorkerHandle } from '@runledger/worker';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testApp } from './helpers/app.js';
import { waitFor } from './helpers/context.js';
import { destroyRedisServer, type RedisServer, startRedisServer } from './helpers/redis-server.js';
import { expectCountersExact, waitTerminal } from './helpers/run-checks.js';
import { commitTestRun, submitRunDirect } from './helpers/submit.js';

/** A string that must never appear in a log line: it is in every item input and output. */
const MARKER = 'PAYLOAD-MARKER-7f3a';

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = createRedis(server.url, 'command', { connectionName: 'redis-limits-admin' });
});

afterAll(async () => {
  admin?.disconnect();
  if (server) await destroyRedisServer(server);
});

/** Sets `maxmemory` to `used_memory + headroom` bytes (negative headroom: over the limit now). */
async function limitMemory(headroom: number): Promise<number> {
  await admin.config('SET', 'maxmemory', '0');
  const used = parseInfoMemory(await admin.info('memory')).used;
  await admin.config('SET', 'maxmemory', String(used + headroom));
  return used + headroom;
}

const unlimitMemory = () => admin.config('SET', 'maxmemory', '0');

/**
 * Sets `maxmemory` so that `used_memory` is about 95% of it: above a 0.9 high-water mark, below
 * full (writes would still succeed). Returns the `maxmemory` set, bytes.
 */
async function nearHighWater(): Promise<number> {
  const used = parseInfoMemory(await admin.info('memory')).used;
  const maxmemory = Math.round(used / 0.95);
  await admin.config('SET', 'maxmemory', String(maxmemory));
  return maxmemory;
}

/** Log lines captured from a pino logger, parsed. */
function captureLogs(): { logger: Logger; lines: string[]; parsed(): Record<string, unknown>[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(line);
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  return {
    logger,
    lines,
    parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

interface Setup {
  config: Config;
  redis: Redis;
  store: RunStore;
  queues: RunQueues;
  app: ReturnType<typeof createApp>;
  close(): Promise<void>;
}

/**
 * Runs `test` with a `setup(env, logger)`, then frees Redis's memory (`unlimitMemory`) and
 * closes the setup, whether `test` passed or threw.
 */
async function withSetup(
  env: Record<string, string>,
  test: (s: Setup) => Promise<void>,
  logger?: Logger,
): Promise<void> {
  const s = setup(env, logger);
  try {
    await test(s);
  } finally {
    await unlimitMemory();
    await s.close();
  }
}

let prefixes = 0;
function setup(env: Record<string, string> = {}, logger?: Logger): Setup {
  const prefix = `rl-limits-${process.pid}-${++prefixes}`;
  const config = loadConfig({ REDIS_URL: server.url, RUNLEDGER_PREFIX: prefix, ...env });
  const redis = createRedis(config.REDIS_URL);
  const store = new RunStore(redis, { prefix });
  const queues = new RunQueues({ redisUrl: config.REDIS_URL, prefix });
  const app = testApp({ config, store, queues, ...(logger ? { logger } : {}) });
  return {
    config,
    redis,
    store,
    queues,
    app,
    async close() {
      await queues.close();
      redis.disconnect();
    },
  };
}

/** A JSON run body for the built-in echo target with `n` items of about `bytes` each. */
const runBody = (n: number, bytes: number) => ({
  target: { name: 'echo' },
  execution: { waitForWorkers: true },
  dataset: {
    items: Array.from({ length: n }, (_, i) => ({
      id: `i${i}`,
      input: { text: `${MARKER}-${i}-${'x'.repeat(bytes)}` },
    })),
  },
});

const post = (s: Setup, path: string, body: unknown) =>
  s.app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** Every key of the setup's prefix but the audit log's (it records refused requests too). */
const keysOf = async (s: Setup) =>
  (await admin.keys(`${s.config.RUNLEDGER_PREFIX}*`)).filter((k) => !k.includes(':audit:'));

describe('API under Redis out of memory', () => {
  it('an OOM mid-submit answers 503 unavailable with Retry-After and leaves no partial run', async () => {
    const logs = captureLogs();
    await withSetup(
      { RUNLEDGER_REDIS_MEMORY_HIGH_WATER: '0' },
      async (s) => {
        // 300 kB left; the run needs ~3 MB (3 staging batches of 1,000 items): refused mid-way
        await limitMemory(300_000);
        const res = await post(s, '/v1/runs', runBody(3000, 1000));
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(res.headers.get('retry-after')).toBe('30');
        const problem = (await res.json()) as Record<string, unknown>;
        expect(problem).toMatchObject({
          type: 'urn:runledger:problem:unavailable',
          status: 503,
          detail: 'Redis is out of memory (maxmemory reached); nothing was written',
          instance: '/v1/runs',
        });
        // nothing partial: no run key, no index entry, no job of the refused submission
        await unlimitMemory();
        expect(await keysOf(s)).toEqual([]);
        const metrics = await (await s.app.request('/metrics')).text();
        expect(metrics).toMatch(/^runledger_redis_errors_total\{kind="oom"\} 1$/m);
        // the API logged the refusal once, with its kind, without the items it was writing
        const warned = logs.parsed().filter((l) => l.redisKind === 'oom');
        expect(warned).toHaveLength(1);
        expect(warned[0]).toMatchObject({ level: 40, method: 'POST', path: '/v1/runs' });
        expect(logs.parsed().filter((l) => l.msg === 'unexpected error')).toHaveLength(0);
        expectCleanLogs(logs.lines);
      },
      logs.logger,
    );
  });

  it('above the high-water mark new runs and dataset versions get 503 before anything is written; /readyz reports it', async () => {
    await withSetup({ RUNLEDGER_REDIS_MEMORY_HIGH_WATER: '0.9' }, async (s) => {
      // used_memory is ~95% of maxmemory: above 0.9, below 1 (writes would still succeed)
      const maxmemory = await nearHighWater();
      const res = await post(s, '/v1/runs', runBody(2, 10));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('30');
      const problem = (await res.json()) as { type: string; detail: string };
      expect(problem.type).toBe('urn:runledger:problem:unavailable');
      expect(problem.detail).toMatch(
        /^Redis memory is at \d+(\.\d)?% of maxmemory \(\d+ of \d+ bytes\), above the high-water mark of 90% \(RUNLEDGER_REDIS_MEMORY_HIGH_WATER\)/,
      );
      const dataset = await post(s, '/v1/datasets', { items: [{ input: 1 }] });
      expect(dataset.status).toBe(503);
      expect(await keysOf(s)).toEqual([]);

      const ready = await s.app.request('/readyz');
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as {
        status: string;
        redis: { usedMemoryBytes: number; maxMemoryBytes: number; admitting: boolean };
      };
      expect(body.status).toBe('ready');
      expect(body.redis.admitting).toBe(false);
      expect(body.redis.maxMemoryBytes).toBe(maxmemory);
      // the same through @runledger/client
      const client = new RunledgerClient({
        baseUrl: 'http://runledger.test',
        fetch: async (input, init) => s.app.request(new Request(input, init)),
      });
      expect(await client.system.ready()).toMatchObject({
        status: 'ready',
        redis: { admitting: false, maxMemoryBytes: maxmemory },
      });

      // full: /readyz is 503 naming the cause
      await limitMemory(-50_000);
      const full = await waitFor(async () => {
        const r = await s.app.request('/readyz');
        return r.status === 503 ? r : null;
      }, 'readyz 503');
      expect(full.headers.get('retry-after')).toBe('30');
      const fullProblem = (await full.json()) as { type: string; detail: string };
      expect(fullProblem.type).toBe('urn:runledger:problem:unavailable');
      expect(fullProblem.detail).toMatch(
        /^Redis is out of memory \(used_memory \d+ >= maxmemory \d+\)$/,
      );
      const metrics = await (await s.app.request('/metrics')).text();
      expect(metrics).toMatch(/^runledger_redis_admission_refusals_total 2$/m);
    });
  });

  it("a running run's GET answers its percentiles while Redis is full (its summary cache is not written)", async () => {
    await withSetup({}, async (s) => {
      const id = await commitTestRun(s.store, 3);
      const recorded = await s.store.execution.recordResults(id, [
        { index: 0, result: { status: 'succeeded', output: 1, latencyMs: 10, attempts: 1 } },
        { index: 1, result: { status: 'succeeded', output: 1, latencyMs: 30, attempts: 1 } },
      ]);
      expect(recorded).toMatchObject({ state: 'ok', recorded: 2 });
      await limitMemory(-1024 * 1024);
      const res = await s.app.request(`/v1/runs/${id}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as Run).latencyMs).toMatchObject({ p50: 10, p99: 30, max: 30 });
      expect(await s.redis.hget(s.store.keys.run(id).run, 'latencySummary')).toBeNull();
      // memory back: the next GET keeps what it computed
      await unlimitMemory();
      expect((await s.store.runs.getRun(id))?.latencyMs).toMatchObject({ p50: 10, p99: 30 });
      expect(await s.redis.hget(s.store.keys.run(id).run, 'latencySummary')).toBe(
        '2,0,0|[2,"30","10","30","30"]',
      );
    });
  });

  it('cancel is not refused by admission control', async () => {
    await withSetup({ RUNLEDGER_REDIS_MEMORY_HIGH_WATER: '0.9' }, async (s) => {
      await nearHighWater();
      const res = await post(s, '/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel', {});
      expect(res.status).toBe(404);
    });
  });
});

/** A target that holds every call until `release()`; counts calls; echoes its input. */
function gatedTarget(name: string) {
  let open!: () => void;
  let gate = new Promise<void>((r) => {
    open = r;
  });
  const state = { calls: 0 };
  const target: TargetDefinition = {
    name,
    description: 'test: waits for the gate, echoes the input',
    configSchema: z.object({}).passthrough(),
    async run(input) {
      state.calls++;
      await gate;
      return { output: input };
    },
  };
  return {
    target,
    state,
    release: () => open(),
    reset: () => {
      gate = new Promise<void>((r) => {
        open = r;
      });
    },
  };
}

/** Asserts no captured line carries a payload or an unbounded error. */
function expectCleanLogs(lines: string[]) {
  for (const line of lines) {
    expect(line).not.toContain(MARKER);
    const parsed = JSON.parse(line) as { err?: { message?: string; stack?: string } };
    if (parsed.err?.message) expect(parsed.err.message.length).toBeLessThanOrEqual(1100);
    if (parsed.err?.stack) expect(parsed.err.stack.length).toBeLessThanOrEqual(1100);
    expect(line.length).toBeLessThanOrEqual(4096);
  }
}

/**
 * A setup with a 30 s lock, its logs captured, and a worker serving a fresh `gatedTarget(name)`;
 * `close()` stops the worker and the setup.
 */
async function gatedWorker(name: string) {
  const logs = captureLogs();
  const s = setup({ WORKER_LOCK_MS: '30000' });
  const gated = gatedTarget(name);
  let worker: WorkerHandle | null = null;
  const close = async () => {
    await worker?.close(1000);
    await s.close();
  };
  try {
    worker = await startWorker({ config: s.config, logger: logs.logger, targets: [gated.target] });
  } catch (err) {
    await close();
    throw err;
  }
  return { logs, s, gated, close };
}

/**
 * Submits a run of `n` items to `gated`'s target in one chunk (one attempt, 60 s timeout), each
 * input `MARKER-i-` and 2000 × `fill`, and waits until every item is in the target; the run id.
 */
async function submitGated(
  s: Setup,
  gated: ReturnType<typeof gatedTarget>,
  n: number,
  fill: string,
): Promise<string> {
  const runId = await submitRunDirect(
    s.store,
    s.queues,
    {
      target: { name: gated.target.name },
      execution: { maxAttempts: 1, timeoutMs: 60_000 },
      dataset: {
        items: Array.from({ length: n }, (_, i) => ({
          input: `${MARKER}-${i}-${fill.repeat(2000)}`,
        })),
      },
    },
    { chunkSize: n },
  );
  await waitFor(async () => (gated.state.calls === n ? true : null), 'all items started');
  return runId;
}

describe('worker under Redis out of memory and script errors', () => {
  it('keeps its results through an OOM, logs it once without payloads, and the run ends exact', async () => {
    const { logs, s, gated, close } = await gatedWorker('gated-oom');
    try {
      const n = 20;
      const runId = await submitGated(s, gated, n, 'y');
      // every item is in flight, then Redis is full, then the target answers
      await limitMemory(-50_000);
      gated.release();
      await waitFor(
        async () => (logs.lines.some((l) => l.includes('Redis refused the results')) ? true : null),
        'the refused write logged',
      );
      // memory freed: the kept results are written, the run completes exact
      await unlimitMemory();
      const run = await waitTerminal(s.store, runId);
      expect(run.status).toBe('completed');
      await expectCountersExact(s.store, s.redis, runId, n);
      expect(gated.state.calls).toBe(n); // nothing executed twice: results were kept

      const parsed = logs.parsed();
      const refused = parsed.filter(
        (l) => l.msg === 'Redis refused the results: kept in memory, retrying with backoff',
      );
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ runId, redisKind: 'oom', results: n });
      expect((refused[0]!.err as { message: string }).message).toMatch(/^OOM command not allowed/);
      expect((refused[0]!.err as { command?: string }).command).toMatch(/^eval/);
      expect(
        parsed.filter((l) => l.msg === 'results written after Redis refused them'),
      ).toHaveLength(1);
      expect(parsed.filter((l) => l.msg === 'chunk job failed')).toHaveLength(0);
      expectCleanLogs(logs.lines);
    } finally {
      await unlimitMemory();
      await close();
    }
  });

  it('a Lua script error is logged once per chunk attempt with run, chunk and a bounded message, never the results', async () => {
    const { logs, s, gated, close } = await gatedWorker('gated-script');
    try {
      const n = 10;
      const runId = await submitGated(s, gated, n, 'z');
      // the run's results hash of the wrong type: record-results-9 fails at its first write
      // (WRONGTYPE), so nothing of the call is written
      const k = s.store.keys.run(runId);
      await s.redis.del(k.results);
      await s.redis.set(k.results, 'not a hash');
      gated.release();
      const failedLine = await waitFor(
        async () => logs.parsed().find((l) => l.msg === 'chunk job failed') ?? null,
        'the chunk failure logged',
      );
      expect(failedLine).toMatchObject({ runId, chunk: 0, redisKind: 'script' });
      expect(typeof failedLine.attempt).toBe('number');
      const err = failedLine.err as { message: string; command?: string; type: string };
      expect(err.type).toBe('ReplyError');
      expect(err.message).toMatch(/^WRONGTYPE/);
      expect(err.command).toMatch(/^eval/);
      // repaired: BullMQ's retry (1 s backoff) runs the chunk again and the run completes exact
      await s.redis.del(k.results);
      const run = await waitTerminal(s.store, runId);
      expect(run.status).toBe('completed');
      await expectCountersExact(s.store, s.redis, runId, n);
      const failures = logs.parsed().filter((l) => l.msg === 'chunk job failed');
      // once per chunk attempt, never per item
      expect(new Set(failures.map((l) => l.attempt)).size).toBe(failures.length);
      expect(
        logs
          .parsed()
          .filter(
            (l) => l.msg === 'Redis refused the results: kept in memory, retrying with backoff',
          ),
      ).toHaveLength(0);
      expectCleanLogs(logs.lines);
    } finally {
      await close();
    }
  });
});

describe('error serialization', () => {
  it('keeps the command name, drops its arguments, bounds the message and classifies', () => {
    const err = Object.assign(new Error(`ERR user_script:1: ${'e'.repeat(5000)}`), {
      name: 'ReplyError',
      command: { name: 'evalsha', args: ['sha', '9', `${MARKER}-result`] },
    });
    const out = serializeError(err) as Record<string, unknown>;
    expect(out.command).toMatch(/^eval/);
    expect(JSON.stringify(out)).not.toContain(MARKER);
    expect((out.message as string).length).toBeLessThanOrEqual(1100);
    expect(out.redisKind).toBe('script');
    expect(
      redisErrorKind(new Error("OOM command not allowed when used memory > 'maxmemory'.")),
    ).toBe('oom');
    expect(redisErrorKind(new Error("READONLY You can't write against a read only replica."))).toBe(
      'readonly',
    );
    expect(redisErrorKind(new Error('Connection is closed.'))).toBe('connection');
    expect(redisErrorKind(new Error('something else'))).toBeNull();
  });
});
