/**
 * The fault suite's harness: a private redis-server with AOF that tests SIGKILL and restart, real
 * API and worker PROCESSES (apps/api/src/main.ts, apps/worker/src/main.ts) that tests kill and
 * start, the scripted HTTP target (test/helpers/http-target.ts) that logs every attempt with the
 * pid of the worker that made it, and `accounting()`: Jepsen-style figures of a run computed from
 * Redis and the target's log (items lost, duplicated results, wrong counters, run stuck, items
 * executed twice), appended to `test-results/faults-report.json`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  createRedis,
  RunQueues,
  type RunStatus,
  RunStore,
  type StoredResult,
} from '@runledger/shared';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { waitFor } from '../helpers/context.js';
import {
  type HttpTargetServer,
  startHttpTarget,
  type TargetRequest,
} from '../helpers/http-target.js';
import {
  destroyRedisServer,
  freePort,
  type RedisServer,
  startRedisServer,
} from '../helpers/redis-server.js';
import { type RunSpecInput, submitRunDirect } from '../helpers/submit.js';
import { STARTED_AT_HEADER, WORKER_PID_HEADER } from './fixtures/headers.js';
import { type Accounting, report } from './report.js';

export { type Accounting, formatTable, REPORT_FILE, report } from './report.js';

/** Target modules the fault workers load. */
export const FAULT_TARGET_MODULES =
  'test/faults/fixtures/recording-target.ts,test/faults/fixtures/blocking-target.ts';

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned runledger process. */
export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  exited: Promise<Exit>;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** True until it exited. */
  alive(): boolean;
}

/** A worker process, with the id it registered under (heartbeat). */
export interface WorkerProc extends Proc {
  id: string;
}

/** An API process and its base URL. */
export interface ApiProc extends Proc {
  url: string;
}

/** One attempt the target saw, with the worker pid and attempt start time from the headers. */
export interface Attempt extends TargetRequest {
  pid: number;
  startedAt: number;
}

/** Options of `startCluster`. */
export interface ClusterOptions {
  /** Label of the key prefix. */
  label: string;
  /** AOF fsync policy of the private Redis. @defaultValue `everysec` */
  appendfsync?: 'always' | 'everysec';
  /** Env of every worker (on top of the harness defaults). */
  workerEnv?: Record<string, string>;
}

/** A private Redis, the scripted target and the processes a fault test starts. */
export interface Cluster {
  redis: RedisServer;
  prefix: string;
  /** A command connection of the test process (reconnects by itself). */
  client: Redis;
  store: RunStore;
  queues: RunQueues;
  target: HttpTargetServer;
  /** Every process spawned, in order. */
  procs: Proc[];
  /** Spawns a worker and resolves once its heartbeat is in Redis. */
  spawnWorker(env?: Record<string, string>): Promise<WorkerProc>;
  /** Spawns an API process on a free port and resolves once `/healthz` answers. */
  spawnApi(env?: Record<string, string>): Promise<ApiProc>;
  /** The attempts the target received for `runId`, in arrival order. */
  attempts(runId: string): Attempt[];
  /** Kills what is still running, closes connections and removes Redis's data dir. */
  close(): Promise<void>;
}

/** Submits a run of `total` `faultItems` (each `delayMs`) to the `fault-http` target through the API at `apiUrl`; returns its id. */
export async function postFaultRun(
  cluster: Cluster,
  apiUrl: string,
  total: number,
  delayMs: number,
): Promise<string> {
  const res = await sendFaultRun(cluster, apiUrl, total, delayMs);
  if (res.status !== 201) throw new Error(`POST /v1/runs: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** `POST /v1/runs` of `total` `faultItems` (each `delayMs`) to `fault-http` at `apiUrl`: the raw response, whatever its status. */
export function sendFaultRun(
  cluster: Cluster,
  apiUrl: string,
  total: number,
  delayMs: number,
): Promise<Response> {
  return fetch(`${apiUrl}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      target: { name: 'fault-http', config: { url: cluster.target.url } },
      dataset: { items: faultItems(total, delayMs) },
    }),
  });
}

