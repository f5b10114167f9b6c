/**
 * The worker's result writer against a real (private) Redis: what a batch keeps while Redis has
 * not answered its write. Writes are held back with `CLIENT PAUSE ... WRITE` (a server of this
 * file's own: pausing it stops no other test).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createLogger, createRedis, RunStore, type StoredResult } from '@runledger/shared';
import { ResultWriter } from '@runledger/worker';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyRedisServer, type RedisServer, startRedisServer } from './helpers/redis-server.js';
import { commitTestRun } from './helpers/submit.js';

let server: RedisServer;
let redis: Redis;
let admin: Redis;
let store: RunStore;

beforeAll(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url);
  admin = createRedis(server.url, 'command', { connectionName: 'result-writer-admin' });
  store = new RunStore(redis, { prefix: 'writer' });
});

afterAll(async () => {
  await admin?.client('UNPAUSE').catch(() => {});
  redis?.disconnect();
  admin?.disconnect();
  if (server) await destroyRedisServer(server);
});

/** V8's `gc()` (a full collection), without starting the test process with `--expose-gc`. */
function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('ResultWriter', () => {
  it('keeps a batch encoded while Redis has not answered its write: its result objects can be collected', async () => {
    const gc = exposedGc();
    const runId = await commitTestRun(store, 2);
    const writer = new ResultWriter({
      store,
      logger: createLogger({ level: 'silent' }),
      maxBatch: 2,
    });
    await admin.client('PAUSE', 60_000, 'WRITE');
    let refs: WeakRef<object>[] = [];
    let answered = false;
    // the second add fills the batch: it is encoded and sent within that call
    const written = (() => {
      const results: StoredResult[] = [0, 1].map((i) => ({
        status: 'succeeded',
        output: { i, text: 'x'.repeat(1000) },
        attempts: 1,
        latencyMs: 1 + i,
      }));
      refs = results.flatMap((r) => [new WeakRef(r), new WeakRef(r.output as object)]);
      return Promise.all(results.map((result, index) => writer.add(runId, { index, result })));
    })().then((outcomes) => {
      answered = true;
      return outcomes;
    });
    // a later turn of the event loop (WeakRef targets are kept until the current job ends)
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(answered).toBe(false); // Redis holds the write
    expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true, true, true]);

    await admin.client('UNPAUSE');
    const [outcome] = await written;
    expect(outcome).toEqual({ state: 'ok', recorded: 2, done: 2, total: 2, finished: true });
    const { results } = await store.results.listResults(runId);
    expect(results.map((r) => [r.itemIndex, r.status, r.latencyMs, r.output])).toEqual([
      [0, 'succeeded', 1, { i: 0, text: 'x'.repeat(1000) }],
      [1, 'succeeded', 2, { i: 1, text: 'x'.repeat(1000) }],
    ]);
  });
});
