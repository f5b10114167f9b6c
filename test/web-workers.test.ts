/**
 * The dashboard's workers page in a real headless Chromium (playwright-core), served by a real
 * API over HTTP with an in-process worker and the test Redis: the live worker, the queue depth of
 * a target no worker serves (exact items and chunk jobs), the items/s of a served target after a
 * run completed, and the throughput chart (uPlot canvas).
 */
import type { startApi } from '@runledger/api';
import type { QueueList, Run } from '@runledger/shared';
import type { startWorker } from '@runledger/worker';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createApiHttp } from './helpers/api-http.js';
import { waitFor } from './helpers/context.js';
import {
  type DashboardStack,
  screenshotOnFailure,
  startDashboardStack,
} from './helpers/dashboard-stack.js';

let api: Awaited<ReturnType<typeof startApi>>;
let worker: Awaited<ReturnType<typeof startWorker>>;
let browser: Browser;
let page: Page;
const { http, waitForStatus } = createApiHttp(() => api.url);

let stack: DashboardStack | undefined;

beforeAll(async () => {
  stack = await startDashboardStack('webq', {});
  ({ browser, api, worker } = stack);
});

afterAll(async () => {
  await stack?.close();
});

afterEach(async (ctx) => {
  await screenshotOnFailure(ctx.task.result?.state, page, 'workers');
});

const submit = async (target: string, n: number): Promise<Run> => {
  const res = await http<Run>('POST', '/v1/runs', {
    target: { name: target },
    dataset: { items: Array.from({ length: n }, (_, i) => ({ id: `i${i}`, input: i })) },
    execution: { waitForWorkers: true },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};

it('shows the queue depth per target, the items/s of a served target and the chart', async () => {
  const done = await submit('echo', 120);
  await waitForStatus(done.id, 'completed');
  // 30 items for a target nobody serves: 30 chunk jobs of 1 item wait in its queue
  await submit('nobody', 30);
  await waitFor(async () => {
    const { body } = await http<QueueList>('GET', '/v1/queues');
    const echo = body.queues.find((q) => q.target === 'echo');
    return echo && echo.throughput.buckets.reduce((s, b) => s + b.items, 0) === 120;
  }, 'echo throughput counted');

  page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  await page.goto(`${api.url}/workers`);
  await expect
    .poll(() => page.locator('table[aria-label="workers"]').textContent())
    .toContain(worker.id);
  const queues = page.locator('table[aria-label="queues"]');
  await expect.poll(() => queues.locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
  expect(await page.getByTestId('queue-items-nobody').textContent()).toBe('30');
  expect(await page.getByTestId('queue-jobs-nobody').textContent()).toBe('30 / 0 / 0');
  expect(await page.getByTestId('queue-rate-nobody').textContent()).toBe('0');
  const nobodyRow = queues.locator('tr', { has: page.getByTestId('queue-items-nobody') });
  expect(await nobodyRow.locator('td').nth(1).textContent()).toBe('0'); // no worker serves it
  expect(await page.getByTestId('queue-items-echo').textContent()).toBe('0');
  const rate = (await page.getByTestId('queue-rate-echo').textContent())?.replace(/,/g, '');
  expect(Number(rate)).toBeGreaterThan(0);
  // uPlot draws the lines on a canvas, one legend entry per target
  const chart = page.getByTestId('throughput-chart');
  await expect.poll(() => chart.locator('canvas').count()).toBe(1);
  const legend = await chart.locator('.u-legend .u-series').allTextContents();
  expect(legend.some((s) => s.includes('echo'))).toBe(true);
  expect(legend.some((s) => s.includes('nobody'))).toBe(true);
  // targets with nothing queued or recorded (http, openai) get no line
  expect(legend.some((s) => s.includes('openai'))).toBe(false);
  // a refetch with the same targets replaces the data of the same canvas (no rebuild)
  await chart.locator('canvas').evaluate((c) => {
    c.setAttribute('data-drawn-before', 'yes');
  });
  await page.waitForResponse((r) => r.url().includes('/v1/queues') && r.status() === 200);
  await page.waitForResponse((r) => r.url().includes('/v1/queues') && r.status() === 200);
  expect(await chart.locator('canvas').count()).toBe(1);
  expect(await chart.locator('canvas').getAttribute('data-drawn-before')).toBe('yes');
  await page.close();
});
