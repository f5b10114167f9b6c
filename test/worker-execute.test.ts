import {
  createLogger,
  type Execution,
  lazyChildLogger,
  NonRetryableError,
  RetryableError,
  type TargetContext,
  type TargetDefinition,
  TargetError,
  z,
} from '@runledger/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlots } from '../apps/worker/src/concurrency.js';
import {
  anySignal,
  backoffDelay,
  classifyFailure,
  createHttpTarget,
  type ExecuteItemOptions,
  executeItem,
  MAX_BACKOFF_MS,
  Semaphore,
} from '../apps/worker/src/index.js';
import { metricIncrements } from '../apps/worker/src/result-writer.js';
import { type HttpTargetServer, startHttpTarget } from './helpers/http-target.js';

/** The `http` target allowed to call the scripted target on loopback. */
const httpTarget = createHttpTarget({ allow: '127.0.0.1' });

const logger = createLogger({ level: 'silent' });

describe('backoffDelay (equal jitter)', () => {
  it('fixed: always within [delayMs/2, delayMs]', () => {
    const b = { type: 'fixed', delayMs: 1000 } as const;
    expect(backoffDelay(b, 1, () => 0)).toBe(500);
    expect(backoffDelay(b, 5, () => 0)).toBe(500);
    expect(backoffDelay(b, 3, () => 0.999999)).toBe(1000);
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelay(b, 1 + (i % 6));
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });

  it('exponential: attempt n waits within [base/2, base] with base = delayMs * 2^(n-1)', () => {
    const b = { type: 'exponential', delayMs: 100 } as const;
    for (let n = 1; n <= 8; n++) {
      const base = 100 * 2 ** (n - 1);
      expect(backoffDelay(b, n, () => 0)).toBe(base / 2);
      expect(backoffDelay(b, n, () => 0.999999)).toBe(base);
      expect(backoffDelay(b, n, () => 0.5)).toBe(base * 0.75);
      for (let i = 0; i < 200; i++) {
        const d = backoffDelay(b, n);
        expect(d).toBeGreaterThanOrEqual(base / 2);
        expect(d).toBeLessThanOrEqual(base);
      }
    }
  });

  it('is capped at MAX_BACKOFF_MS and is 0 for delayMs 0', () => {
    expect(backoffDelay({ type: 'exponential', delayMs: 600_000 }, 20, () => 0.999999)).toBe(
      MAX_BACKOFF_MS,
    );
    expect(backoffDelay({ type: 'exponential', delayMs: 0 }, 3)).toBe(0);
  });
});

describe('Semaphore', () => {
  it('grants in FIFO order, takes free slots greedily, and drops aborted waiters', async () => {
    const sem = new Semaphore(2);
    expect(sem.tryAcquire(5)).toBe(2);
    expect(sem.available).toBe(0);
    const order: string[] = [];
    const a = sem.acquire().then(() => order.push('a'));
    const ac = new AbortController();
    const b = sem.acquire(ac.signal).then(
      () => order.push('b'),
      () => order.push('b-aborted'),
    );
    const c = sem.acquire().then(() => order.push('c'));
    expect(sem.tryAcquire(1)).toBe(0);
    ac.abort(new Error('stop'));
    await b;
    sem.release();
    sem.release();
    await Promise.all([a, c]);
    expect(order).toEqual(['b-aborted', 'a', 'c']);
    expect(sem.inUse).toBe(2);
    sem.release(2);
    expect(sem.available).toBe(2);
  });
});

