/**
 * Worker PROCESSES (apps/worker/src/main.ts) against a real Redis: three share a run, one is
 * killed with SIGKILL mid-run; its stalled chunks are picked up by the others and every item
 * still has exactly one result. The survivors stop gracefully on SIGTERM (exit 0).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { decodeStoredResult, type RunQueues, type RunStore } from '@runledger/shared';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestQueues, redisUrl, waitFor } from './helpers/context.js';
import { expectCountersExact } from './helpers/run-checks.js';
import { submitRunDirect } from './helpers/submit.js';

let ctx: ReturnType<typeof createTestQueues>;
let store: RunStore;
let redis: Redis;
let queues: RunQueues;
const children: ChildProcess[] = [];
/** How long three worker processes may take to start and send a heartbeat, ms. */
const STARTUP_MS = 90_000;

interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

function spawnWorker(env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@runledger/source', '--import', 'tsx', 'apps/worker/src/main.ts'],
    {
      cwd: process.cwd(),
      env: {
        ...process.env,
        REDIS_URL: redisUrl(),
        RUNLEDGER_PREFIX: ctx.prefix,
        WORKER_LOCK_MS: '1000',
        WORKER_CONCURRENCY: '4',
        WORKER_HEARTBEAT_MS: '200',
        RUNLEDGER_TARGETS: '',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => output };
}

beforeAll(() => {
  ctx = createTestQueues('worker-proc');
  ({ store, redis, queues } = ctx);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await ctx.close();
});

describe('worker processes', () => {
  it('exits 1 with the offending variable on invalid config', async () => {
    const w = spawnWorker({ WORKER_CONCURRENCY: '0' });
    expect(await w.exited).toEqual({ code: 1, signal: null });
    expect(w.output()).toContain('WORKER_CONCURRENCY');
  });

  it('three processes, one SIGKILLed mid-run: exactly one result per item, run completed', {
    timeout: STARTUP_MS + 60_000,
  }, async () => {
    const workers = [spawnWorker(), spawnWorker(), spawnWorker()];
    const pids = workers.map((w) => w.child.pid!);
    // three tsx processes compiling at once take long on a busy 2-core machine: startup is not
    // what this test measures, so it waits for the heartbeats as long as the processes live
    const live = await waitFor(
      async () => {
        const exited = workers.find(
          (w) => w.child.exitCode !== null || w.child.signalCode !== null,
        );
        if (exited)
          throw new Error(`a worker exited before its first heartbeat: ${exited.output()}`);
        const list = await store.fleet.listWorkers(10_000);
        return list.length === 3 ? list : null;
      },
      'three worker heartbeats',
      STARTUP_MS,
    );
    const idOf = (pid: number) => live.find((w) => w.pid === pid)!.id;
    const victim = workers[2]!;
    const victimId = idOf(pids[2]!);

    const total = 300;
    const runId = await submitRunDirect(
      store,
      queues,
      {
        target: { name: 'echo', config: { delayMs: 40 } },
        dataset: { items: Array.from({ length: total }, (_, i) => ({ input: { i } })) },
      },
      { chunkSize: 10 },
    );
    const k = store.keys.run(runId);

    // kill the victim once it has recorded results and still holds chunks
    await waitFor(async () => {
      const results = await redis.hvals(k.results);
      return results.filter((r) => r.includes(victimId)).length >= 5;
    }, 'victim recording results');
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const doneAtKill = await redis.hlen(k.results);
    expect(doneAtKill).toBeLessThan(total);

    await waitFor(
      async () => (await store.runs.getRunStatus(runId)) === 'completed',
      'run completed',
      30_000,
    );
    // total results, counters summing to it, each status set as large as its counter
    const run = await expectCountersExact(store, redis, runId, total);
    expect(run).toMatchObject({
      status: 'completed',
      succeededCount: total,
      failedCount: 0,
      cancelledCount: 0,
      progress: 1,
    });
    const ids = new Set(pids.map(idOf));
    const byIndex = Object.entries(await redis.hgetall(k.results)).map(([index, json]) => ({
      index: Number(index),
      ...(decodeStoredResult(json) as { status: string; workerId: string }),
    }));
    expect(byIndex.every((r) => r.status === 'succeeded' && ids.has(r.workerId))).toBe(true);
    // a chunk the victim held when killed stalled and was finished by a survivor: some chunk
    // (10 items, one job) has results of both
    const survivors = new Set([idOf(pids[0]!), idOf(pids[1]!)]);
    const chunkWorkers = new Map<number, Set<string>>();
    for (const r of byIndex) {
      const chunk = Math.floor(r.index / 10);
      chunkWorkers.set(chunk, (chunkWorkers.get(chunk) ?? new Set()).add(r.workerId));
    }
    const resumed = [...chunkWorkers.values()].filter(
      (w) => w.has(victimId) && [...w].some((id) => survivors.has(id)),
    );
    expect(resumed.length).toBeGreaterThan(0);

    // graceful stop
    for (const w of workers.slice(0, 2)) w.child.kill('SIGTERM');
    for (const w of workers.slice(0, 2)) {
      const exit = await w.exited;
      expect(exit, w.output()).toEqual({ code: 0, signal: null });
    }
    const remaining = (await redis.hkeys(store.keys.workers)).filter((id) => survivors.has(id));
    expect(remaining).toEqual([]);
  });
});
