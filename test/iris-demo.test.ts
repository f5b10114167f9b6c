/**
 * The Iris demo end to end: API + 2 workers in-process on the test Redis, 150 real items through
 * the `iris-knn` target, and an accuracy that matches leave-one-out 5-NN computed here by hand.
 */
import { Writable } from 'node:stream';
import { createClient, type Result, startServices } from '@runledger/cli';
import { createLogger, createRedis, loadConfig } from '@runledger/shared';
import { targetConfig } from '@runledger/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { irisClasses, irisFeatures, irisItems } from '../examples/iris/dataset.js';
import { runIrisDemo } from '../examples/iris/demo.js';
import { irisKnn } from '../examples/iris/targets.js';
import { deletePrefix, redisUrl, uniquePrefix } from './helpers/context.js';

const prefix = uniquePrefix('iris');

afterAll(async () => {
  const redis = createRedis(redisUrl());
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

/** Plain leave-one-out k-NN: Euclidean distance, majority vote of the k nearest other flowers. */
function leaveOneOutPredictions(k: number): string[] {
  const x = irisFeatures();
  const y = irisClasses();
  return x.map((point, i) => {
    const nearest = x
      .map((other, j) => ({
        j,
        d: Math.hypot(...other.map((v, t) => v - (point[t] ?? 0))),
      }))
      .filter((n) => n.j !== i)
      .sort((a, b) => a.d - b.d)
      .slice(0, k);
    const votes = new Map<string, number>();
    for (const n of nearest) votes.set(y[n.j] ?? '', (votes.get(y[n.j] ?? '') ?? 0) + 1);
    return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  });
}

describe('iris data and target', () => {
  it('has 150 flowers, 50 per species, as items', () => {
    const items = irisItems();
    expect(items).toHaveLength(150);
    expect(items[0]).toEqual({
      id: 'iris-0',
      input: { row: 0, features: [5.1, 3.5, 1.4, 0.2] },
      expectedOutput: 'setosa',
    });
    const counts = new Map<string, number>();
    for (const item of items)
      counts.set(item.expectedOutput, (counts.get(item.expectedOutput) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ setosa: 50, versicolor: 50, virginica: 50 });
  });

  it('the target predicts each flower from the other 149 like plain 5-NN does', async () => {
    const expected = leaveOneOutPredictions(5);
    const context = {
      signal: new AbortController().signal,
      attempt: 1,
      // what the worker hands the target: the config parsed by its configSchema (k defaults to 5)
      config: targetConfig(irisKnn, {}),
      runId: 'r',
      itemId: 'i',
      itemIndex: 0,
      logger: createLogger({ level: 'silent' }),
    };
    const predicted: unknown[] = [];
    for (const item of irisItems()) predicted.push((await irisKnn.run(item.input, context)).output);
    expect(predicted).toEqual(expected);
    await expect(irisKnn.run({ row: 150, features: [1, 2, 3, 4] }, context)).rejects.toThrow(
      'input.row must be an integer in [0, 149]',
    );
    await expect(irisKnn.run({ row: 0 }, context)).rejects.toThrow(
      'input.features must be 4 numbers',
    );
    expect(context.config).toEqual({ k: 5 });
    expect(() => targetConfig(irisKnn, { k: 0 })).toThrow(
      'invalid iris-knn target config: config.k: Too small: expected number to be >=1',
    );
    expect(() => targetConfig(irisKnn, { k: 3, K: 4 })).toThrow('config: Unrecognized key: "K"');
  });
});

describe('runIrisDemo', () => {
  it('runs 150 flowers through 2 workers and reports leave-one-out 5-NN accuracy', async () => {
    let output = '';
    const out = new Writable({
      write(chunk, _encoding, done) {
        output += String(chunk);
        done();
      },
    });
    const run = await runIrisDemo({
      env: { LOG_LEVEL: 'silent' },
      config: { REDIS_URL: redisUrl(), RUNLEDGER_PREFIX: prefix },
      out,
      progress: null,
    });
    expect(run.status).toBe('completed');
    expect(run.totalItems).toBe(150);
    expect(run.succeededCount).toBe(150);
    expect(run.failedCount + run.cancelledCount).toBe(0);
    const score = run.scores.exact_match;
    expect(score).toBeDefined();
    expect((score?.passed ?? 0) + (score?.failed ?? 0)).toBe(150);

    const expected = leaveOneOutPredictions(5);
    const truth = irisClasses();
    const correct = expected.filter((p, i) => p === truth[i]).length;
    expect(score?.passed).toBe(correct);
    const accuracy = (score?.passed ?? 0) / 150;
    expect(accuracy).toBe(correct / 150);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    expect(accuracy).toBeLessThanOrEqual(0.97);
    expect(output).toContain(
      `accuracy (exact_match pass rate): ${accuracy.toFixed(4)} (${correct}/150)\n`,
    );
    expect(output).toMatch(
      /^Started the API at http:\/\/127\.0\.0\.1:\d+ and 2 workers \(Redis external\)\.\n/,
    );
    // it ends with the run's dashboard page on the API it started
    const apiUrl = /^Started the API at (http:\/\/127\.0\.0\.1:\d+) /.exec(output)?.[1];
    expect(output).toContain(`dashboard: ${apiUrl}/runs/${run.id}\n`);

    // The run's results hold every flower once, in order, each prediction the hand-computed one.
    // The demo stopped its API, so read them back through a fresh one.
    const services = await startServices({
      config: loadConfig({
        REDIS_URL: redisUrl(),
        RUNLEDGER_PREFIX: prefix,
        PORT: '0',
        LOG_LEVEL: 'silent',
      }),
      logger: createLogger({ level: 'silent' }),
      workers: 0,
      redisUrlGiven: true,
    });
    try {
      const client = createClient({ baseUrl: services.apiUrl ?? '' });
      const results: Result[] = [];
      for await (const page of client.runs.resultPages(run.id, { limit: 100 })) {
        results.push(...page.results);
      }
      expect(results).toHaveLength(150);
      expect(results.map((r) => r.itemId)).toEqual(irisItems().map((i) => i.id));
      expect(results.map((r) => r.output)).toEqual(expected);
      // both of the demo's workers ran items (the run's 50 chunks of 3 flowers are shared)
      const perWorker = new Map<string, number>();
      for (const r of results)
        perWorker.set(r.workerId ?? '', (perWorker.get(r.workerId ?? '') ?? 0) + 1);
      expect(perWorker.size).toBe(2);
      expect([...perWorker.keys()].every((id) => id !== '')).toBe(true);
      expect([...perWorker.values()].reduce((a, b) => a + b, 0)).toBe(150);
    } finally {
      await services.close();
    }
  });
});