describe('lazyChildLogger', () => {
  /** An `info` logger whose lines are collected (parsed) and whose `child` calls are counted. */
  function countingLogger() {
    const lines: Record<string, unknown>[] = [];
    const parent = createLogger({
      level: 'info',
      destination: { write: (line: string) => lines.push(JSON.parse(line)) },
    });
    let made = 0;
    const makeChild = parent.child;
    parent.child = function (this: typeof parent, ...args: Parameters<typeof makeChild>) {
      made++;
      return makeChild.apply(this, args);
    } as typeof makeChild;
    return { parent, lines, children: () => made };
  }

  it('makes the pino child on first use, logs with its bindings, and forwards child and level', () => {
    const { parent, lines, children } = countingLogger();
    // a call below the level makes no child
    lazyChildLogger(parent, { itemId: 'z', itemIndex: 9 }).debug('not written');
    expect(children()).toBe(0);
    const lazy = lazyChildLogger(parent, { itemId: 'a', itemIndex: 3 });
    expect(children()).toBe(0);
    expect(lazy.level).toBe('info');
    expect(lazy.isLevelEnabled('debug')).toBe(false);
    lazy.debug('not written');
    lazy.info({ step: 1 }, 'first');
    lazy.warn('second');
    // one pino child for every line of the item
    expect(children()).toBe(1);
    lazy.child({ sub: true }).error('third');
    expect(children()).toBe(2);
    expect(lines.map((l) => [l.msg, l.itemId, l.itemIndex, l.step, l.sub])).toEqual([
      ['first', 'a', 3, 1, undefined],
      ['second', 'a', 3, undefined, undefined],
      ['third', 'a', 3, undefined, true],
    ]);
  });

  it('a lazy child of a lazy child logs both bindings through one pino child of the root', () => {
    const { parent, lines, children } = countingLogger();
    // a worker's shape: one lazy logger per chunk, one per item under it
    const chunkA = lazyChildLogger(parent, { runId: 'r', chunk: 0 });
    const chunkB = lazyChildLogger(parent, { runId: 'r', chunk: 1 });
    const itemA = lazyChildLogger(chunkA, { itemId: 'a', itemIndex: 0 });
    const itemB = lazyChildLogger(chunkB, { itemId: 'b', itemIndex: 7 });
    // the items of every chunk share one prototype (one per root logger)
    expect(Object.getPrototypeOf(itemA)).toBe(Object.getPrototypeOf(itemB));
    expect(Object.getPrototypeOf(itemA)).toBe(Object.getPrototypeOf(chunkA));
    itemA.debug('not written');
    expect(children()).toBe(0);
    itemB.warn('item line');
    chunkA.error('chunk line');
    expect(children()).toBe(2);
    // a lazy child of a chunk logger that has logged is made under that one's real child (it
    // does not take it for its own)
    lazyChildLogger(chunkA, { itemId: 'c', itemIndex: 1 }).info('after');
    expect(children()).toBe(3);
    expect(lines.map((l) => [l.msg, l.runId, l.chunk, l.itemId, l.itemIndex])).toEqual([
      ['item line', 'r', 1, 'b', 7],
      ['chunk line', 'r', 0, undefined, undefined],
      ['after', 'r', 0, 'c', 1],
    ]);
  });
});

describe('classifyFailure', () => {
  const idle = () => new AbortController().signal;
  const aborted = () => AbortSignal.abort();
  const base = { run: idle(), shutdown: idle(), timedOut: false, timeoutMs: 100 };
  it('maps errors and signals to outcomes', () => {
    expect(classifyFailure(new NonRetryableError('bad', 'http_error', 400), base)).toEqual({
      kind: 'final',
      error: { message: 'bad', type: 'http_error', status: 400 },
    });
    expect(classifyFailure(new RetryableError('busy', 'http_error', 503), base)).toEqual({
      kind: 'retryable',
      error: { message: 'busy', type: 'http_error', status: 503 },
    });
    // a TargetError of the base class keeps its type and status, and is retried
    expect(classifyFailure(new TargetError('teapot', 'custom_error', 418), base)).toEqual({
      kind: 'retryable',
      error: { message: 'teapot', type: 'custom_error', status: 418 },
    });
    expect(classifyFailure(new Error('boom'), base)).toEqual({
      kind: 'retryable',
      error: { message: 'boom', type: 'target_error' },
    });
    expect(classifyFailure('a string', base)).toEqual({
      kind: 'retryable',
      error: { message: 'a string', type: 'target_error' },
    });
    expect(classifyFailure(new Error('x'), { ...base, timedOut: true })).toEqual({
      kind: 'retryable',
      error: { message: 'attempt timed out after 100 ms', type: 'timeout' },
    });
    expect(classifyFailure(new Error('x'), { ...base, run: aborted(), timedOut: true })).toEqual({
      kind: 'cancelled',
    });
    expect(classifyFailure(new Error('x'), { ...base, shutdown: aborted() })).toEqual({
      kind: 'shutdown',
    });
  });
});

describe('anySignal', () => {
  it('fires on timeout with a TimeoutError and on any source, and disposes cleanly', async () => {
    const t = anySignal([new AbortController().signal], 30);
    await new Promise<void>((r) => t.signal.addEventListener('abort', () => r()));
    expect(t.timedOut()).toBe(true);
    expect((t.signal.reason as DOMException).name).toBe('TimeoutError');

    const source = new AbortController();
    const s = anySignal([source.signal], 10_000);
    source.abort(new Error('cancelled'));
    expect(s.signal.aborted).toBe(true);
    expect(s.timedOut()).toBe(false);
    expect((s.signal.reason as Error).message).toBe('cancelled');

    const d = anySignal([source.signal], 20);
    d.dispose();
    expect(d.signal.aborted).toBe(true); // source was aborted already
  });
});

