/**
 * @runledger/client against a real API (over HTTP) + worker + Redis: create with an idempotency
 * key, a lazily pulled NDJSON stream of 20,000 items, events resuming with Last-Event-ID after
 * the server dropped the connection, wait, paged results, exports, every other /v1 call, and
 * RunledgerApiError with field paths.
 */
import { createClient, type Item, type RunEvent, RunledgerApiError } from '@runledger/client';
import type { TargetDefinition } from '@runledger/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ClientApi, startClientApi } from './helpers/client-api.js';

/** `flaky`: throws for inputs `{ fail: true }` (with maxAttempts 1 the item fails), echoes others. */
const flaky: TargetDefinition = {
  name: 'flaky',
  description: 'fails inputs with fail: true (test)',
  configSchema: z.object({}).strict(),
  async run(input) {
    if ((input as { fail?: boolean }).fail) throw new Error('boom');
    return { output: input };
  },
};

let api: ClientApi;

beforeAll(async () => {
  api = await startClientApi('client-runs', {}, { targets: [flaky] });
});
afterAll(() => api.close());

const items = (n: number, prefix = 'i'): Item[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, input: i, expectedOutput: i }));

describe('runs', () => {
  it('create with an idempotency key returns the same run twice', async () => {
    const client = createClient({ baseUrl: api.url });
    const spec = { target: { name: 'echo' }, dataset: { items: items(3) } };
    const a = await client.runs.create(spec, { idempotencyKey: 'client-idem-1' });
    const b = await client.runs.create(spec, { idempotencyKey: 'client-idem-1' });
    expect(b.id).toBe(a.id);
    const c = await client.runs.create(spec, { idempotencyKey: 'client-idem-2' });
    expect(c.id).not.toBe(a.id);
    const done = await client.runs.wait(a.id);
    expect(done.status).toBe('completed');
    expect(done.succeededCount).toBe(3);
  });

  it('createStream sends 20,000 generated items, pulling the generator only as the body is read', async () => {
    let pulled = 0;
    let pulledWhenSent = -1;
    let pulledAfterFirstChunk = -1;
    const client = createClient({
      baseUrl: api.url,
      // reads the body's first chunk itself before handing the rest to the real fetch
      fetch: async (input, init) => {
        const request = new Request(input, init);
        if (!request.body) return fetch(request);
        pulledWhenSent = pulled;
        const reader = request.body.getReader();
        const first = await reader.read();
        pulledAfterFirstChunk = pulled;
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            if (!first.done) controller.enqueue(first.value);
          },
          async pull(controller) {
            const next = await reader.read();
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          },
        });
        return fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body,
          duplex: 'half',
        } as RequestInit);
      },
    });
    async function* generate(): AsyncGenerator<Item> {
      for (let i = 0; i < 20_000; i++) {
        pulled++;
        yield { id: `s${i}`, input: { n: i, text: 'x'.repeat(20) }, expectedOutput: i };
      }
    }
    const run = await client.runs.createStream(
      {
        name: 'client-stream',
        target: { name: 'echo' },
        dataset: { id: 'client-stream' },
        execution: { concurrency: 4 },
      },
      generate(),
    );
    expect(pulledWhenSent).toBe(0);
    // the first chunk is the header line (or one batch of about 64 KiB): far from all items
    expect(pulledAfterFirstChunk).toBeLessThan(3000);
    expect(pulled).toBe(20_000);
    expect(run.totalItems).toBe(20_000);
    expect(run.datasetId).toBe('client-stream');
    const cancelled = await client.runs.cancel(run.id);
    expect(['cancelled', 'completed']).toContain(cancelled.status);
  });

  it('events resume with Last-Event-ID after the server dropped the connection', async () => {
    const eventRequests: (string | null)[] = [];
    const client = createClient({
      baseUrl: api.url,
      fetch: async (input, init) => {
        const request = new Request(input, init);
        if (request.url.endsWith('/events'))
          eventRequests.push(request.headers.get('last-event-id'));
        return fetch(request);
      },
    });
    const run = await client.runs.create({
      target: { name: 'echo', config: { delayMs: 200 } },
      dataset: { items: items(12) },
      execution: { concurrency: 1 },
    });
    const seen: RunEvent[] = [];
    let dropped = false;
    let lastBeforeDrop = '';
    const connection: string[] = [];
    for await (const event of client.runs.events(run.id, {
      reconnect: { minDelayMs: 50 },
      onConnection: (e) => connection.push(e.state),
    })) {
      seen.push(event);
      if (!dropped && event.event === 'progress' && event.data.done >= 3) {
        dropped = true;
        lastBeforeDrop = event.id;
        api.dropConnections();
      }
    }
    expect(dropped).toBe(true);
    expect(eventRequests[0]).toBeNull();
    expect(eventRequests.length).toBeGreaterThanOrEqual(2);
    expect(eventRequests[1]).toBe(lastBeforeDrop);
    expect(connection.slice(0, 2)).toEqual(['lost', 'back']);
    // no event twice, none lost: the same ids as a full replay of the finished run
    const replay: string[] = [];
    for await (const event of client.runs.events(run.id)) replay.push(event.id);
    expect(seen.map((e) => e.id)).toEqual(replay);
    const last = seen.at(-1);
    expect(last?.event === 'status' && last.data.status).toBe('completed');
    const progress = seen.filter((e) => e.event === 'progress');
    expect(progress.at(-1)?.data).toMatchObject({ done: 12, total: 12, succeeded: 12 });
  });

  it('wait resolves to the terminal run and reports progress', async () => {
    const client = createClient({ baseUrl: api.url });
    const run = await client.runs.create({
      target: { name: 'echo', config: { delayMs: 20 } },
      dataset: { items: items(5) },
      scorers: [{ name: 'exact_match' }],
      execution: { concurrency: 1 },
    });
    const done: number[] = [];
    const finished = await client.runs.wait(run.id, { onProgress: (p) => done.push(p.done) });
    expect(finished.status).toBe('completed');
    expect(finished.succeededCount).toBe(5);
    expect(finished.scores.exact_match?.passRate).toBe(1);
    expect(done.at(-1)).toBe(5);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    // a finished run: wait answers at once
    expect((await client.runs.wait(run.id)).id).toBe(run.id);
  });

  it('results iterate every page (exact ids, status filter); exports stream csv and jsonl', async () => {
    const client = createClient({ baseUrl: api.url });
    const spec = {
      target: { name: 'flaky' },
      dataset: {
        items: Array.from({ length: 7 }, (_, i) => ({
          id: `r${i}`,
          input: { n: i, fail: i % 3 === 0 },
        })),
      },
      execution: { maxAttempts: 1 },
    };
    const run = await client.runs.wait((await client.runs.create(spec)).id);
    expect(run).toMatchObject({ status: 'completed', succeededCount: 4, failedCount: 3 });

    const ids: string[] = [];
    for await (const result of client.runs.results(run.id, { limit: 3 })) ids.push(result.itemId);
    expect(ids).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    let pages = 0;
    for await (const page of client.runs.resultPages(run.id, { limit: 3 })) {
      pages++;
      expect(page.results.length).toBeLessThanOrEqual(3);
    }
    expect(pages).toBe(3);
    const failed: string[] = [];
    for await (const result of client.runs.results(run.id, { status: 'failed', limit: 2 })) {
      failed.push(result.itemId);
      expect(result.error?.message).toContain('boom');
    }
    expect(failed).toEqual(['r0', 'r3', 'r6']);

    const jsonl = await new Response(await client.runs.export(run.id, 'jsonl')).text();
    const lines = jsonl
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { itemId: string });
    expect(lines.map((l) => l.itemId)).toEqual(ids);
    const csv = await new Response(await client.runs.export(run.id, 'csv')).text();
    const rows = csv.trim().split(/\r?\n/);
    expect(rows).toHaveLength(8);
    expect(rows[0]).toContain('itemId');
    expect(rows.slice(1).map((row) => row.split(',')[1])).toEqual(ids);
  });
});

