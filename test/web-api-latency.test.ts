/**
 * `GET /v1/runs/:id/latency` (the dashboard's latency chart) and its bucket edges.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { histogramEdges, type LatencyHistogram, type Run, z } from '@runledger/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, createAppHarness } from './helpers/app.js';
import { waitFor } from './helpers/context.js';

describe('histogramEdges', () => {
  it('spaces buckets evenly over a narrow range, by ratio over a wide one', () => {
    expect(histogramEdges(10, 20, 5)).toEqual({ scale: 'linear', edges: [10, 12, 14, 16, 18, 20] });
    const wide = histogramEdges(1, 1000, 3);
    expect(wide.scale).toBe('log');
    expect(wide.edges.map((e) => Math.round(e))).toEqual([1, 10, 100, 1000]);
    // a 0 ms latency keeps its place in the first bucket
    expect(histogramEdges(0, 500, 2).edges[0]).toBe(0);
    expect(histogramEdges(7, 7, 10)).toEqual({ scale: 'linear', edges: [7, 7] });
  });
});

describe('GET /v1/runs/:id/latency', () => {
  let h: AppHarness;

  beforeAll(async () => {
    h = await createAppHarness(
      'latency',
      {},
      {
        targets: [
          {
            name: 'sleepy',
            description: 'sleeps input ms',
            configSchema: z.object({}).strict(),
            async run(input) {
              await delay(Number(input));
              return { output: 'ok' };
            },
          },
        ],
      },
    );
  });

  afterAll(async () => {
    await h?.close();
  });

  const get = async <T>(path: string) => {
    const res = await h.app.request(path);
    return { status: res.status, body: (await res.json()) as T };
  };

  it('counts every item that ran into buckets spanning min to max', async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ id: `i${i}`, input: (i % 6) * 8 }));
    const res = await h.app.request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: { name: 'sleepy' }, dataset: { items } }),
    });
    expect(res.status).toBe(201);
    const run = (await res.json()) as Run;
    await waitFor(
      async () =>
        (await get<Run>(`/v1/runs/${run.id}`)).body.status === 'completed' ? true : null,
      'run completed',
    );
    const { status, body } = await get<LatencyHistogram>(`/v1/runs/${run.id}/latency?buckets=8`);
    expect(status).toBe(200);
    expect(body.count).toBe(30);
    expect(body.buckets.reduce((s, b) => s + b.count, 0)).toBe(30);
    expect(body.buckets.length).toBeLessThanOrEqual(8);
    expect(body.buckets[0]?.fromMs).toBe(body.minMs);
    expect(body.buckets.at(-1)?.toMs).toBe(body.maxMs);
    for (let i = 1; i < body.buckets.length; i++) {
      expect(body.buckets[i]!.fromMs).toBe(body.buckets[i - 1]!.toMs);
    }
    const { body: runBody } = await get<Run>(`/v1/runs/${run.id}`);
    expect(body.maxMs).toBe(runBody.latencyMs.max);
  });

  it('answers an empty histogram before any item ran, 404 for unknown runs, 400 for bad buckets', async () => {
    const res = await h.app.request('/v1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        target: { name: 'not-served-yet' },
        dataset: { items: [{ input: 1 }] },
        execution: { waitForWorkers: true },
      }),
    });
    expect(res.status).toBe(201);
    const run = (await res.json()) as Run;
    const empty = await get<LatencyHistogram>(`/v1/runs/${run.id}/latency`);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ count: 0, minMs: null, maxMs: null, buckets: [] });
    expect((await get(`/v1/runs/01JZ8X6T2M3N4P5Q6R7S8T9V0W/latency`)).status).toBe(404);
    expect((await get(`/v1/runs/${run.id}/latency?buckets=0`)).status).toBe(400);
  });
});