// ------------------------------------------------------------------ executeItem

interface Harness {
  options: ExecuteItemOptions;
  sem: Semaphore;
  run: AbortController;
  stop: AbortController;
  shutdown: AbortController;
  attempts: { attempt: number; at: number; signal: AbortSignal }[];
  retries: number[];
}

function harness(
  run: (input: unknown, ctx: TargetContext) => Promise<{ output: unknown }>,
  execution: Partial<Execution> = {},
  overrides: Partial<ExecuteItemOptions> = {},
): Harness {
  const attempts: Harness['attempts'] = [];
  const target: TargetDefinition = {
    name: 'scripted',
    description: 'test',
    configSchema: z.object({}).strict(),
    run: (input, ctx) => {
      attempts.push({ attempt: ctx.attempt, at: performance.now(), signal: ctx.signal });
      return run(input, ctx);
    },
  };
  const sem = new Semaphore(1);
  const runC = new AbortController();
  const stop = new AbortController();
  const shutdown = new AbortController();
  const retries: number[] = [];
  return {
    sem,
    run: runC,
    stop,
    shutdown,
    attempts,
    retries,
    options: {
      target,
      runId: 'r1',
      index: 3,
      item: { id: 'item-3', input: { q: 1 } },
      config: {},
      execution: {
        maxAttempts: 3,
        backoff: { type: 'fixed', delayMs: 40 },
        timeoutMs: 5000,
        ...execution,
      },
      logger,
      runSignal: runC.signal,
      stopSignal: stop.signal,
      shutdownSignal: shutdown.signal,
      slots: createSlots(sem, null),
      isCancelled: () => false,
      leaseHolds: () => true,
      reclaim: async (attempt) => {
        retries.push(attempt);
        return true;
      },
      ...overrides,
    },
  };
}

/** Calls executeItem holding a slot, as the chunk processor does. */
async function execute(h: Harness) {
  await h.sem.acquire();
  const outcome = await executeItem(h.options);
  expect(h.sem.available).toBe(1); // the slot is always given back
  return outcome;
}

/** Asserts `outcome` is a `failed` result after `attempts` attempts, its error matching `error`. */
function expectFailed(
  outcome: Awaited<ReturnType<typeof execute>>,
  attempts: number,
  error: Record<string, unknown>,
) {
  expect(outcome).toMatchObject({ kind: 'result', result: { status: 'failed', attempts, error } });
}