/** Polls until `runId` has at least `n` results stored. */
export function waitForResults(cluster: Cluster, runId: string, n: number, timeoutMs?: number) {
  const key = cluster.store.keys.run(runId).results;
  return poll(
    async () => (await cluster.client.hlen(key)) >= n,
    `${n} results of ${runId}`,
    timeoutMs,
  );
}

/** Env every worker gets: a 2 s lock, fast heartbeats, a fast reconciler. */
export function workerDefaults(cluster: { redis: RedisServer; prefix: string }) {
  return {
    REDIS_URL: cluster.redis.url,
    RUNLEDGER_PREFIX: cluster.prefix,
    WORKER_LOCK_MS: '2000',
    WORKER_CONCURRENCY: '20',
    WORKER_HEARTBEAT_MS: '500',
    WORKER_SHUTDOWN_TIMEOUT_MS: '3000',
    RUNLEDGER_RECONCILE_INTERVAL_MS: '500',
    RUNLEDGER_RECONCILE_GRACE_MS: '3000',
    RUNLEDGER_TARGETS: FAULT_TARGET_MODULES,
    RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1', // the scripted target listens on loopback
    LOG_LEVEL: 'warn',
  };
}

/** Spawns `node --conditions=@runledger/source --import tsx <entry>` with `env`. */
export function spawnProcess(name: string, entry: string, env: Record<string, string>): Proc {
  const child = spawn(
    process.execPath,
    ['--conditions=@runledger/source', '--import', 'tsx', entry],
    { cwd: process.cwd(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const append = (d: Buffer) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exitedYet = false;
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      exitedYet = true;
      resolve({ code, signal });
    }),
  );
  return {
    name,
    child,
    pid: child.pid ?? -1,
    exited,
    output: () => output,
    alive: () => !exitedYet,
  };
}

/** Thrown by a `poll` check to stop polling at once (e.g. the process it waits for exited). */
export class FatalPollError extends Error {
  override name = 'FatalPollError';
}

/**
 * `waitFor` (test/helpers/context.ts) with a 30 s default timeout, for checks that may throw:
 * polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with `what`
 * and the last error). Errors thrown by `check` (e.g. Redis down for a moment) count as "not
 * yet", except `FatalPollError`, thrown on at once.
 */
export const poll: typeof waitFor = async (check, what, timeoutMs = 30_000, everyMs = 25) => {
  let lastError: unknown = null;
  const checkOrNull = async () => {
    try {
      return await check();
    } catch (err) {
      if (err instanceof FatalPollError) throw err;
      lastError = err;
      return null;
    }
  };
  try {
    return await waitFor(checkOrNull, what, timeoutMs, everyMs);
  } catch (err) {
    if (err instanceof FatalPollError || !lastError) throw err;
    throw new Error(`${(err as Error).message} (last error: ${String(lastError)})`);
  }
};

/** Starts a private AOF Redis, the scripted target, a store and queues on a fresh prefix. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const redis = await startRedisServer({
    appendonly: true,
    appendfsync: options.appendfsync ?? 'everysec',
  });
  const prefix = `rl-fault-${options.label}`;
  const client = createRedis(redis.url, 'command', { connectionName: 'fault-test' });
  client.on('error', () => {}); // Redis is killed on purpose: the client reconnects by itself
  return assembleCluster({
    redis,
    prefix,
    client,
    queues: new RunQueues({ redisUrl: redis.url, prefix }),
    workerEnv: options.workerEnv ?? {},
    async afterClose() {
      await redis.stop({ hard: true });
      await destroyRedisServer(redis);
    },
  });
}

/**
 * Registers the file's hooks: `beforeAll` starts a cluster with `options` and hands it to `use`
 * (assign it to the file's `let cluster`), `afterAll` runs `beforeClose` (if any) and closes it.
 */
export function clusterPerFile(
  options: ClusterOptions,
  use: (cluster: Cluster) => void | Promise<void>,
  beforeClose?: (cluster: Cluster) => Promise<void>,
): void {
  let cluster: Cluster | null = null;
  beforeAll(async () => {
    cluster = await startCluster(options);
    await use(cluster);
  });
  afterAll(async () => {
    if (cluster && beforeClose) await beforeClose(cluster);
    await cluster?.close();
  });
}

/**
 * Registers an `afterEach` that closes the cluster the test started; returns the starter
 * (`startCluster` with the same options). For files whose tests each want a fresh Redis.
 */
