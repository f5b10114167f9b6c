/**
 * The price table (`RUNLEDGER_PRICES`): parsing (inline JSON, file, clear errors), and a worker
 * turning usage into `costUsd` per result and per run, with the model stored on each result.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTarget, z } from '@runledger/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costOf, loadPriceTable, startWorker, WorkerTableError } from '../apps/worker/src/index.js';
import { useWorkerFixture } from './helpers/engine-workers.js';
import { type HttpTargetServer, startHttpTarget } from './helpers/http-target.js';

let server: HttpTargetServer;
let dir: string;

const PRICES = {
  'model-a': { inputPerMTok: 2, outputPerMTok: 8 },
  'test-model': { inputPerMTok: 3, outputPerMTok: 15 },
};

/**
 * Item i: usage `250,000 * (i + 1)` input and `125,000 * (i + 1)` output tokens (exact binary
 * fractions of a million, so sums are exact); `input.model` reported unless absent; `input.cost`
 * reported as the target's own cost.
 */
const usageTarget = defineTarget({
  name: 'usage-target',
  description: 'reports scripted usage',
  configSchema: z.object({ model: z.string().optional() }).strict(),
  async run(input, { itemIndex }) {
    const script = input as { model?: string; cost?: number };
    const n = itemIndex + 1;
    const usage: { inputTokens: number; outputTokens: number; model?: string } = {
      inputTokens: 250_000 * n,
      outputTokens: 125_000 * n,
    };
    if (script.model) usage.model = script.model;
    return script.cost === undefined
      ? { output: n, usage }
      : { output: n, usage, costUsd: script.cost };
  },
});

const { config, logger, start, submit, waitForStatus, results } = useWorkerFixture('prices', {
  env: { RUNLEDGER_HTTP_TARGET_ALLOW: '127.0.0.1', RUNLEDGER_PRICES: JSON.stringify(PRICES) },
  targets: [usageTarget],
});

const completed = (runId: string) => waitForStatus(runId, 'completed');