describe('executeItem', () => {
  it('succeeds on the first attempt with timing fields, usage and cost', async () => {
    const h = harness(async (input) => ({
      output: { echoed: input },
      usage: { inputTokens: 3, outputTokens: 4, model: 'm' },
      costUsd: 0.002,
    }));
    const before = Date.now();
    const outcome = await execute(h);
    expect(outcome.kind).toBe('result');
    if (outcome.kind !== 'result') return;
    const r = outcome.result;
    expect(r).toMatchObject({
      status: 'succeeded',
      output: { echoed: { q: 1 } },
      attempts: 1,
      usage: { inputTokens: 3, outputTokens: 4 },
      costUsd: 0.002,
    });
    expect(r.usage).toEqual({ inputTokens: 3, outputTokens: 4, model: 'm' });
    expect(r.error).toBeUndefined();
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Math.round(r.latencyMs! * 100) / 100).toBe(r.latencyMs);
    expect(r.startedAt).toBeGreaterThanOrEqual(before);
    expect(r.completedAt).toBeGreaterThanOrEqual(r.startedAt!);
    expect(h.retries).toEqual([]);
  });

  it('retries retryable errors with backoff, re-gating each retry, holding no slot while waiting', async () => {
    let slotFreeDuringBackoff = false;
    const h = harness(async (_input, ctx) => {
      if (ctx.attempt < 3) {
        setTimeout(() => {
          slotFreeDuringBackoff ||= h.sem.available === 1;
        }, 10);
        throw new RetryableError('busy', 'http_error', 503);
      }
      return { output: 'ok' };
    });
    const outcome = await execute(h);
    expect(outcome).toMatchObject({
      kind: 'result',
      result: { status: 'succeeded', attempts: 3, output: 'ok' },
    });
    expect(h.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(h.retries).toEqual([2, 3]);
    // fixed 40 ms with equal jitter: each wait is at least 20 ms
    expect(h.attempts[1]!.at - h.attempts[0]!.at).toBeGreaterThanOrEqual(19);
    expect(h.attempts[2]!.at - h.attempts[1]!.at).toBeGreaterThanOrEqual(19);
    expect(slotFreeDuringBackoff).toBe(true);
  });

  it('fails at once on NonRetryableError', async () => {
    const h = harness(async () => {
      throw new NonRetryableError('HTTP 400: nope', 'http_error', 400);
    });
    const outcome = await execute(h);
    expectFailed(outcome, 1, { message: 'HTTP 400: nope', type: 'http_error', status: 400 });
    expect(h.attempts).toHaveLength(1);
  });

  it('fails with the last error after maxAttempts; sync throws count as target errors', async () => {
    const h = harness(
      (_input, ctx) => {
        throw new Error(`failure ${ctx.attempt}`);
      },
      { maxAttempts: 2, backoff: { type: 'exponential', delayMs: 2 } },
    );
    const outcome = await execute(h);
    expectFailed(outcome, 2, { message: 'failure 2', type: 'target_error' });
    if (outcome.kind === 'result') expect(outcome.result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('times out a target that ignores its signal: the signal fires, error type timeout', async () => {
    const h = harness(() => new Promise(() => {}), {
      maxAttempts: 2,
      timeoutMs: 50,
      backoff: { type: 'fixed', delayMs: 0 },
    });
    const t0 = performance.now();
    const outcome = await execute(h);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expectFailed(outcome, 2, { message: 'attempt timed out after 50 ms', type: 'timeout' });
    expect(h.attempts.map((a) => a.signal.aborted)).toEqual([true, true]);
    expect((h.attempts[0]!.signal.reason as DOMException).name).toBe('TimeoutError');
    if (outcome.kind === 'result') expect(outcome.result.latencyMs).toBeGreaterThanOrEqual(49);
  });

  it('run cancel aborts the attempt in flight: result cancelled', async () => {
    const h = harness(() => new Promise(() => {}));
    setTimeout(() => h.run.abort(new Error('cancelled')), 30);
    const outcome = await execute(h);
    expect(outcome).toMatchObject({
      kind: 'result',
      result: { status: 'cancelled', attempts: 1, error: { type: 'cancelled' } },
    });
    expect(h.attempts[0]!.signal.aborted).toBe(true);
  });

  it('a target that copies its context ({ ...ctx }) keeps every field and a live signal', async () => {
    let copy: TargetContext | undefined;
    const h = harness((_input, ctx) => {
      copy = { ...ctx };
      return new Promise(() => {});
    });
    setTimeout(() => h.run.abort(new Error('cancelled')), 30);
    const outcome = await execute(h);
    expect(outcome).toMatchObject({ kind: 'result', result: { status: 'cancelled' } });
    expect(copy).toMatchObject({ attempt: 1, runId: 'r1', itemIndex: 3, config: {} });
    expect(copy?.signal).toBe(h.attempts[0]!.signal);
    expect(copy?.signal.aborted).toBe(true);
  });

  it('a cancel seen before an attempt starts runs nothing', async () => {
    const h = harness(async () => ({ output: 1 }), {}, { isCancelled: () => true });
    const outcome = await execute(h);
    expect(outcome).toMatchObject({ kind: 'result', result: { status: 'cancelled', attempts: 0 } });
    expect(h.attempts).toHaveLength(0);
  });

  it('the shutdown deadline aborts the attempt in flight: handed back, no result', async () => {
    const h = harness(() => new Promise(() => {}));
    setTimeout(() => h.shutdown.abort(new Error('shutdown')), 30);
    expect(await execute(h)).toEqual({ kind: 'handback' });
    expect(h.attempts[0]!.signal.aborted).toBe(true);
  });

  it('shutdown during a backoff wait hands the item back without another attempt', async () => {
    const h = harness(
      async () => {
        throw new Error('flaky');
      },
      { backoff: { type: 'fixed', delayMs: 10_000 } },
    );
    setTimeout(() => h.stop.abort(new Error('closing')), 30);
    expect(await execute(h)).toEqual({ kind: 'handback' });
    expect(h.attempts).toHaveLength(1);
  });

  it('stops when the retry gate says no (another result exists or the run ended)', async () => {
    const h = harness(
      async () => {
        throw new Error('flaky');
      },
      { backoff: { type: 'fixed', delayMs: 0 } },
      { reclaim: async () => false },
    );
    expect(await execute(h)).toEqual({ kind: 'gone' });
    expect(h.attempts).toHaveLength(1);
  });

  it('claims again before an attempt whose lease ran out; starts it only when the claim says yes', async () => {
    let leaseValid = false;
    const reclaims: number[] = [];
    const h = harness(
      async () => ({ output: 'ok' }),
      {},
      {
        leaseHolds: () => leaseValid,
        reclaim: async (attempt) => {
          reclaims.push(attempt);
          leaseValid = true; // the claim renewed the lease
          return true;
        },
      },
    );
    const outcome = await execute(h);
    expect(outcome.kind).toBe('result');
    expect(reclaims).toEqual([1]);
    expect(h.attempts).toHaveLength(1);

    const refused = harness(
      async () => ({ output: 'ok' }),
      {},
      {
        leaseHolds: () => false,
        reclaim: async () => false,
      },
    );
    expect(await execute(refused)).toEqual({ kind: 'gone' });
    expect(refused.attempts).toHaveLength(0);
  });
});

describe('http target', () => {
  let server: HttpTargetServer;
  beforeAll(async () => {
    server = await startHttpTarget();
  });
  afterAll(async () => {
    await server.close();
  });
  const ctx = (config: Record<string, unknown>, attempt = 1): TargetContext => ({
    signal: new AbortController().signal,
    attempt,
    config,
    runId: 'run-h',
    itemId: 'a',
    itemIndex: 7,
    logger,
  });

  it('POSTs the item and returns the JSON body, or the value at outputPath, with usage', async () => {
    const out = await httpTarget.run(
      { text: 'hi' },
      ctx({ url: server.url, headers: { 'x-key': 's3' } }),
    );
    expect(out).toEqual({
      output: {
        echo: { text: 'hi' },
        usage: { prompt_tokens: 3, completion_tokens: 5 },
        model: 'test-model',
      },
      usage: { inputTokens: 3, outputTokens: 5, model: 'test-model' },
    });
    const req = server.requests.at(-1)!;
    expect(req).toMatchObject({
      runId: 'run-h',
      itemId: 'a',
      itemIndex: 7,
      attempt: 1,
      input: { text: 'hi' },
    });
    expect(req.headers['x-key']).toBe('s3');
    const picked = await httpTarget.run(
      { text: 'hi' },
      ctx({ url: server.url, outputPath: 'echo.text', usagePath: 'usage' }),
    );
    expect(picked.output).toBe('hi');
  });

  it('classifies statuses: 503/429/408 retryable, other 4xx final with status and body', async () => {
    for (const status of [503, 429, 408, 500]) {
      const err = await httpTarget
        .run({ fail: status }, ctx({ url: server.url }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RetryableError);
      expect(err).toMatchObject({ type: 'http_error', status });
    }
    const err = await httpTarget
      .run({ fail: 400 }, ctx({ url: server.url }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err).toMatchObject({ type: 'http_error', status: 400 });
    expect((err as Error).message).toContain('HTTP 400');
    expect((err as Error).message).toContain('scripted 400');
  });

  it('rejects bad config as invalid_config and a missing outputPath as invalid_output', async () => {
    const bad = await httpTarget.run({}, ctx({ url: 'not a url' })).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(NonRetryableError);
    expect(bad).toMatchObject({ type: 'invalid_config' });
    expect((bad as Error).message).toContain('config.url');
    const missing = await httpTarget
      .run({}, ctx({ url: server.url, outputPath: 'choices.0.message.content' }))
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ type: 'invalid_output' });
  });

  it('network errors are retryable', async () => {
    const err = await httpTarget
      .run({}, ctx({ url: 'http://127.0.0.1:1/' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err).toMatchObject({ type: 'network_error' });
  });
});

describe('metricIncrements', () => {
  it('counts results by status and latency bucket (non-cumulative, inf past the last)', () => {
    const r = (status: 'succeeded' | 'failed' | 'cancelled', latencyMs?: number) =>
      latencyMs === undefined ? { status, attempts: 1 } : { status, attempts: 1, latencyMs };
    expect(
      metricIncrements(
        [
          r('succeeded', 5),
          r('succeeded', 5.01),
          r('failed', 0.25),
          r('cancelled'),
          r('succeeded', 70_000),
        ],
        true,
      ),
    ).toEqual({
      'items_total:succeeded': 3,
      'items_total:failed': 1,
      'items_total:cancelled': 1,
      item_latency_ms_sum: 70_010.26,
      item_latency_ms_count: 4,
      'item_latency_ms_bucket:5': 2,
      'item_latency_ms_bucket:10': 1,
      'item_latency_ms_bucket:inf': 1,
      'runs_finished:completed': 1,
    });
    expect(metricIncrements([r('cancelled')], false)).toEqual({ 'items_total:cancelled': 1 });
  });
});