export function clusterPerTest(): (options: ClusterOptions) => Promise<Cluster> {
  let cluster: Cluster | null = null;
  afterEach(async () => {
    await cluster?.close();
    cluster = null;
  });
  return async (options) => {
    cluster = await startCluster(options);
    return cluster;
  };
}

/** What `assembleCluster` builds a `Cluster` on. */
export interface ClusterParts {
  /** The Redis the processes reach (`url` is what `workerDefaults` hands them). */
  redis: RedisServer;
  prefix: string;
  /** The test's command connection; `close()` disconnects it. */
  client: Redis;
  /** `close()` closes them. */
  queues: RunQueues;
  /** Env of every worker and API process, on top of the harness defaults. */
  workerEnv?: Record<string, string>;
  /** Runs last in `close()` (e.g. stops the private Redis). */
  afterClose?: () => Promise<void>;
}

/**
 * A `Cluster` on connections the caller opened (`startCluster`'s private Redis, or a Sentinel
 * group): a store on `client`, a fresh scripted target, and process spawners whose env is
 * `workerDefaults` + `parts.workerEnv` + the call's env.
 */
export async function assembleCluster(parts: ClusterParts): Promise<Cluster> {
  const { redis, prefix, client, queues } = parts;
  const store = new RunStore(client, { prefix });
  const target = await startHttpTarget();
  const procs: Proc[] = [];
  const cluster: Cluster = {
    redis,
    prefix,
    client,
    store,
    queues,
    target,
    procs,
    async spawnWorker(env = {}) {
      const proc = spawnProcess(`worker-${procs.length}`, 'apps/worker/src/main.ts', {
        ...workerDefaults(cluster),
        ...parts.workerEnv,
        ...env,
      });
      procs.push(proc);
      const info = await poll(
        async () => {
          if (!proc.alive()) throw new FatalPollError(`worker exited:\n${proc.output()}`);
          return (await store.fleet.listWorkers(60_000)).find((w) => w.pid === proc.pid);
        },
        `worker ${proc.pid} heartbeat`,
        30_000,
        50,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${proc.output()}`);
      });
      return { ...proc, id: info.id };
    },
    async spawnApi(env = {}) {
      const port = await freePort();
      const proc = spawnProcess(`api-${procs.length}`, 'apps/api/src/main.ts', {
        REDIS_URL: redis.url,
        RUNLEDGER_PREFIX: prefix,
        PORT: String(port),
        HOST: '127.0.0.1',
        WORKER_HEARTBEAT_MS: '500',
        LOG_LEVEL: 'warn',
        ...env,
      });
      procs.push(proc);
      const url = `http://127.0.0.1:${port}`;
      await poll(
        async () => {
          if (!proc.alive()) throw new FatalPollError(`api exited:\n${proc.output()}`);
          return (await fetch(`${url}/healthz`)).ok;
        },
        `api ${proc.pid} /healthz`,
        30_000,
        50,
      );
      return { ...proc, url };
    },
    attempts(runId) {
      return target.requests
        .filter((r) => r.runId === runId)
        .map((r) => ({
          ...r,
          pid: Number(r.headers[WORKER_PID_HEADER]),
          startedAt: Number(r.headers[STARTED_AT_HEADER]),
        }));
    },
    async close() {
      for (const p of procs) if (p.alive()) p.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      await queues.close().catch(() => {});
      client.disconnect();
      await target.close();
      await parts.afterClose?.();
    },
  };
  return cluster;
}

/** Sends SIGKILL to `proc` and waits for it to exit. */
export async function kill(proc: Proc, signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
  proc.child.kill(signal);
  return proc.exited;
}

/** The run's status, or null (also while Redis does not answer). */
export async function statusOf(cluster: Cluster, runId: string): Promise<RunStatus | null> {
  return cluster.store.runs.getRunStatus(runId).catch(() => null);
}

/**
 * Waits until the run is terminal; returns its status (the run is "stuck" when this throws, with
 * the run's status and counters in the message).
 */
export async function waitTerminal(
  cluster: Cluster,
  runId: string,
  timeoutMs = 60_000,
): Promise<RunStatus> {
  try {
    return await poll(
      async () => {
        const status = await statusOf(cluster, runId);
        return status && status !== 'queued' && status !== 'running' ? status : null;
      },
      `run ${runId} terminal`,
      timeoutMs,
      50,
    );
  } catch (err) {
    const run = await cluster.store.runs.getRun(runId).catch(() => null);
    const where = run
      ? `${run.status}, ${run.succeededCount} succeeded + ${run.failedCount} failed + ${run.cancelledCount} cancelled of ${run.totalItems}`
      : 'not found';
    throw new Error(`${(err as Error).message}; the run: ${where}`);
  }
}

/** Results of a run by item index (raw stored results). */
export async function storedResults(
  cluster: Cluster,
  runId: string,
): Promise<Map<number, StoredResult>> {
  const raw = await cluster.client.hgetall(cluster.store.keys.run(runId).results);
  const { codec } = cluster.store;
  return new Map(Object.entries(raw).map(([i, json]) => [Number(i), codec.decodeResult(json)]));
}

/** Computes the accounting of `runId` from Redis and the target's log. */
export async function accounting(
  cluster: Cluster,
  runId: string,
  fault: string,
  extra: { recoveryMs?: number | null; notes?: string } = {},
): Promise<Accounting> {
  const run = await cluster.store.runs.getRun(runId);
  const total = run?.totalItems ?? 0;
  const results = await storedResults(cluster, runId);
  const [succeeded, failed, cancelled] = await Promise.all(
    (['succeeded', 'failed', 'cancelled'] as const).map(async (status) =>
      (await cluster.store.results.listResultIndexes(runId, status, 0, total + 1)).map(String),
    ),
  );
  const indexed = { succeeded: succeeded!, failed: failed!, cancelled: cancelled! };
  let lost = 0;
  for (let i = 0; i < total; i++) if (!results.has(i)) lost++;
  const membership = new Map<string, number>();
  let duplicatedResults = [...results.keys()].filter((i) => i < 0 || i >= total).length;
  let wrongCounters = 0;
  for (const [status, members] of Object.entries(indexed)) {
    const withStatus = [...results.values()].filter((r) => r.status === status).length;
    const counter = run
      ? { succeeded: run.succeededCount, failed: run.failedCount, cancelled: run.cancelledCount }[
          status as 'succeeded' | 'failed' | 'cancelled'
        ]
      : 0;
    wrongCounters += Math.abs(counter - withStatus) + Math.abs(members.length - withStatus);
    for (const m of members) {
      membership.set(m, (membership.get(m) ?? 0) + 1);
      if (results.get(Number(m))?.status !== status) wrongCounters++;
    }
  }
  for (const n of membership.values()) if (n > 1) duplicatedResults += n - 1;
  const attempts = cluster.attempts(runId);
  const seen = new Map<number, number>();
  for (const a of attempts) seen.set(a.itemIndex, (seen.get(a.itemIndex) ?? 0) + 1);
  const row: Accounting = {
    fault,
    runId,
    status: run?.status ?? null,
    totalItems: total,
    results: results.size,
    lost,
    duplicatedResults,
    wrongCounters,
    stuck: !run || run.status === 'queued' || run.status === 'running',
    executions: attempts.length,
    executedTwice: [...seen.values()].filter((n) => n > 1).length,
    recoveryMs: extra.recoveryMs ?? null,
    notes: extra.notes ?? '',
  };
  report(row);
  return row;
}

/** Asserts that the run counts `total` succeeded items and none failed or cancelled (and `extra`). */
export async function expectAllSucceeded(
  cluster: Cluster,
  runId: string,
  total: number,
  extra: Record<string, unknown> = {},
): Promise<void> {
  expect(await cluster.store.runs.getRun(runId)).toMatchObject({
    ...extra,
    succeededCount: total,
    failedCount: 0,
    cancelledCount: 0,
  });
}

/**
 * Asserts what invariants 1 and 2 promise of an accounting `row`: `total` items, each with
 * exactly one result (none lost, none duplicated), counters and status indexes agreeing with
 * the results, the run not stuck; and `extra`'s fields (e.g. its status).
 */
export function expectIntact(
  row: Accounting,
  total: number,
  extra: Partial<Accounting> = {},
): void {
  expect(row).toMatchObject({
    ...extra,
    totalItems: total,
    results: total,
    lost: 0,
    duplicatedResults: 0,
    wrongCounters: 0,
    stuck: false,
  });
}

/** Chunk jobs the workers' reconcilers enqueued again, from their logs (`chunk jobs lost` lines). */
export function reenqueuedChunks(cluster: Cluster): number {
  let n = 0;
  for (const p of cluster.procs) {
    for (const line of p.output().split('\n')) {
      if (!line.includes('chunk jobs lost: enqueued again')) continue;
      try {
        n += Number((JSON.parse(line) as { chunks?: number }).chunks ?? 0);
      } catch {
        // not a JSON log line
      }
    }
  }
  return n;
}

/**
 * Items of a run for the scripted target: `{ i, delayMs }` (the target waits `delayMs` before
 * answering), optionally more fields from `extra(i)`.
 */
export function faultItems(
  n: number,
  delayMs: number,
  extra: (i: number) => Record<string, unknown> = () => ({}),
) {
  return Array.from({ length: n }, (_, i) => ({ input: { i, delayMs, ...extra(i) } }));
}

/**
 * Submits `total` `faultItems` (each answered after `delayMs`) to the scripted target
 * (`fault-http` at `cluster.target.url`) straight through the store and queues
 * (`submitRunDirect`); `spec` on top (execution, or another target). Returns the run id.
 */
export function submitFaultRun(
  cluster: Cluster,
  total: number,
  delayMs: number,
  spec: Partial<RunSpecInput> = {},
): Promise<string> {
  return submitRunDirect(cluster.store, cluster.queues, {
    target: { name: 'fault-http', config: { url: cluster.target.url } },
    dataset: { items: faultItems(total, delayMs) },
    ...spec,
  });
}

/** What a worker held when it was killed or cut off (`heldChunks`). */
export interface HeldChunks {
  /** The run's results stored at that moment, by item index. */
  done: Map<number, StoredResult>;
  /** The run's chunk size (items per chunk job). */
  chunkSize: number;
  /** The chunks of the items the worker had requested from the target and with no result. */
  chunks: Set<number>;
}

/** The chunks of `runId` that the worker process `pid` holds now (see `HeldChunks`). */
export async function heldChunks(
  cluster: Cluster,
  runId: string,
  pid: number,
): Promise<HeldChunks> {
  const chunkSize = Number(
    await cluster.client.hget(cluster.store.keys.run(runId).run, 'chunkSize'),
  );
  const done = await storedResults(cluster, runId);
  const chunks = new Set(
    cluster
      .attempts(runId)
      .filter((a) => a.pid === pid && !done.has(a.itemIndex))
      .map((a) => Math.floor(a.itemIndex / chunkSize)),
  );
  return { done, chunkSize, chunks };
}

/**
 * Polls (up to `timeoutMs`, every 50 ms) until a result stored after `held` was taken, on one
 * of its chunks, satisfies `by` (e.g. "written by another worker"); its `completedAt` (ms
 * since epoch). Throws on timeout with `what`.
 */
export function firstResultOnHeld(
  cluster: Cluster,
  runId: string,
  held: HeldChunks,
  by: (result: StoredResult) => boolean,
  what: string,
  timeoutMs: number,
): Promise<number> {
  return poll(
    async () => {
      let first = Number.POSITIVE_INFINITY;
      for (const [index, result] of await storedResults(cluster, runId)) {
        if (held.done.has(index) || !held.chunks.has(Math.floor(index / held.chunkSize))) continue;
        if (by(result)) first = Math.min(first, result.completedAt ?? first);
      }
      return Number.isFinite(first) ? first : null;
    },
    what,
    timeoutMs,
    50,
  );
}

/** Every result page of a run through the API (`GET /v1/runs/:id/results`), as item indexes. */
export async function apiResultIndexes(apiUrl: string, runId: string): Promise<Set<number>> {
  const out = new Set<number>();
  let cursor: string | null = null;
  do {
    const qs: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const res = await fetch(`${apiUrl}/v1/runs/${runId}/results?limit=1000${qs}`);
    if (!res.ok) throw new Error(`GET results: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as {
      results: { itemIndex: number }[];
      nextCursor: string | null;
    };
    for (const r of page.results) out.add(r.itemIndex);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}