describe('errors', () => {
  it('an invalid spec throws RunledgerApiError with the problem and its field paths', async () => {
    const client = createClient({ baseUrl: api.url });
    const err = await client.runs
      .create({
        target: { name: 'echo' },
        dataset: { items: [{ input: 1 }, { id: 7 as unknown as string, input: 2 }] },
        execution: { maxAttempts: 0 },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunledgerApiError);
    const e = err as RunledgerApiError;
    expect(e.status).toBe(400);
    expect(e.type).toMatch(/^urn:runledger:problem:/);
    expect(e.title).toBe('Bad Request');
    expect(e.errors.map((f) => f.path).sort()).toEqual([
      'dataset.items.1.id',
      'execution.maxAttempts',
    ]);
    expect(e.message).toContain('execution.maxAttempts');

    const missing = await client.runs.get('01JZ8X6T2M3N4P5Q6R7S8T9V0W').catch((x: unknown) => x);
    expect(missing).toBeInstanceOf(RunledgerApiError);
    expect((missing as RunledgerApiError).status).toBe(404);
  });
});

describe('every other /v1 call', () => {
  it('cancel, rerun, replay, compare, delete, datasets, experiments, workers', async () => {
    const client = createClient({ baseUrl: api.url });
    const workers = await client.workers.list();
    expect(workers.workers.some((w) => w.targets.some((t) => t.name === 'flaky'))).toBe(true);

    const dataset = await client.datasets.create({
      id: 'client-ds',
      name: 'client dataset',
      items: [
        { id: 'd0', input: { n: 0, fail: true }, expectedOutput: { n: 0 } },
        { id: 'd1', input: { n: 1 }, expectedOutput: { n: 1 } },
      ],
    });
    expect(dataset.latestVersion).toBe(1);
    const changed = await client.datasets.addItems('client-ds', {
      mode: 'append',
      items: [{ id: 'd2', input: { n: 2 }, expectedOutput: { n: 2 } }],
    });
    expect(changed.latestVersion).toBe(2);
    expect((await client.datasets.get('client-ds')).versions.map((v) => v.itemCount)).toEqual([
      2, 3,
    ]);
    const page = await client.datasets.items('client-ds', 2, { limit: 10 });
    expect(page.items.map((i) => i.id)).toEqual(['d0', 'd1', 'd2']);
    expect((await client.datasets.list()).datasets.map((d) => d.id)).toContain('client-ds');

    const first = await client.runs.wait(
      (
        await client.runs.create({
          target: { name: 'flaky' },
          dataset: { id: 'client-ds' },
          scorers: [{ name: 'exact_match' }],
          execution: { maxAttempts: 1 },
        })
      ).id,
    );
    expect(first).toMatchObject({ totalItems: 3, failedCount: 1 });
    const rerun = await client.runs.rerun(first.id, { only: 'failed' });
    expect(rerun.totalItems).toBe(1);
    await client.runs.wait(rerun.id);
    const replay = await client.runs.wait((await client.runs.replay(first.id)).id);
    expect(replay.totalItems).toBe(3);
    const compare = await client.runs.compare(first.id, replay.id);
    expect(compare).toMatchObject({ a: first.id, b: replay.id, scorer: 'exact_match', items: 3 });
    const listed = await client.runs.list({ datasetId: 'client-ds', limit: 10 });
    expect(listed.runs.map((r) => r.id)).toEqual(expect.arrayContaining([first.id, replay.id]));

    const slow = await client.runs.create({
      target: { name: 'echo', config: { delayMs: 500 } },
      dataset: { items: items(20) },
      execution: { concurrency: 1 },
    });
    expect((await client.runs.cancel(slow.id)).status).toBe('cancelled');
    await client.runs.delete(slow.id);
    expect(await client.runs.get(slow.id).catch((e: RunledgerApiError) => e.status)).toBe(404);

    const experiment = await client.experiments.create({
      name: 'client-exp',
      dataset: { items: items(2, 'e') },
      variants: [
        { name: 'a', target: { name: 'echo' } },
        { name: 'b', target: { name: 'flaky' } },
      ],
      scorers: [{ name: 'exact_match' }],
    });
    expect(experiment.variants.map((v) => v.name)).toEqual(['a', 'b']);
    for (const variant of experiment.variants) {
      for (const runId of variant.runIds) await client.runs.wait(runId);
    }
    expect((await client.experiments.get(experiment.id)).status).toBe('completed');
    expect((await client.experiments.list()).experiments.map((e) => e.id)).toContain(experiment.id);
    const report = await client.experiments.report(experiment.id);
    expect(report.id).toBe(experiment.id);
    await client.experiments.delete(experiment.id);
    expect(
      await client.experiments.get(experiment.id).catch((e: RunledgerApiError) => e.status),
    ).toBe(404);
    await client.datasets.delete('client-ds');
    expect(await client.datasets.get('client-ds').catch((e: RunledgerApiError) => e.status)).toBe(
      404,
    );
  });
});