beforeAll(async () => {
  server = await startHttpTarget();
  dir = mkdtempSync(join(tmpdir(), 'runledger-prices-'));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('price table', () => {
  it('parses inline JSON and files; empty means no prices', () => {
    expect(loadPriceTable('')).toEqual({});
    expect(loadPriceTable(JSON.stringify(PRICES))).toEqual(PRICES);
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify(PRICES));
    expect(loadPriceTable(file)).toEqual(PRICES);
    expect(costOf({ inputPerMTok: 3, outputPerMTok: 15 }, 1_000_000, 2_000_000)).toBe(33);
  });

  it('refuses bad tables with a message naming the variable and field', () => {
    expect(() => loadPriceTable(join(dir, 'missing.json'))).toThrow(WorkerTableError);
    expect(() => loadPriceTable(join(dir, 'missing.json'))).toThrow(
      /^RUNLEDGER_PRICES: cannot read .*missing\.json/,
    );
    expect(() => loadPriceTable('{"m": ')).toThrow(/^RUNLEDGER_PRICES: invalid JSON/);
    expect(() => loadPriceTable('{"m": {"inputPerMTok": -1, "outputPerMTok": 1}}')).toThrow(
      /^RUNLEDGER_PRICES: m\.inputPerMTok: /,
    );
    expect(() => loadPriceTable('{"m": {"inputPerMTok": 1}}')).toThrow(
      /^RUNLEDGER_PRICES: m\.outputPerMTok: /,
    );
  });

  it('a worker with a bad table does not start', async () => {
    await expect(
      startWorker({ config: config({ RUNLEDGER_PRICES: '{"m": 1}' }), logger }),
    ).rejects.toThrow(/^RUNLEDGER_PRICES: m: /);
  });

  it('prices each result from its model and usage; the run totals them exactly', async () => {
    await start();
    // items: reported model-a (priced), reported cost kept, model from target.config (model-a),
    // unknown model (no cost), model-a again
    const items = [
      { input: { model: 'model-a' } },
      { input: { model: 'model-a', cost: 0.25 } },
      { input: {} },
      { input: { model: 'unpriced' } },
      { input: { model: 'model-a' } },
    ];
    const runId = await submit({
      target: { name: 'usage-target', config: { model: 'model-a' } },
      dataset: { items },
    });
    const run = await completed(runId);
    const got = await results(runId);
    const cost = (n: number) => (250_000 * n * 2 + 125_000 * n * 8) / 1e6; // 1.5 * n
    expect(got.map((r) => r.costUsd)).toEqual([cost(1), 0.25, cost(3), null, cost(5)]);
    expect(got.map((r) => r.costUsd)).toEqual([1.5, 0.25, 4.5, null, 7.5]);
    expect(got.map((r) => r.usage)).toEqual([
      { inputTokens: 250_000, outputTokens: 125_000, model: 'model-a' },
      { inputTokens: 500_000, outputTokens: 250_000, model: 'model-a' },
      { inputTokens: 750_000, outputTokens: 375_000, model: 'model-a' },
      { inputTokens: 1_000_000, outputTokens: 500_000, model: 'unpriced' },
      { inputTokens: 1_250_000, outputTokens: 625_000, model: 'model-a' },
    ]);
    expect(run.costUsd).toBe(1.5 + 0.25 + 4.5 + 7.5);
    expect(run.usage).toEqual({ inputTokens: 3_750_000, outputTokens: 1_875_000 });
    // the one result its cost leaves out, and its model
    expect(run.unpriced).toEqual({ results: 1, model: 'unpriced' });
  });

  it('counts results with tokens and no model as unpriced, model null', async () => {
    await start();
    const runId = await submit({
      target: { name: 'usage-target' },
      dataset: { items: [{ input: {} }, { input: { model: 'model-a' } }, { input: {} }] },
    });
    const run = await completed(runId);
    expect(run.costUsd).toBe(3); // item 1 only: 500,000 in, 250,000 out at model-a
    expect(run.unpriced).toEqual({ results: 2, model: null });
  });

  it('a run with maxCostUsd ends failed at its first unpriced result: its budget cannot be counted', async () => {
    await start();
    // item 0 unpriced, the others priced far below the budget
    const items = Array.from({ length: 40 }, (_, i) => ({
      input: { model: i === 0 ? 'gpt-unlisted' : 'model-a' },
    }));
    const runId = await submit({
      target: { name: 'usage-target' },
      dataset: { items },
      execution: { maxCostUsd: 1_000_000 },
    });
    const run = await waitForStatus(runId, 'failed');
    expect(run.error).toBe(
      'budget cannot be enforced: results have token usage and no price (model "gpt-unlisted": add it to RUNLEDGER_PRICES on the workers)',
    );
    expect(run.unpriced).toEqual({ results: 1, model: 'gpt-unlisted' });
    expect(run.failedCount).toBe(0);
    expect(run.succeededCount + run.cancelledCount).toBe(40);
    const got = await results(runId);
    expect(got[0]).toMatchObject({ status: 'succeeded', usage: { model: 'gpt-unlisted' } });
    expect(got[0]!.costUsd).toBeNull();
    for (const r of got.filter((r) => r.status === 'cancelled')) {
      expect(r.error?.message).toBe(run.error);
    }
  });

  it('without a model anywhere, the budget stop says the target reports none', async () => {
    await start();
    const runId = await submit({
      target: { name: 'usage-target' },
      dataset: { items: [{ input: {} }] },
      execution: { maxCostUsd: 5 },
    });
    const run = await waitForStatus(runId, 'failed');
    expect(run.error).toBe(
      'budget cannot be enforced: results have token usage and no price (no model to price by: the target reports none)',
    );
    expect(run.unpriced).toEqual({ results: 1, model: null });
    expect(run.succeededCount).toBe(1);
  });

  it('the http target: model from the response body, priced per result and per run', async () => {
    await start();
    const items = Array.from({ length: 20 }, (_, i) => ({ input: { i } }));
    const runId = await submit({
      target: { name: 'http', config: { url: server.url } },
      dataset: { items },
    });
    const run = await completed(runId);
    const got = await results(runId);
    const each = costOf(PRICES['test-model'], 3, 5); // the scripted target: 3 in, 5 out
    expect(each).toBe((3 / 1e6) * 3 + (5 / 1e6) * 15);
    for (const r of got) {
      expect(r.usage).toEqual({ inputTokens: 3, outputTokens: 5, model: 'test-model' });
      expect(r.costUsd).toBe(each);
    }
    expect(run.usage).toEqual({ inputTokens: 60, outputTokens: 100 });
    expect(run.costUsd).toBeCloseTo(20 * each, 15);
  });
});
